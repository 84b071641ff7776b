"""A courier's van load today (装车), as ops see and set it: the same change as the console API's, audited."""
from __future__ import annotations

import re

from flask import flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from app.console.auth import requires
from app.console.blueprint import bp
from app.extensions import db
from app.models import Product, utcnow
from app.schemas.van import VanLoadIn
from app.services.audit import van_loads
from app.services.couriers import registry
from app.services.errors import ServiceError
from app.services.van import loads

QUANTITY_INPUT = re.compile(r"q-(\d{1,19})")


def van_load_page(courier_id: int, error: str | None = None, status: int = 200):
    courier = registry.get_courier(db.session, courier_id)
    now = utcnow()
    day = loads.van_day(now)
    products = db.session.scalars(select(Product).order_by(Product.name, Product.id))
    return render_template("console/van_load.html", active="couriers", courier=courier, day=day,
                           items=loads.van_load(db.session, courier_id, day), products=products,
                           error=error), status


@bp.get("/couriers/<int:courier_id>/van-load")
@requires("couriers")
def van_load(courier_id: int):
    """What the courier's van carries today, and what orders and rounds reserved of it."""
    return van_load_page(courier_id)


@bp.post("/couriers/<int:courier_id>/van-load")
@requires("couriers")
def set_van_load(courier_id: int):
    """Replace today's van load with the quantities typed (a blank or 0 takes the product off)."""
    courier = registry.get_courier(db.session, courier_id)
    try:
        items = VanLoadIn().load({"items": typed_items(request.form)})["items"]
        van_loads.set_van_load(db.session, g.staff.id, courier, items, utcnow())
        db.session.commit()
    except ValidationError:
        db.session.rollback()
        return van_load_page(courier_id, "数量须为 0 或以上的整数 · Quantities are whole numbers, 0 or more", 422)
    except ServiceError as refusal:
        db.session.rollback()
        return van_load_page(courier_id, refusal.message, 409 if refusal.status == 409 else 422)
    flash("已保存装车 · Van load saved")
    return redirect(url_for("console_web.van_load", courier_id=courier_id))


def typed_items(form) -> list[dict]:
    """[{product_id, quantity}] from the form: one `q-<product id>` input a product, and the add row."""
    typed = {int(m.group(1)): text.strip() for name, text in form.items()
             if (m := QUANTITY_INPUT.fullmatch(name)) and text.strip()}
    added, added_quantity = form.get("add_product_id", "").strip(), form.get("add_quantity", "").strip()
    if added.isdigit() and added_quantity:
        typed[int(added)] = added_quantity
    return [{"product_id": pid, "quantity": int(text) if re.fullmatch(r"\d{1,9}", text) else text}
            for pid, text in typed.items()]
