"""The console's paged lists and its edits: `GET` pages, `PATCH` bodies (the creation schemas,
every field optional, checked the same way)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validates_schema

from app.schemas.accounts import CourierAccountOut, StaffAccountOut
from app.schemas.common import CompoundOut, ProductOut
from app.schemas.console import CompoundIn, CouponTemplateOut, DealIn, DealOut, ProductIn
from app.schemas.console import CouponTemplateIn as CouponTemplateFields
from app.schemas.paging import NextCursor
from app.schemas.shake import CampaignOut


class CompoundPage(Schema):
    compounds = fields.List(fields.Nested(CompoundOut))
    next_cursor = NextCursor()


class CourierPage(Schema):
    couriers = fields.List(fields.Nested(CourierAccountOut))  # with `disabled`
    next_cursor = NextCursor()


class ProductPage(Schema):
    products = fields.List(fields.Nested(ProductOut))
    next_cursor = NextCursor()


class DealPage(Schema):
    deals = fields.List(fields.Nested(DealOut))
    next_cursor = NextCursor()


class CouponTemplatePage(Schema):
    coupon_templates = fields.List(fields.Nested(CouponTemplateOut))
    next_cursor = NextCursor()


class CampaignPage(Schema):
    campaigns = fields.List(fields.Nested(CampaignOut))
    next_cursor = NextCursor()


class StaffPage(Schema):
    staff = fields.List(fields.Nested(StaffAccountOut))  # with `disabled`
    next_cursor = NextCursor()


class CompoundPatchIn(CompoundIn):
    pass


class ProductPatchIn(ProductIn):
    pass


class DealPatchIn(DealIn):
    pass


class CouponTemplatePatchIn(CouponTemplateFields):
    """The window is checked here when both ends are given; the service checks one end against
    the stored other."""

    @validates_schema
    def window(self, data, **kwargs):
        if "valid_from" in data and "valid_until" in data and data["valid_until"] <= data["valid_from"]:
            raise ValidationError("must be after valid_from", "valid_until")


def patch_of(schema: type) -> Schema:
    """`schema` with every field optional: a PATCH body names only what it changes (and gets no
    defaults for what it leaves out)."""
    return schema(partial=True)
