"""Coupon templates (marketing): stock and claims so far, and the form to offer a new one."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.console.auth import requires
from app.console.blueprint import bp
from app.console.choices import compound_choices
from app.console.forms import Field, Form, load, run
from app.extensions import db
from app.models import CouponTemplate
from app.schemas.console import CouponTemplateIn
from app.services.audit import changes

COUPON_FIELDS = (
    Field("title", "券名", "Title", help="如 满30减5 · e.g. 30 off 5", attrs={"maxlength": 120}),
    Field("discount_fen", "减免金额", "Discount", kind="yuan"),
    Field("threshold_fen", "使用门槛", "Minimum spend", kind="yuan", help="0 为无门槛 · 0: no minimum"),
    Field("total", "发放总量", "Total stock", kind="int"),
    Field("per_shopper_limit", "每人限领", "Per shopper", kind="int", help="1–100"),
    Field("compound_ids", "小区", "Compounds", kind="ids"),
    Field("valid_from", "生效时间", "Valid from", kind="when", help="北京时间 Beijing time"),
    Field("valid_until", "失效时间", "Valid until", kind="when"),
)


def coupon_form() -> Form:
    return Form(COUPON_FIELDS, choices={"compound_ids": compound_choices()})


def page(form: Form, status: int = 200):
    templates = list(db.session.scalars(select(CouponTemplate).order_by(CouponTemplate.id.desc()).limit(500)))
    return render_template("console/coupons.html", active="coupons", templates=templates, form=form), status


@bp.get("/coupons")
@requires("coupons")
def coupons():
    """Coupon templates with what is left, and the form to add one."""
    return page(coupon_form())


@bp.post("/coupons")
@requires("coupons")
def create_coupon_template():
    """Offer a coupon (the same checks as POST /api/v1/console/coupon-templates)."""
    form = coupon_form()
    body = load(form, CouponTemplateIn, request.form)
    created = None if body is None else run(
        form, lambda: changes.create_coupon_template(db.session, g.staff.id, body))
    if not created:
        return page(form, 422)
    flash(f"已添加优惠券 Coupon added: {created.title}")
    return redirect(url_for("console_web.coupons"))
