"""Group deals (凑单): what marketing opens, what a shopper joins with, what everyone reads."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas.base import Count, Fen, Id, In, When
from app.schemas.common import OrderOut

MAX_HOUSEHOLDS = 10_000  # a compound has 500-5,000 households


class GroupDealIn(In):
    product_id = Id(required=True)
    compound_id = Id(required=True)
    group_price_fen = Fen(required=True)
    min_households = Count(1, MAX_HOUSEHOLDS, required=True)
    max_households = Count(1, MAX_HOUSEHOLDS, load_default=None, allow_none=True)
    min_amount_fen = Fen(load_default=None, allow_none=True, validate=validate.Range(min=1), metadata={
        "description": "extension: the amount (the joins' orders together) that also unlocks the group price"})
    deadline = When(required=True)
    courier_id = Id(load_default=None, allow_none=True, metadata={
        "description": "extension: the courier who delivers the group (default: the first serving the compound)"})

    @validates_schema
    def cap_above_threshold(self, data, **kwargs):
        if data.get("max_households") is not None and data["max_households"] < data["min_households"]:
            raise ValidationError("must be at least min_households", "max_households")


class ShopperGroupIn(In):
    deal_id = Id(required=True, metadata={"description": "a deal of the compound that lets shoppers open groups"})
    compound_id = Id(required=True, metadata={"description": "the shopper's compound (one of the deal's)"})


class GroupProductOut(Schema):
    id = fields.Integer()
    name = fields.String()
    image_url = fields.String(allow_none=True)
    price_fen = fields.Integer(metadata={"description": "the list price, for the saving"})


class GroupDealOut(Schema):
    id = fields.Integer()
    product = fields.Nested(GroupProductOut)
    group_price_fen = fields.Integer()
    min_households = fields.Integer()
    max_households = fields.Integer(allow_none=True)
    joined = fields.Integer()
    min_amount_fen = fields.Integer(allow_none=True, metadata={"description": "extension"})
    joined_fen = fields.Integer(metadata={"description": "extension: what the joins' orders come to"})
    deadline = fields.AwareDateTime()
    status = fields.String(metadata={"description": "open, succeeded or failed"})
    compound_id = fields.Integer(metadata={"description": "extension"})


class GroupDealEnvelope(Schema):
    group_deal = fields.Nested(GroupDealOut)


class GroupDealList(Schema):
    group_deals = fields.List(fields.Nested(GroupDealOut))


class JoinIn(In):
    quantity = Count(1, 99, required=True)
    pay = fields.String(load_default="at_van", validate=validate.OneOf(("at_van", "wechat")),
                        metadata={"description": "wechat: pending_payment until paid; held until the outcome"})


class JoinOut(Schema):
    id = fields.Integer()
    order = fields.Nested(OrderOut)


class JoinEnvelope(Schema):
    join = fields.Nested(JoinOut)
    group_deal = fields.Nested(GroupDealOut)
