"""The van load: what a courier's van carries today, per product, and what is reserved of it."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas.base import Count, Id, In


class VanLoadLineIn(In):
    product_id = Id(required=True)
    quantity = Count(0, 100_000, required=True)


class VanLoadIn(In):
    items = fields.List(fields.Nested(VanLoadLineIn), required=True, validate=validate.Length(max=500),
                        metadata={"description": "the whole list: a product left out is taken off the van"})


class VanLoadLineOut(Schema):
    product_id = fields.Integer()
    name = fields.String(attribute="product.name")
    quantity = fields.Integer()
    reserved = fields.Integer(metadata={"description": "held by orders and open shake rounds"})


class VanLoadOut(Schema):
    date = fields.Date(metadata={"description": "the day in Asia/Shanghai"})
    items = fields.List(fields.Nested(VanLoadLineOut))


class VanLoadEnvelope(Schema):
    van_load = fields.Nested(VanLoadOut)
