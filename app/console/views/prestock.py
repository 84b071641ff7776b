"""A courier's loading list (装车单) for a day, as ops review it: edit quantities and save (what the
courier then sees), or load the van with it; and the safety margin every suggestion adds. Audited."""
from __future__ import annotations

from datetime import date

from flask import flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from app.console.auth import requires
from app.console.blueprint import bp
from app.console.views.van_loads import typed_items
from app.extensions import db
from app.models import Compound, Product, utcnow
from app.schemas.prestock import MarginIn, PrestockListIn, PrestockQuery
from app.services.audit import prestock as audited
from app.services.couriers import registry
from app.services.errors import ServiceError
from app.services.prestock import plans
from app.services.prestock.demand import Margin
from app.services.van import loads

BAD_QUANTITY = "数量须为 0 或以上的整数 · Quantities are whole numbers, 0 or more"


def asked_day() -> date:
    """The day asked for (`date` in the query or form), else today."""
    typed = request.values.get("date", "").strip()
    try:
        return PrestockQuery().load({"date": typed})["date"] if typed else loads.van_day(utcnow())
    except ValidationError:
        return loads.van_day(utcnow())


def prestock_page(courier_id: int, day: date, error: str | None = None, status: int = 200):
    courier = registry.get_courier(db.session, courier_id)
    loading = plans.loading_list(db.session, courier_id, day)
    shown = {cid for line in loading.items for cid in line.by_compound}
    names = dict(db.session.execute(select(Compound.id, Compound.name).where(Compound.id.in_(shown))).all())
    products = db.session.scalars(select(Product).order_by(Product.name, Product.id))
    return render_template("console/prestock.html", active="couriers", courier=courier, day=day,
                           loading=loading, compound_names=names,
                           margin=plans.margin(db.session), products=products, error=error), status


@bp.get("/couriers/<int:courier_id>/prestock")
@requires("couriers")
def prestock(courier_id: int):
    """The day's suggested (or reviewed) loading list, editable."""
    return prestock_page(courier_id, asked_day())


@bp.post("/couriers/<int:courier_id>/prestock")
@requires("couriers")
def save_prestock(courier_id: int):
    """Save the quantities typed as the day's list; with `confirm`, also make it the day's van load."""
    courier = registry.get_courier(db.session, courier_id)
    day = asked_day()
    try:
        items = PrestockListIn().load({"date": day.isoformat(), "items": typed_items(request.form)})["items"]
        if request.form.get("confirm"):
            audited.confirm(db.session, g.staff.id, courier, day, items, utcnow())
        else:
            audited.review(db.session, g.staff.id, courier, day, items, utcnow())
        db.session.commit()
    except ValidationError:
        db.session.rollback()
        return prestock_page(courier_id, day, BAD_QUANTITY, 422)
    except ServiceError as refusal:
        db.session.rollback()
        return prestock_page(courier_id, day, refusal.message, 409 if refusal.status == 409 else 422)
    flash("已装车 · Van loaded" if request.form.get("confirm") else "已保存装车单 · Loading list saved")
    return redirect(url_for("console_web.prestock", courier_id=courier_id, date=day.isoformat()))


@bp.post("/prestock/margin")
@requires("couriers")
def set_prestock_margin():
    """The safety margin on every suggestion (percent, and a minimum of units)."""
    back = request.form.get("courier_id", "")
    try:
        wanted = MarginIn().load({"percent": int(request.form.get("percent", "")),
                                  "minimum": int(request.form.get("minimum", ""))})
        audited.set_margin(db.session, g.staff.id, Margin(wanted["percent"], wanted["minimum"]), utcnow())
        db.session.commit()
        flash("已保存余量 · Margin saved")
    except (ValueError, ValidationError):
        db.session.rollback()
        flash("余量须为 0 或以上的整数 · The margin is whole numbers, 0 or more")
    if back.isdigit():
        return redirect(url_for("console_web.prestock", courier_id=int(back), date=request.form.get("date")))
    return redirect(url_for("console_web.couriers"))
