"""A closed round's published draws (API.md, "Verifiable draws"): documented here, built by
app/services/draws/reveal.py's RoundDraws.body()."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

SEED_SHA256 = {"description": "hex SHA-256 of the round's secret 32-byte seed, committed to when it opened; "
                              "the seed itself is published by GET /api/v1/shake-rounds/<id>/draws once it closes"}


class PrizeShareOut(Schema):
    index = fields.Integer(metadata={"description": "position in the campaign's prize list"})
    kind = fields.String()
    win_probability = fields.Float(metadata={"description": "this prize's share of [0, 1), after the ones before it"})


class DrawnShakeOut(Schema):
    shake_id = fields.String()
    shopper = fields.String(metadata={"description": "the shopper, hashed: stable within the round, not reversible"})
    at = fields.AwareDateTime()
    number = fields.Float(metadata={
        "description": 'int.from_bytes(HMAC-SHA256(key=seed, msg=shake_id)[:8], "big") / 2**64'})
    result = fields.String(validate=validate.OneOf(["win", "lose"]))
    prize_index = fields.Integer(allow_none=True, metadata={"description": "the prize won; null for a lose"})


class RoundDrawsOut(Schema):
    round_id = fields.Integer()
    seed = fields.String(metadata={"description": "the round's seed, hex"})
    seed_sha256 = fields.String()
    prizes = fields.List(fields.Nested(PrizeShareOut))
    shakes = fields.List(fields.Nested(DrawnShakeOut), metadata={"description": "in the order decided"})
