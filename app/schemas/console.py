"""Console (staff) request and response bodies."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.models import DEAL_KINDS, STAFF_ROLES
from app.schemas.base import Count, Fen, Id, Ids, In, Latitude, Longitude, Secret, Text, When, web_url
from app.schemas.common import CompoundOut, CourierEnvelope, ProductOut  # noqa: F401
from app.services.accounts.passwords import MIN_COURIER_PASSWORD_LENGTH, MIN_STAFF_PASSWORD_LENGTH
from app.services.clearance.targeting import TARGETS


class StaffSignIn(In):
    username = Text(60, required=True)
    password = Secret(required=True)


class StaffOut(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()


class StaffSignedIn(Schema):
    token = fields.String()
    expires_in = fields.Integer()
    staff = fields.Nested(StaffOut)


class StaffIn(In):
    username = Text(60, required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]+$"))
    password = Secret(min_length=MIN_STAFF_PASSWORD_LENGTH, required=True)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))


class StaffEnvelope(Schema):
    staff = fields.Nested(StaffOut)


class CompoundIn(In):
    name = Text(120, required=True)
    city = Text(60, required=True)
    district = Text(60, load_default=None, allow_none=True)
    lat = Latitude(required=True)
    lng = Longitude(required=True)
    radius_m = Count(10, 20_000, required=True)
    aliases = fields.List(Text(120), load_default=list, validate=validate.Length(max=50))


class CompoundEnvelope(Schema):
    compound = fields.Nested(CompoundOut)


class CourierIn(In):
    employee_no = Text(40, required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]+$"))
    name = Text(120, required=True)
    password = Secret(min_length=MIN_COURIER_PASSWORD_LENGTH, required=True)
    avatar_url = Text(500, load_default=None, allow_none=True, validate=web_url)
    compound_ids = Ids(required=True)


class ProductIn(In):
    name = Text(120, required=True)
    category = Text(60, required=True)
    price_fen = Fen(required=True)
    image_url = Text(500, load_default=None, allow_none=True, validate=web_url)
    # JSON true/false only ("yes" and "true" are refused); ops allow ordering it off today's van.
    orderable_off_van = fields.Boolean(load_default=False, truthy={True}, falsy={False}, metadata={
        "description": "shoppers may order it when today's van does not carry it (for the next run)"})


class ProductEnvelope(Schema):
    product = fields.Nested(ProductOut)


class DealIn(In):
    product_id = Id(required=True)
    compound_ids = Ids(metadata={"description": "required unless `target` names the compounds"})
    target = fields.String(validate=validate.OneOf(TARGETS), metadata={
        "description": "instead of compound_ids: `price_sensitive`, the compounds whose portrait is "
                       "price-sensitive (resolved when the deal is saved)"})
    deal_price_fen = Fen(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DEAL_KINDS))
    starts_at = When(load_default=None, allow_none=True)
    ends_at = When(load_default=None, allow_none=True, metadata={"description": "required for clearance"})
    quantity = Count(1, 10_000_000, load_default=None, allow_none=True, metadata={
        "description": "clearance only, and required there: units at the clearance price"})
    group_price_fen = Fen(load_default=None, allow_none=True, metadata={
        "description": "extension: shoppers here may open a group deal (凑单) on it at this price "
                       "(with group_min_households)"})
    group_min_households = Count(2, 10_000, load_default=None, allow_none=True, metadata={
        "description": "extension: the households that unlock a group a shopper opens on this deal"})

    @validates_schema
    def compounds_or_target(self, data, partial=None, **kwargs):
        if "compound_ids" in data and "target" in data:
            raise ValidationError("give compound_ids or target, not both", "target")
        if not partial and "compound_ids" not in data and "target" not in data:
            raise ValidationError("Missing data for required field.", "compound_ids")


class DealOut(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    deal_price_fen = fields.Integer()
    kind = fields.String()
    starts_at = fields.AwareDateTime(allow_none=True)
    ends_at = fields.AwareDateTime(allow_none=True)
    compound_ids = fields.Function(lambda deal: [c.id for c in deal.compounds])
    quantity = fields.Integer(allow_none=True, metadata={"description": "clearance: units at its price"})
    sold = fields.Integer(metadata={
        "description": "clearance: units taken by orders (given-back ones return)"})
    sold_out_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "clearance: when the last unit went"})
    group_price_fen = fields.Integer(allow_none=True, metadata={"description": "extension"})
    group_min_households = fields.Integer(allow_none=True, metadata={"description": "extension"})


class DealEnvelope(Schema):
    deal = fields.Nested(DealOut)


class CouponTemplateIn(In):
    title = Text(120, required=True)
    discount_fen = Fen(required=True, validate=validate.Range(min=1))
    threshold_fen = Fen(required=True)
    total = Count(1, 10_000_000, required=True)
    per_shopper_limit = Count(1, 100, required=True)
    compound_ids = Ids(required=True)
    valid_from = When(required=True)
    valid_until = When(required=True)

    @validates_schema
    def window(self, data, **kwargs):
        if data["valid_until"] <= data["valid_from"]:
            raise ValidationError("must be after valid_from", "valid_until")


class CouponTemplateOut(Schema):
    id = fields.Integer()
    title = fields.String()
    discount_fen = fields.Integer()
    threshold_fen = fields.Integer()
    total = fields.Integer()
    issued = fields.Integer()
    remaining = fields.Integer()
    per_shopper_limit = fields.Integer()
    valid_from = fields.AwareDateTime()
    valid_until = fields.AwareDateTime()
    compound_ids = fields.Function(lambda t: [c.id for c in t.compounds])


class CouponTemplateEnvelope(Schema):
    coupon_template = fields.Nested(CouponTemplateOut)
