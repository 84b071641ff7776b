"""The year's promotions (marketing's calendar) and shoppers' wishes with their plans (API.md "Neighbours together")."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas.base import Count, Fen, Id, In, Text
from app.schemas.prestock import Day

MAX_CATEGORIES = 100  # categories one event names


class PromotionIn(In):
    name = Text(120, required=True)
    starts_on = Day(required=True)
    ends_on = Day(required=True)
    expected_discount_pct = fields.Dict(
        keys=Text(60), values=Count(0, 90), required=True, validate=validate.Length(max=MAX_CATEGORIES),
        metadata={"description": "percent off the list price expected, by product category; "
                                 "\"*\": any category not named (extension)"})

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        if "starts_on" in data and "ends_on" in data and data["ends_on"] < data["starts_on"]:
            raise ValidationError("must be on or after starts_on", "ends_on")


class PromotionPatchIn(PromotionIn):
    """PATCH /console/promotions/<id>: any of PromotionIn's fields (loaded partial)."""


class PromotionOut(Schema):
    id = fields.Integer()
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    expected_discount_pct = fields.Dict(keys=fields.String(), values=fields.Integer())


class PromotionsOut(Schema):
    events = fields.List(fields.Nested(PromotionOut))


class PromotionEnvelope(Schema):
    event = fields.Nested(PromotionOut)


class WishIn(In):
    product_id = Id(load_default=None, allow_none=True)
    category = Text(60, load_default=None, allow_none=True)
    budget_fen = Fen(load_default=None, allow_none=True)
    need_by = Day(required=True)

    @validates_schema
    def product_or_category(self, data, **kwargs):
        if (data.get("product_id") is None) == (data.get("category") is None):
            raise ValidationError("give a product_id or a category, not both", "product_id")


class PlanOut(Schema):
    buy_on = fields.Date(metadata={"description": "the Asia/Shanghai day to buy: today, or the event's first day"})
    event_id = fields.Integer(allow_none=True, metadata={"description": "the event to wait for; null: buy today"})
    expected_price_fen = fields.Integer(metadata={"description": "one unit's price expected on buy_on"})
    saving_fen = fields.Integer(metadata={"description": "expected saving against buying today"})
    # Extensions beyond API.md (README "API extensions").
    product_id = fields.Integer(metadata={"description": "the item planned for (a category wish's typical item)"})
    today_price_fen = fields.Integer(metadata={"description": "this shopper's best price today: deal, coupon, group"})
    within_budget = fields.Boolean()


class WishOut(Schema):
    id = fields.Integer(attribute="wish.id")
    product_id = fields.Integer(attribute="wish.product_id", allow_none=True)
    category = fields.String(attribute="wish.category", allow_none=True)
    budget_fen = fields.Integer(attribute="wish.budget_fen", allow_none=True)
    need_by = fields.Date(attribute="wish.need_by")
    created_at = fields.AwareDateTime(attribute="wish.created_at")
    plan = fields.Nested(PlanOut, allow_none=True, metadata={"description": "null: the category has no products"})


class WishEnvelope(Schema):
    wish = fields.Nested(WishOut)


class WishesOut(Schema):
    wishes = fields.List(fields.Nested(WishOut))


class CompoundWishesOut(Schema):
    compound_id = fields.Integer()
    open_wishes = fields.Integer()
    wishes_by_category = fields.Dict(keys=fields.String(), values=fields.Integer())
    waiting_by_event = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                   metadata={"description": "event id -> wishes whose plan waits for it"})
