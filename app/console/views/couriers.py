"""Couriers (小哥): route, badge preview and download, store-code rotation, registration (ops)."""
from __future__ import annotations

from io import BytesIO

from flask import current_app, flash, g, redirect, render_template, request, send_file, url_for
from sqlalchemy import select

from app.console.auth import requires
from app.console.blueprint import bp
from app.console.choices import compound_choices
from app.console.forms import Field, Form, load, run
from app.extensions import db
from app.models import Courier
from app.schemas.console import CourierIn
from app.services.audit import changes
from app.services.couriers import badges
from app.services.couriers import registry as courier_service

COURIER_FIELDS = (
    Field("employee_no", "工号", "Employee no.", help="字母、数字、-、_ · Letters, digits, - and _",
          attrs={"maxlength": 40}),
    Field("name", "姓名", "Name", attrs={"maxlength": 120}),
    Field("password", "手持端密码", "Handheld password", kind="password",
          help="至少 7 位 · At least 7 characters",
          attrs={"autocomplete": "new-password"}),
    Field("avatar_url", "头像链接", "Avatar URL", required=False,
          help="http(s) 链接或本站路径 · http(s) URL or a path"),
    Field("compound_ids", "配送小区", "Compounds on the route", kind="ids"),
)


def courier_form() -> Form:
    return Form(COURIER_FIELDS, choices={"compound_ids": compound_choices()})


def page(form: Form, status: int = 200):
    everyone = list(db.session.scalars(select(Courier).order_by(Courier.id)))
    return render_template("console/couriers.html", active="couriers", couriers=everyone, form=form), status


@bp.get("/couriers")
@requires("couriers")
def couriers():
    """Every courier with their route, and the form to register one."""
    return page(courier_form())


@bp.post("/couriers")
@requires("couriers")
def create_courier():
    """Register a courier (the same checks as POST /api/v1/console/couriers)."""
    form = courier_form()
    body = load(form, CourierIn, request.form)
    created = None if body is None else run(
        form, lambda: changes.create_courier(db.session, g.staff.id, body), conflict_field="employee_no")
    if not created:
        form.raw.pop("password", None)
        return page(form, 422)
    flash(f"已添加小哥 Courier added: {created.name} ({created.employee_no})")
    return redirect(url_for("console_web.courier", courier_id=created.id))


@bp.get("/couriers/<int:courier_id>")
@requires("couriers")
def courier(courier_id: int):
    """One courier: route, store link, badge preview, download and code rotation."""
    member = courier_service.get_courier(db.session, courier_id)
    link = badges.store_url(current_app.config["PUBLIC_URL"], member)
    return render_template("console/courier.html", active="couriers", courier=member, store_link=link)


@bp.get("/couriers/<int:courier_id>/badge.png")
@requires("couriers")
def courier_badge(courier_id: int):
    """The printable badge; `?download=1` saves it as a file."""
    member = courier_service.get_courier(db.session, courier_id)
    png = badges.badge_png(member, current_app.config["PUBLIC_URL"])
    return send_file(BytesIO(png), mimetype="image/png", as_attachment=request.args.get("download") == "1",
                     download_name=f"badge-{member.employee_no}.png")


@bp.post("/couriers/<int:courier_id>/rotate-code")
@requires("couriers")
def rotate_courier_code(courier_id: int):
    """A new store code: the old badge stops working (a lost or copied badge)."""
    member = courier_service.get_courier(db.session, courier_id)
    changes.rotate_courier_code(db.session, g.staff.id, member)
    db.session.commit()
    flash("已更换二维码，请打印新工牌 · "
          "New QR code issued: print the new badge; the old one no longer works.")
    return redirect(url_for("console_web.courier", courier_id=courier_id))
