"""Couriers' earnings for ops: a monthly statement per courier (page and CSV) and the commission
rates per category (the same audited change as the console API's)."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.console.auth import requires
from app.console.blueprint import bp
from app.console.views.reports import csv_file
from app.extensions import db
from app.models import Courier, utcnow
from app.models.earnings import DEFAULT_CATEGORY, MAX_RATE_BP
from app.schemas.earnings import parse_month
from app.services.audit import commission_rules
from app.services.couriers import registry
from app.services.earnings import rules, statements
from app.services.earnings.sheet import STATEMENT_COLUMNS, statement_rows

PERCENT = re.compile(r"\d{1,3}(\.\d{1,2})?")


def chosen_month() -> tuple[date, str | None]:
    """?month=YYYY-MM (default: this Shanghai month), and what was wrong with it."""
    typed = request.args.get("month", "").strip()
    if typed:
        try:
            return parse_month(typed), None
        except ValueError:
            return statements.shanghai_today(utcnow()), "请输入月份，如 2026-03 · Enter a month like 2026-03"
    return statements.shanghai_today(utcnow()), None


def chosen_statement():
    """(courier or None, statement or None, month, error) for ?courier_id=&month=."""
    month, error = chosen_month()
    courier_id = request.args.get("courier_id", "").strip()
    if error or not courier_id:
        return None, None, month, error
    courier = registry.get_courier(db.session, int(courier_id) if courier_id.isdigit() and len(courier_id) < 19 else 0)
    return courier, statements.statement(db.session, courier.id, statements.month_period(month)), month, None


@bp.get("/earnings")
@requires("earnings")
def earnings():
    """Pick a courier and a month: the statement, by category and line by line, and its CSV."""
    courier, statement, month, error = chosen_statement()
    couriers = db.session.scalars(select(Courier).order_by(Courier.name, Courier.id))
    return render_template("console/earnings.html", active="earnings", couriers=couriers, courier=courier,
                           statement=statement, month=month.strftime("%Y-%m"), error=error), 422 if error else 200


@bp.get("/earnings.csv")
@requires("earnings")
def earnings_csv():
    courier, statement, month, error = chosen_statement()
    if courier is None:
        return redirect(url_for("console_web.earnings", month=request.args.get("month")))
    filename = f"xiaoge-earnings-{courier.employee_no}-{month.strftime('%Y%m')}.csv"
    return csv_file(filename, STATEMENT_COLUMNS, statement_rows(statement))


def rates_page(error: str | None = None, status: int = 200):
    return render_template("console/commission_rules.html", active="earnings", rates=rules.overview(db.session),
                           error=error), status


@bp.get("/commission-rules")
@requires("earnings")
def commission_rules_page():
    """The default rate and every category's rate in force, each editable."""
    return rates_page()


@bp.post("/commission-rules")
@requires("earnings")
def set_commission_rule():
    """Set one rate from the form: `category` (blank: the default), `rate_pct` (blank: remove the rule)."""
    category = request.form.get("category", "").strip() or None
    typed = request.form.get("rate_pct", "").strip()
    rate_bp = basis_points(typed) if typed else None
    removing = category is not None and not typed
    if (rate_bp is None and not removing) or category == DEFAULT_CATEGORY or len(category or "") > 60:
        return rates_page("佣金率须为 0–100 之间、最多两位小数的百分数（默认佣金率不能留空）· A rate is a percentage "
                          "from 0 to 100, at most two decimals (the default cannot be blank)", 422)
    change = commission_rules.set_commission_rate(db.session, g.staff.id, category, rate_bp)
    db.session.commit()
    if change.changed:
        flash("已保存佣金率 · Rate saved")
    return redirect(url_for("console_web.commission_rules_page"))


def basis_points(typed: str) -> int | None:
    """"5.5" (percent) -> 550; None for a blank or anything not a percentage from 0 to 100."""
    if not PERCENT.fullmatch(typed):
        return None
    try:
        bp_ = int(Decimal(typed) * 100)
    except InvalidOperation:
        return None
    return bp_ if bp_ <= MAX_RATE_BP else None
