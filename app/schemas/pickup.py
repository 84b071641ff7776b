"""A pickup order as the courier's pick list shows it."""
from __future__ import annotations

from marshmallow import Schema, fields

from app.schemas.common import OrderItemOut


class PickupShopper(Schema):
    nickname = fields.String(allow_none=True)


class PickupOut(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    source = fields.String()
    status = fields.String()
    total_fen = fields.Integer()
    shopper = fields.Nested(PickupShopper)
    items = fields.List(fields.Nested(OrderItemOut))
    created_at = fields.AwareDateTime()
