"""Products (ops) and compound deals (marketing): lists and the forms to add them."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.console.auth import requires
from app.console.blueprint import bp
from app.console.choices import compound_choices
from app.console.display import DEAL_KIND_LABELS, yuan
from app.console.forms import Field, Form, load, load_data, run
from app.extensions import db
from app.models import DEAL_KINDS, Deal, Product, utcnow
from app.schemas.console import DealIn, ProductIn
from app.services.audit import changes
from app.services.clearance import reports as clearance_reports
from app.wiring import price_sensitive_finder

PRODUCT_FIELDS = (
    Field("name", "商品名称", "Name", attrs={"maxlength": 120}),
    Field("category", "类目", "Category", attrs={"maxlength": 60}),
    Field("price_fen", "原价", "List price", kind="yuan"),
    Field("image_url", "图片链接", "Image URL", required=False,
          help="http(s) 链接或本站路径 · http(s) URL or a path"),
    Field("orderable_off_van", "可离车下单", "Orderable off the van", kind="flag", required=False,
          help="今天车上没有时也可下单，下一趟送 · Shoppers may order it when today's van lacks it: next run"),
)
DEAL_FIELDS = (
    Field("product_id", "商品", "Product", kind="choice_id"),
    Field("kind", "类型", "Kind", kind="choice",
          help="小区价、内购价（员工专享）或清仓 · Compound, staff (内购) or clearance"),
    Field("deal_price_fen", "特价", "Deal price", kind="yuan", help="不高于原价 · At most the list price"),
    Field("compound_ids", "小区", "Compounds", kind="ids", required=False),
    Field("target", "定向", "Target", kind="choice", required=False,
          help="清仓可投放给画像价格敏感的小区（代替所选小区）· Clearance: the price-sensitive compounds instead"),
    Field("starts_at", "开始", "Starts", kind="when", required=False,
          help="北京时间；留空即刻生效 · Beijing time; blank: now"),
    Field("ends_at", "结束", "Ends", kind="when", required=False,
          help="留空则长期有效；清仓必填 · Blank: no end; required for clearance"),
    Field("quantity", "清仓数量", "Clearance units", kind="int", required=False,
          help="仅清仓：按清仓价出售的件数 · Clearance only: units at the clearance price"),
    Field("group_price_fen", "居民拼团价", "Shoppers' group price", kind="yuan", required=False,
          help="填写则居民可发起拼团 · Set: shoppers may open a group deal on it"),
    Field("group_min_households", "拼团户数", "Group households", kind="int", required=False,
          help="与居民拼团价一起填 · With the group price"),
)
TARGET_CHOICES = [("", "所选小区 The compounds chosen"), ("price_sensitive", "价格敏感小区 Price-sensitive compounds")]


@bp.get("/products")
@requires("products")
def products():
    """The catalogue and the form to add a product."""
    return products_page(Form(PRODUCT_FIELDS))


@bp.post("/products")
@requires("products")
def create_product():
    form = Form(PRODUCT_FIELDS)
    body = load(form, ProductIn, request.form)
    created = None if body is None else run(
        form, lambda: changes.create_product(db.session, g.staff.id, body))
    if not created:
        return products_page(form, 422)
    flash(f"已添加商品 Product added: {created.name}")
    return redirect(url_for("console_web.products"))


def products_page(form: Form, status: int = 200):
    listed = list(db.session.scalars(select(Product).order_by(Product.id.desc())))
    return render_template("console/products.html", active="products", products=listed, form=form), status


def deal_form() -> Form:
    products_ = db.session.scalars(select(Product).order_by(Product.name, Product.id))
    return Form(DEAL_FIELDS, choices={
        "product_id": [(p.id, f"{p.name} · {yuan(p.price_fen)}") for p in products_],
        "kind": [(kind, " ".join(DEAL_KIND_LABELS[kind])) for kind in DEAL_KINDS],
        "compound_ids": compound_choices(),
        "target": TARGET_CHOICES,
    })


def deal_body(form: Form) -> dict | None:
    """The deal the form describes: its compounds, or its target instead (nothing for what is blank)."""
    data = form.read(request.form)
    if data.get("target") is None:
        data.pop("target", None)
    elif not data.get("compound_ids"):
        data.pop("compound_ids", None)
    return load_data(form, DealIn, data)


@bp.get("/deals")
@requires("deals")
def deals():
    """Compound deals and the form to offer one."""
    return deals_page(deal_form())


@bp.post("/deals")
@requires("deals")
def create_deal():
    form = deal_form()
    body = deal_body(form)
    created = None if body is None else run(
        form, lambda: changes.create_deal(db.session, g.staff.id, body, price_sensitive_finder()))
    if not created:
        return deals_page(form, 422)
    flash(f"已添加特价 Deal added: {created.product.name} {yuan(created.deal_price_fen)}")
    return redirect(url_for("console_web.deals"))


def deals_page(form: Form, status: int = 200):
    listed = list(db.session.scalars(select(Deal).order_by(Deal.id.desc()).limit(500)))
    return render_template("console/deals.html", active="deals", deals=listed, form=form), status


@bp.get("/deals/<int:deal_id>/clearance")
@requires("reports")
def clearance_report(deal_id: int):
    """What one clearance deal moved, by compound (404 for a deal that is not a clearance)."""
    report = clearance_reports.clearance_report(db.session, deal_id, utcnow())
    return render_template("console/clearance_report.html", active="deals", report=report)
