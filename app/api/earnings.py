"""The courier's store in money: his own statement (month, day) on the handheld; any courier's and
the commission rates for ops."""
from __future__ import annotations

from datetime import date

from flask_smorest import Blueprint

from app.api.auth import auth_required, principal
from app.extensions import db
from app.models import utcnow
from app.schemas.earnings import (CommissionRateIn, CommissionRulesOut, ConsoleEarningsOut, DayArgs, DayEarningsOut,
                                  MonthArgs, MonthEarningsOut)
from app.services.audit import commission_rules
from app.services.couriers import registry
from app.services.earnings import rules, statements
from app.services.earnings.statements import shanghai_midnight

blp = Blueprint("earnings", __name__, url_prefix="/api/v1", description="Courier earnings")


def month_statement(courier_id: int, month: date | None) -> statements.Statement:
    period = statements.month_period(month or statements.shanghai_today(utcnow()))
    return statements.statement(db.session, courier_id, period)


@blp.get("/courier/earnings")
@auth_required("courier")
@blp.arguments(MonthArgs, location="query")
@blp.response(200, MonthEarningsOut)
def courier_month(query):
    """The signed-in courier's month (Asia/Shanghai): orders handed over, sales, commission, by category."""
    return month_statement(principal().subject_id, query["month"])


@blp.get("/courier/earnings/day")
@auth_required("courier")
@blp.arguments(DayArgs, location="query")
@blp.response(200, DayEarningsOut)
def courier_day(query):
    """The signed-in courier's day (Asia/Shanghai; default today), counted as the month is."""
    period = statements.day_period(query["date"] or statements.shanghai_today(utcnow()))
    return statements.statement(db.session, principal().subject_id, period)


@blp.get("/console/couriers/<int:courier_id>/earnings")
@auth_required("staff", "ops")
@blp.arguments(MonthArgs, location="query")
@blp.response(200, ConsoleEarningsOut)
def console_month(query, courier_id):
    """A courier's monthly statement (the CSV is the console page's)."""
    courier = registry.get_courier(db.session, courier_id)
    return {**vars(month_statement(courier.id, query["month"])), "courier": courier}


@blp.get("/console/commission-rules")
@auth_required("staff", "ops")
@blp.response(200, CommissionRulesOut)
def commission_rules_overview():
    """The default rate, the rule per category, and every product category with the rate in force."""
    return rules.overview(db.session)


@blp.put("/console/commission-rules")
@auth_required("staff", "ops")
@blp.arguments(CommissionRateIn)
@blp.response(200, CommissionRulesOut)
def set_commission_rate(body):
    """Set a category's rate (no category: the default rate); a null rate removes the rule. Audited."""
    starts = body["effective_from"]
    commission_rules.set_commission_rate(db.session, principal().subject_id, body["category"], body["rate_bp"],
                                         shanghai_midnight(starts) if starts else None)
    db.session.commit()
    return rules.overview(db.session)
