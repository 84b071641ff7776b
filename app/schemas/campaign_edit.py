"""`PATCH /api/v1/console/campaigns/<id>`: any of a new campaign's fields, checked the same way."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from app.schemas.base import Count, Ids, In, Text, When
from app.schemas.shake import PrizeIn


class CampaignPatchIn(In):
    """The fields to change; `prizes`, when present, replaces the whole prize pool."""

    title = Text(120)
    compound_ids = Ids()
    starts_at = When()
    ends_at = When()
    window_seconds = Count(10, 3600)
    shakes_per_shopper = Count(1, 1000)
    wins_per_shopper = Count(0, 1000)
    rounds_per_compound_per_day = Count(1, 1000)
    prizes = fields.List(fields.Nested(PrizeIn), validate=validate.Length(min=1, max=20))

    @validates_schema
    def window(self, data, **kwargs):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("must be after starts_at", "ends_at")
