"""The compound portrait (API.md "Goods find people") and picking compounds by it."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas.base import In, Text


class PriceBand(Schema):
    max_fen = fields.Integer(allow_none=True, metadata={"description": "upper bound of the unit price; null: no bound"})
    share = fields.Float(metadata={"description": "share of spend, 0-1"})


class TopProduct(Schema):
    product_id = fields.Integer()
    name = fields.String()
    units = fields.Integer()


class PortraitOut(Schema):
    compound_id = fields.Integer()
    as_of = fields.AwareDateTime()
    orders = fields.Integer()
    households = fields.Integer(metadata={"description": "shoppers who ordered in the window"})
    category_shares = fields.Dict(keys=fields.String(), values=fields.Float(),
                                  metadata={"description": "share of spend per category, 0-1"})
    price_bands = fields.List(fields.Nested(PriceBand))
    spend_per_household_fen = fields.Integer()
    repeat_rate = fields.Float(metadata={"description": "share of households ordering more than once"})
    top_products = fields.List(fields.Nested(TopProduct))
    city_category_shares = fields.Dict(keys=fields.String(), values=fields.Float())
    # Extensions beyond API.md (README "API extensions").
    days = fields.Integer(metadata={"description": "the window: the last this many Asia/Shanghai days, today included"})
    spend_fen = fields.Integer()
    hours = fields.List(fields.Integer(), metadata={"description": "orders per local hour 0-23"})
    weekdays = fields.List(fields.Integer(), metadata={"description": "orders per weekday, Monday first"})
    claims = fields.Integer()
    wins = fields.Integer()
    visits = fields.Integer()
    wishes_by_category = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "open wishes of the compound's shoppers (need-by today or later) per category, now"})


class PortraitEnvelope(Schema):
    portrait = fields.Nested(PortraitOut)


class ByPortraitArgs(In):
    category = Text(60)
    min_share = fields.Float(load_default=0.0, validate=validate.Range(min=0, max=1))
    price_sensitive = fields.Boolean(load_default=False)
    cheap_min_share = fields.Float(load_default=None, validate=validate.Range(min=0, max=1),
                                   metadata={"description": "price-sensitive: at least this share of spend on "
                                                            "items at 30 yuan or less (default 0.5)"})


class PortraitMatch(Schema):
    compound_id = fields.Integer()
    name = fields.String()
    category_share = fields.Float(allow_none=True)
    cheap_share = fields.Float()
    as_of = fields.String()


class PortraitMatches(Schema):
    compounds = fields.List(fields.Nested(PortraitMatch))
