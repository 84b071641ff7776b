"""Group deals (拼团, marketing): the list with each deal's progress, and the form to open one."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.actions import group_deals as group_actions
from app.console.auth import requires
from app.console.blueprint import bp
from app.console.choices import compound_choices
from app.console.display import yuan
from app.console.forms import Field, Form, load, run
from app.extensions import db
from app.models import GroupDeal, Product
from app.schemas.groups import GroupDealIn

GROUP_DEAL_FIELDS = (
    Field("product_id", "商品", "Product", kind="choice_id"),
    Field("compound_id", "小区", "Compound", kind="choice_id"),
    Field("group_price_fen", "拼团价", "Group price", kind="yuan", help="不高于原价 · At most the list price"),
    Field("min_households", "成团户数", "Households to unlock", kind="int"),
    Field("max_households", "最多户数", "Most households", kind="int", required=False,
          help="留空则不限 · Blank: no cap"),
    Field("min_amount_fen", "成团金额", "Amount to unlock", kind="yuan", required=False,
          help="户数或金额先到即成团 · Households or amount, whichever comes first"),
    Field("deadline", "截止", "Deadline", kind="when", help="北京时间 · Beijing time"),
)


@bp.get("/group-deals")
@requires("group_deals")
def group_deals():
    """Group deals with their progress, and the form to open one."""
    return group_deals_page(group_deal_form())


@bp.post("/group-deals")
@requires("group_deals")
def create_group_deal():
    form = group_deal_form()
    body = load(form, GroupDealIn, request.form)
    created = None if body is None else run(form, lambda: group_actions.open_deal(g.staff.id, body))
    if not created:
        return group_deals_page(form, 422)
    flash(f"已开团 Group deal opened: {created.product.name} {yuan(created.group_price_fen)}")
    return redirect(url_for("console_web.group_deals"))


def group_deals_page(form: Form, status: int = 200):
    listed = list(db.session.scalars(select(GroupDeal).order_by(GroupDeal.id.desc()).limit(500)))
    return render_template("console/group_deals.html", active="group_deals", deals=listed, form=form), status


def group_deal_form() -> Form:
    products = db.session.scalars(select(Product).order_by(Product.name, Product.id))
    return Form(GROUP_DEAL_FIELDS, choices={
        "product_id": [(p.id, f"{p.name} · {yuan(p.price_fen)}") for p in products],
        "compound_id": compound_choices(),
    })
