"""Response shapes shared by the shopper, courier and console APIs."""
from __future__ import annotations

from marshmallow import Schema, fields

# A binary image body, for the OpenAPI document (flask-smorest takes a dict schema as-is).
PNG_FILE = {"type": "string", "format": "binary"}


class CompoundRef(Schema):
    id = fields.Integer()
    name = fields.String()


class CompoundOut(CompoundRef):
    city = fields.String()
    district = fields.String(allow_none=True)
    lat = fields.Float()
    lng = fields.Float()
    radius_m = fields.Integer()
    aliases = fields.List(fields.String())


class CourierPublic(Schema):
    id = fields.Integer()
    name = fields.String()
    avatar_url = fields.String(allow_none=True)


class CourierOut(CourierPublic):
    employee_no = fields.String()
    courier_code = fields.String()
    compounds = fields.List(fields.Nested(CompoundRef))


class CourierEnvelope(Schema):
    courier = fields.Nested(CourierOut)


class ProductOut(Schema):
    id = fields.Integer()
    name = fields.String()
    category = fields.String()
    price_fen = fields.Integer()
    image_url = fields.String(allow_none=True)
    orderable_off_van = fields.Boolean()


class CouponOut(Schema):
    id = fields.Integer()
    template_id = fields.Integer()
    title = fields.String(attribute="template.title")
    discount_fen = fields.Integer(attribute="template.discount_fen")
    threshold_fen = fields.Integer(attribute="template.threshold_fen")
    valid_until = fields.AwareDateTime(attribute="template.valid_until")
    status = fields.String()
    source = fields.String()


class OrderItemOut(Schema):
    product_id = fields.Integer()
    name = fields.String(attribute="product.name")
    quantity = fields.Integer()
    unit_price_fen = fields.Integer()
    next_run = fields.Boolean(metadata={"description": "not on today's van: it comes on the courier's next run"})


class OrderOut(Schema):
    id = fields.Integer()
    status = fields.String()
    source = fields.String()
    compound_id = fields.Integer()
    courier_id = fields.Integer()
    subtotal_fen = fields.Integer()
    discount_fen = fields.Integer()
    total_fen = fields.Integer()
    pickup_code = fields.String()
    coupon_id = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(OrderItemOut))
    created_at = fields.AwareDateTime()
    pay_method = fields.String(metadata={"description": "at_van or wechat"})
    pay_deadline = fields.AwareDateTime(allow_none=True, metadata={"description": "wechat: unpaid by then, closed"})
    paid_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    refunded_fen = fields.Integer()
    held = fields.Boolean(metadata={"description": "a group order waiting for its group's outcome: not handed "
                                                   "over (nor on the pick list) until the group succeeds"})
