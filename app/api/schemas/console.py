"""Console (staff) request and response bodies."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import Schema, fields, validate, validates_schema, ValidationError

from app.api.schemas.base import Count, Fen, Id, Ids, Text, When
from app.api.schemas.common import CompoundOut, CourierEnvelope, ProductOut, StorableIn  # noqa: F401
from app.models import DEAL_KINDS, STAFF_ROLES

# Console times are business dates: anything outside this is a typo, and years near 1 or
# 9999 would overflow when converted to UTC for storage.
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


def Moment(**kw):
    """An RFC 3339 time with an offset, between EARLIEST and LATEST."""
    return When(validate=validate.Range(min=EARLIEST, max=LATEST), **kw)


class StrictFloat(fields.Float):
    """A JSON number only: "31.2" (a string) is refused, as Integer(strict=True) refuses "12"."""

    def _validated(self, value):
        if isinstance(value, (str, bytes)):
            raise self.make_error("invalid")
        return super()._validated(value)


def web_url(value: str) -> None:
    """An http(s) URL or a path on this site: nothing a browser would run (javascript:, data:)."""
    if value.startswith(("https://", "http://")) and len(value) > len("https://"):
        return
    if value.startswith("/") and not value.startswith("//"):
        return
    raise ValidationError("must be an http(s) URL or a path starting with /")


class StaffSignIn(StorableIn):
    username = Text(60, required=True)
    password = Text(200, required=True)


class StaffOut(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()


class StaffSignedIn(Schema):
    token = fields.String()
    expires_in = fields.Integer()
    staff = fields.Nested(StaffOut)


class StaffIn(StorableIn):
    username = Text(60, required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]+$"))
    password = Text(200, min_length=8, required=True)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))


class StaffEnvelope(Schema):
    staff = fields.Nested(StaffOut)


class CompoundIn(StorableIn):
    name = Text(120, required=True)
    city = Text(60, required=True)
    district = Text(60, load_default=None, allow_none=True)
    lat = StrictFloat(required=True, validate=validate.Range(min=-90, max=90))
    lng = StrictFloat(required=True, validate=validate.Range(min=-180, max=180))
    radius_m = Count(10, 20_000, required=True)
    aliases = fields.List(Text(120), load_default=list, validate=validate.Length(max=50))


class CompoundEnvelope(Schema):
    compound = fields.Nested(CompoundOut)


class CompoundList(Schema):
    compounds = fields.List(fields.Nested(CompoundOut))


class CourierIn(StorableIn):
    employee_no = Text(40, required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]+$"))
    name = Text(120, required=True)
    password = Text(200, min_length=6, required=True)
    avatar_url = Text(500, load_default=None, allow_none=True, validate=web_url)
    compound_ids = Ids(required=True)


class ProductIn(StorableIn):
    name = Text(120, required=True)
    category = Text(60, required=True)
    price_fen = Fen(required=True)
    image_url = Text(500, load_default=None, allow_none=True, validate=web_url)


class ProductEnvelope(Schema):
    product = fields.Nested(ProductOut)


class DealIn(StorableIn):
    product_id = Id(required=True)
    compound_ids = Ids(required=True)
    deal_price_fen = Fen(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DEAL_KINDS))
    starts_at = Moment(load_default=None, allow_none=True)
    ends_at = Moment(load_default=None, allow_none=True)


class DealOut(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    deal_price_fen = fields.Integer()
    kind = fields.String()
    starts_at = fields.AwareDateTime(allow_none=True)
    ends_at = fields.AwareDateTime(allow_none=True)
    compound_ids = fields.Function(lambda deal: [c.id for c in deal.compounds])


class DealEnvelope(Schema):
    deal = fields.Nested(DealOut)


class CouponTemplateIn(StorableIn):
    title = Text(120, required=True)
    discount_fen = Fen(required=True, validate=validate.Range(min=1))
    threshold_fen = Fen(required=True)
    total = Count(1, 10_000_000, required=True)
    per_shopper_limit = Count(1, 100, required=True)
    compound_ids = Ids(required=True)
    valid_from = Moment(required=True)
    valid_until = Moment(required=True)

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
