"""The courier's store in money: statements (month, day) and the commission rates ops set."""
from __future__ import annotations

import re
from datetime import date

from marshmallow import Schema, ValidationError, fields, post_load, validates

from app.models.earnings import DEFAULT_CATEGORY, MAX_RATE_BP
from app.schemas.base import Count, In, Text

MONTH = re.compile(r"(20\d\d)-(0[1-9]|1[0-2])")


def parse_month(text: str) -> date:
    """"YYYY-MM" (2000-2099) as the first day of that month; ValueError otherwise."""
    match = MONTH.fullmatch(text.strip())
    if match is None:
        raise ValueError("must be a month like 2026-03")
    return date(int(match[1]), int(match[2]), 1)


class MonthArgs(In):
    month = fields.String(load_default=None, metadata={"description": "YYYY-MM, an Asia/Shanghai month; "
                                                                       "default: this month"})

    @post_load
    def first_day(self, data, **kwargs):
        if data["month"] is not None:
            try:
                data["month"] = parse_month(data["month"])
            except ValueError as error:
                raise ValidationError({"month": [str(error)]}) from None
        return data


class DayArgs(In):
    date = fields.Date(load_default=None, metadata={"description": "YYYY-MM-DD, an Asia/Shanghai day; default: today"})


class CategoryTotalOut(Schema):
    category = fields.String()
    units = fields.Integer(metadata={"description": "units sold and handed over"})
    free_units = fields.Integer(metadata={"description": "won shake items handed over (no sales)"})
    sales_fen = fields.Integer()
    rate_bp = fields.Integer(metadata={"description": "the category's commission rate, basis points"})
    commission_fen = fields.Integer()


class FiguresOut(Schema):
    orders = fields.Integer(metadata={"description": "store orders handed over in the period and not paid back"})
    sales_fen = fields.Integer(metadata={"description": "line totals after the order's discount and refunds, pro rata"})
    commission_fen = fields.Integer(metadata={"description": "per line at its category's rate, rounded half up"})
    by_category = fields.List(fields.Nested(CategoryTotalOut))
    free_items = fields.Integer(metadata={"description": "won shake items handed over"})
    coupon_claims = fields.Integer(metadata={"description": "coupons claimed through the courier's store"})
    shake_wins = fields.Integer(metadata={"description": "prizes won in rounds the courier's arrivals opened"})


class MonthEarningsOut(FiguresOut):
    month = fields.String(attribute="period.label", metadata={"description": "YYYY-MM"})


class DayEarningsOut(FiguresOut):
    date = fields.String(attribute="period.label", metadata={"description": "YYYY-MM-DD"})


class CourierRef(Schema):
    id = fields.Integer()
    name = fields.String()
    employee_no = fields.String()


class ConsoleEarningsOut(MonthEarningsOut):
    courier = fields.Nested(CourierRef)


class CommissionRateIn(In):
    category = Text(60, load_default=None, allow_none=True,
                    metadata={"description": "a product category; null or absent: the default rate"})
    rate_bp = Count(0, MAX_RATE_BP, required=True, allow_none=True,
                    metadata={"description": "basis points (550 = 5.5 %); null removes the rule"})
    effective_from = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "extension: the Asia/Shanghai day the rate applies from (default: now); not ahead, "
                       "nor before the rate's last change. Lines handed over before it keep the earlier rate"})

    @validates("category")
    def not_the_default_key(self, value, **kwargs):
        if value == DEFAULT_CATEGORY:
            raise ValidationError("leave category out to set the default rate")


class CommissionRuleOut(Schema):
    category = fields.String()
    rate_bp = fields.Integer()
    updated_at = fields.AwareDateTime(format="iso")


class CategoryRateOut(Schema):
    category = fields.String()
    rate_bp = fields.Integer(metadata={"description": "the rate in force: its rule's, else the default"})
    has_rule = fields.Boolean()


class CommissionRulesOut(Schema):
    default_rate_bp = fields.Integer()
    rules = fields.List(fields.Nested(CommissionRuleOut))
    categories = fields.List(fields.Nested(CategoryRateOut), metadata={"description": "every product category"})
