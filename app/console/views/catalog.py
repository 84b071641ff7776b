"""Products (ops) and compound deals (marketing): lists and the forms to add them."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.console.auth import requires
from app.console.blueprint import bp
from app.console.choices import compound_choices
from app.console.display import DEAL_KIND_LABELS, yuan
from app.console.forms import Field, Form, load, run
from app.extensions import db
from app.models import DEAL_KINDS, Deal, Product
from app.schemas.console import DealIn, ProductIn
from app.services.audit import changes

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
    Field("compound_ids", "小区", "Compounds", kind="ids"),
    Field("starts_at", "开始", "Starts", kind="when", required=False,
          help="北京时间；留空即刻生效 · Beijing time; blank: now"),
    Field("ends_at", "结束", "Ends", kind="when", required=False, help="留空则长期有效 · Blank: no end"),
)


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
    })


@bp.get("/deals")
@requires("deals")
def deals():
    """Compound deals and the form to offer one."""
    return deals_page(deal_form())


@bp.post("/deals")
@requires("deals")
def create_deal():
    form = deal_form()
    body = load(form, DealIn, request.form)
    created = None if body is None else run(
        form, lambda: changes.create_deal(db.session, g.staff.id, body))
    if not created:
        return deals_page(form, 422)
    flash(f"已添加特价 Deal added: {created.product.name} {yuan(created.deal_price_fen)}")
    return redirect(url_for("console_web.deals"))


def deals_page(form: Form, status: int = 200):
    listed = list(db.session.scalars(select(Deal).order_by(Deal.id.desc()).limit(500)))
    return render_template("console/deals.html", active="deals", deals=listed, form=form), status
