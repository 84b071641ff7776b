"""Shopper (mini-program) request and response bodies."""
from __future__ import annotations

from marshmallow import Schema, fields, pre_load, validate

from app.schemas.base import Count, Id, In, Text
from app.schemas.common import CompoundRef, CouponOut, CourierPublic, OrderOut
from app.schemas.groups import GroupDealOut
from app.schemas.paging import NextCursor, PageArgs
from app.services.places.compounds import SEARCH_LIMIT

MAX_SEARCH_LIMIT = 50


class WeChatLogin(In):
    code = Text(128, required=True)


class ShopperOut(Schema):
    id = fields.Integer()
    nickname = fields.String(allow_none=True)
    avatar_url = fields.String(allow_none=True)
    has_phone = fields.Function(lambda shopper: bool(shopper.phone))


class ShopperSignedIn(Schema):
    token = fields.String()
    expires_in = fields.Integer()
    shopper = fields.Nested(ShopperOut)


class ShopperEnvelope(Schema):
    shopper = fields.Nested(ShopperOut)


class EncryptedProfile(In):
    encrypted_data = Text(20_000, required=True)
    iv = Text(64, required=True)


class PhoneCode(In):
    code = Text(128, required=True)


class MaskedPhone(Schema):
    phone = fields.String()


class CompoundQuery(In):
    q = Text(60, load_default=None)
    lat = fields.Float(load_default=None, validate=validate.Range(min=-90, max=90))
    lng = fields.Float(load_default=None, validate=validate.Range(min=-180, max=180))
    limit = fields.Integer(load_default=SEARCH_LIMIT, validate=validate.Range(min=1, max=MAX_SEARCH_LIMIT),
                           metadata={"description": f"at most {MAX_SEARCH_LIMIT}; default {SEARCH_LIMIT}"})

    @pre_load
    def blank_means_absent(self, data, **kwargs):
        """API.md spells the call `?q=&lat=&lng=`: an empty search box asks for everything."""
        return {key: data[key] for key in data if not (isinstance(data[key], str) and not data[key].strip())}


class CompoundHit(Schema):
    id = fields.Integer()
    name = fields.String()
    city = fields.String()
    district = fields.String(allow_none=True)
    distance_m = fields.Integer(allow_none=True)


class CompoundHits(Schema):
    compounds = fields.List(fields.Nested(CompoundHit))


class AddressIn(In):
    recipient = Text(60, required=True)
    phone = Text(32, required=True, validate=validate.Regexp(r"^\+?[0-9 -]{5,20}$"))
    detail = Text(300, required=True)
    compound_id = Id(load_default=None, allow_none=True)
    is_default = fields.Boolean(load_default=None, allow_none=True)


class AddressOut(Schema):
    id = fields.Integer()
    recipient = fields.String()
    phone = fields.String()
    detail = fields.String()
    is_default = fields.Boolean()
    compound = fields.Nested(CompoundRef, allow_none=True)


class AddressEnvelope(Schema):
    address = fields.Nested(AddressOut)


class AddressList(Schema):
    addresses = fields.List(fields.Nested(AddressOut))


class StoreSessionIn(In):
    courier_code = Text(64, required=True)
    compound_id = Id(load_default=None, allow_none=True)


class StoreSessionOut(Schema):
    id = fields.Integer()
    courier = fields.Nested(CourierPublic)
    compound = fields.Nested(CompoundRef)


class StoreSessionEnvelope(Schema):
    session = fields.Nested(StoreSessionOut)


class StorefrontCoupon(Schema):
    id = fields.Integer()
    title = fields.String()
    discount_fen = fields.Integer()
    threshold_fen = fields.Integer()
    remaining = fields.Integer()
    claimed = fields.Boolean()
    claimed_count = fields.Integer()
    per_shopper_limit = fields.Integer()
    valid_until = fields.AwareDateTime()


class StorefrontItem(Schema):
    product_id = fields.Integer(attribute="product.id")
    name = fields.String(attribute="product.name")
    image_url = fields.String(attribute="product.image_url", allow_none=True)
    price_fen = fields.Integer(attribute="product.price_fen")
    deal_price_fen = fields.Integer(allow_none=True)
    discount_pct = fields.Integer()
    on_van = fields.Integer(allow_none=True, metadata={
        "description": "left to order from today's van of the store's courier; null when it has no load today"})
    watching = fields.Integer(metadata={
        "description": "shoppers viewing this product now: their latest /shopper `viewing` names it, "
                       "within the last 2 minutes (the store's viewers are `live.watching`)"})
    bought_today = fields.Integer(metadata={
        "description": "shoppers of this compound who ordered it today (Asia/Shanghai), cancelled orders aside"})


class CatalogueItem(StorefrontItem):
    category = fields.String(attribute="product.category")


class CatalogueArgs(PageArgs):
    category = Text(60, load_default=None, metadata={"description": "only this category (one of `categories`)"})
    q = Text(60, load_default=None, metadata={"description": "only products whose name contains this text"})


class CatalogueOut(Schema):
    categories = fields.List(fields.String(), metadata={"description": "every category, by name"})
    items = fields.List(fields.Nested(CatalogueItem))
    next_cursor = NextCursor()


class LiveOut(Schema):
    watching = fields.Integer()
    buying = fields.Integer()


class ShakeRef(Schema):
    round_id = fields.Integer()
    closes_at = fields.AwareDateTime()


class StorefrontOut(Schema):
    courier = fields.Nested(CourierPublic)
    compound = fields.Nested(CompoundRef)
    coupons = fields.List(fields.Nested(StorefrontCoupon))
    hot_items = fields.List(fields.Nested(StorefrontItem))
    staff_exclusives = fields.List(fields.Nested(StorefrontItem))
    discount_ranking = fields.List(fields.Nested(StorefrontItem))
    recommended = fields.List(fields.Nested(StorefrontItem))
    live = fields.Nested(LiveOut)
    shake = fields.Nested(ShakeRef, allow_none=True)
    group_deals = fields.List(fields.Nested(GroupDealOut), metadata={
        "description": "extension: group deals (凑单) shoppers here may join now"})


class CouponEnvelope(Schema):
    coupon = fields.Nested(CouponOut)


class CouponList(Schema):
    coupons = fields.List(fields.Nested(CouponOut))
    next_cursor = NextCursor()  # only when there is more


class OrderLineIn(In):
    product_id = Id(required=True)
    quantity = Count(1, 99, required=True)


class OrderIn(In):
    store_session_id = Id(required=True)
    items = fields.List(fields.Nested(OrderLineIn), required=True, validate=validate.Length(min=1, max=50))
    coupon_id = Id(load_default=None, allow_none=True)
    pay = fields.String(load_default="at_van", validate=validate.OneOf(("at_van", "wechat")),
                        metadata={"description": "wechat: pending_payment until paid through WeChat Pay"})


class IdempotencyHeader(In):
    idempotency_key = Text(100, required=True, data_key="Idempotency-Key")


class OrderEnvelope(Schema):
    order = fields.Nested(OrderOut)


class OrderList(Schema):
    orders = fields.List(fields.Nested(OrderOut))
    next_cursor = NextCursor()  # only when there is more
