"""Subscribe message request and response bodies."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas.base import In, Text

MAX_ACCEPTED = 20  # wx.requestSubscribeMessage asks for at most 3 templates at a time


class Acceptances(In):
    accepted = fields.List(Text(64), required=True, validate=validate.Length(max=MAX_ACCEPTED),
                           metadata={"description": "template ids wx.requestSubscribeMessage answered "
                                                    "\"accept\" for; ids not ours are ignored"})


class OptionalIdempotencyHeader(In):
    idempotency_key = Text(100, data_key="Idempotency-Key",
                           metadata={"description": "a retried request with the same key counts once"})


class Subscriptions(Schema):
    subscriptions = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                metadata={"description": "sends left per template of ours"})
