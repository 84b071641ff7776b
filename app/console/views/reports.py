"""Reports per campaign and per compound, as tables and as CSV files (UTF-8 with BOM for Excel)."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

from flask import Response, render_template, request

from app.console.auth import requires
from app.console.blueprint import bp
from app.console.display import SHANGHAI
from app.extensions import db
from app.services.campaigns import reports as report_service
from app.services.campaigns.reports import CAMPAIGN_COLUMNS, COMPOUND_COLUMNS, Period

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def read_period() -> tuple[Period, dict[str, str], dict[str, str]]:
    """The period from ?from=YYYY-MM-DD&to=YYYY-MM-DD (Shanghai days, both included)."""
    typed = {"from": request.args.get("from", "").strip(), "to": request.args.get("to", "").strip()}
    days, errors = {}, {}
    for name, text in typed.items():
        if not text:
            continue
        try:
            days[name] = date.fromisoformat(text)
        except ValueError:
            errors[name] = "请输入日期，如 2025-06-01 · Enter a date like 2025-06-01"
    if "from" in days and "to" in days and days["to"] < days["from"]:
        errors["to"] = "须不早于开始日期 · Must not be before the first day"
    if errors:
        return Period(), typed, errors
    since = local_midnight(days["from"]) if "from" in days else None
    until = local_midnight(days["to"] + timedelta(days=1)) if "to" in days else None
    return Period(since, until), typed, errors


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


@bp.get("/reports")
@requires("reports")
def reports():
    """Both reports for the chosen days, with links to download each as CSV."""
    period, typed, errors = read_period()
    query = {key: value for key, value in typed.items() if value and not errors}
    return render_template(
        "console/reports.html", active="reports", typed=typed, errors=errors, query=query,
        campaign_columns=CAMPAIGN_COLUMNS, campaign_rows=report_service.campaign_report(db.session, period),
        compound_columns=COMPOUND_COLUMNS, compound_rows=report_service.compound_report(db.session, period),
    ), 422 if errors else 200


@bp.get("/reports/campaigns.csv")
@requires("reports")
def campaigns_csv():
    period, typed, _ = read_period()
    rows = report_service.campaign_report(db.session, period)
    return csv_download("campaigns", typed, CAMPAIGN_COLUMNS, rows)


@bp.get("/reports/compounds.csv")
@requires("reports")
def compounds_csv():
    period, typed, _ = read_period()
    rows = report_service.compound_report(db.session, period)
    return csv_download("compounds", typed, COMPOUND_COLUMNS, rows)


def csv_cell(value):
    """Text that a spreadsheet would run as a formula is quoted as plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_download(kind: str, typed: dict, columns, rows: list[dict]) -> Response:
    span = "-".join(typed[key].replace("-", "") for key in ("from", "to") if typed.get(key)) or "all"
    return csv_file(f"xiaoge-{kind}-{span}.csv", columns, rows)


def csv_file(filename: str, columns, rows: list[dict]) -> Response:
    """The rows as a CSV download (UTF-8 with BOM for Excel), a header "中文 English" per column."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f"{zh} {en}" for _, zh, en in columns])
    for row in rows:
        writer.writerow([csv_cell(row[key]) for key, _, _ in columns])
    response = Response(("\ufeff" + buffer.getvalue()).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response
