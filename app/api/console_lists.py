"""Console lists, a page at a time: `?limit=&cursor=` -> `{"<plural>": [...], "next_cursor"}`.

Who may read a list: whoever may create that kind of thing; marketing also reads compounds
and products, which its deals, coupons and campaigns point at.
"""
from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from app.api.auth import auth_required
from app.extensions import db
from app.models import Campaign, CampaignPrize, Compound, CouponTemplate, Courier, Deal, Product, Staff
from app.schemas import console_pages as s
from app.schemas.paging import PageArgs
from app.services.paging import keyset_page

blp = Blueprint("console_lists", __name__, url_prefix="/api/v1/console", description="Console lists")


def page(plural: str, model, args: dict, *options) -> dict:
    found = keyset_page(db.session, model, args["cursor"], args["limit"], *options)
    return {plural: found.items, "next_cursor": found.next_after}


@blp.get("/compounds")
@auth_required("staff", "ops", "marketing")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.CompoundPage)
def list_compounds(args):
    """Compounds, oldest first, a page at a time."""
    return page("compounds", Compound, args)


@blp.get("/couriers")
@auth_required("staff", "ops")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.CourierPage)
def list_couriers(args):
    """Couriers with their routes, a page at a time."""
    return page("couriers", Courier, args)


@blp.get("/products")
@auth_required("staff", "ops", "marketing")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.ProductPage)
def list_products(args):
    """The catalogue, a page at a time."""
    return page("products", Product, args)


@blp.get("/deals")
@auth_required("staff", "marketing")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.DealPage)
def list_deals(args):
    """Deals with their compounds, a page at a time."""
    return page("deals", Deal, args)


@blp.get("/coupon-templates")
@auth_required("staff", "marketing")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.CouponTemplatePage)
def list_coupon_templates(args):
    """Coupon templates with their stock and compounds, a page at a time."""
    return page("coupon_templates", CouponTemplate, args, selectinload(CouponTemplate.compounds))


@blp.get("/campaigns")
@auth_required("staff", "marketing")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.CampaignPage)
def list_campaigns(args):
    """Campaigns with their compounds and prize pools, a page at a time."""
    prizes = selectinload(Campaign.prizes)
    return page("campaigns", Campaign, args, selectinload(Campaign.compounds),
                prizes.selectinload(CampaignPrize.coupon_template), prizes.selectinload(CampaignPrize.product))


@blp.get("/staff")
@auth_required("staff", "admin")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.StaffPage)
def list_staff(args):
    """Staff accounts (admin only), a page at a time."""
    return page("staff", Staff, args)
