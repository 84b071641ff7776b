"""Console edits (`PATCH`) and deletions (`DELETE`, 204; 409 `in_use` while anything depends on
the row). Roles as for creating that kind of thing; staff accounts are the admin's."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api.auth import auth_required, principal
from app.extensions import db
from app.models import Campaign, Compound, CouponTemplate, Courier, Deal, Product, Staff
from app.schemas import console as out
from app.schemas import console_pages as s
from app.services.audit import edits
from app.services.rows import get_row
from app.wiring import price_sensitive_finder

blp = Blueprint("console_edits", __name__, url_prefix="/api/v1/console", description="Console edits")


@blp.patch("/compounds/<int:compound_id>")
@auth_required("staff", "ops")
@blp.arguments(s.patch_of(s.CompoundPatchIn))
@blp.response(200, out.CompoundEnvelope)
def edit_compound(body, compound_id):
    """Change any of a compound's fields."""
    compound = get_row(db.session, Compound, compound_id, "compound")
    edits.update_compound(db.session, principal().subject_id, compound, body)
    db.session.commit()
    return {"compound": compound}


@blp.patch("/products/<int:product_id>")
@auth_required("staff", "ops")
@blp.arguments(s.patch_of(s.ProductPatchIn))
@blp.response(200, out.ProductEnvelope)
def edit_product(body, product_id):
    """Change any of a product's fields; orders keep the price they were placed at."""
    product = get_row(db.session, Product, product_id, "product")
    edits.update_product(db.session, principal().subject_id, product, body)
    db.session.commit()
    return {"product": product}


@blp.patch("/deals/<int:deal_id>")
@auth_required("staff", "marketing")
@blp.arguments(s.patch_of(s.DealPatchIn))
@blp.response(200, out.DealEnvelope)
def edit_deal(body, deal_id):
    """Change any of a deal's fields, checked as a new deal's are."""
    deal = get_row(db.session, Deal, deal_id, "deal")
    edits.update_deal(db.session, principal().subject_id, deal, body, price_sensitive_finder())
    db.session.commit()
    return {"deal": deal}


@blp.patch("/coupon-templates/<int:template_id>")
@auth_required("staff", "marketing")
@blp.arguments(s.patch_of(s.CouponTemplatePatchIn))
@blp.response(200, out.CouponTemplateEnvelope)
def edit_coupon_template(body, template_id):
    """Change a coupon template; once coupons are issued their value stays (409 `in_use`)."""
    template = get_row(db.session, CouponTemplate, template_id, "coupon template")
    edits.update_coupon_template(db.session, principal().subject_id, template, body)
    db.session.commit()
    return {"coupon_template": template}


def deleted(model, row_id: int, what: str) -> None:
    edits.delete(db.session, principal().subject_id, get_row(db.session, model, row_id, what))
    db.session.commit()


@blp.delete("/compounds/<int:compound_id>")
@auth_required("staff", "ops")
@blp.response(204)
def delete_compound(compound_id):
    """Delete a compound no one lives in, ordered in, serves or runs anything in (else 409 `in_use`)."""
    deleted(Compound, compound_id, "compound")


@blp.delete("/couriers/<int:courier_id>")
@auth_required("staff", "ops")
@blp.response(204)
def delete_courier(courier_id):
    """Delete a courier who never arrived, sold or opened a store (else 409 `in_use`)."""
    deleted(Courier, courier_id, "courier")


@blp.delete("/products/<int:product_id>")
@auth_required("staff", "ops")
@blp.response(204)
def delete_product(product_id):
    """Delete a product never ordered and in no deal or prize (else 409 `in_use`)."""
    deleted(Product, product_id, "product")


@blp.delete("/deals/<int:deal_id>")
@auth_required("staff", "marketing")
@blp.response(204)
def delete_deal(deal_id):
    """Delete a deal (orders keep the price they were placed at)."""
    deleted(Deal, deal_id, "deal")


@blp.delete("/coupon-templates/<int:template_id>")
@auth_required("staff", "marketing")
@blp.response(204)
def delete_coupon_template(template_id):
    """Delete a coupon template with no coupon issued and in no campaign (else 409 `in_use`)."""
    deleted(CouponTemplate, template_id, "coupon template")


@blp.delete("/campaigns/<int:campaign_id>")
@auth_required("staff", "marketing")
@blp.response(204)
def delete_campaign(campaign_id):
    """Delete a campaign that never opened a round, with its prize pool (else 409 `in_use`)."""
    deleted(Campaign, campaign_id, "campaign")


@blp.delete("/staff/<int:staff_id>")
@auth_required("staff", "admin")
@blp.response(204)
def delete_staff(staff_id):
    """Delete a staff account that never made a change (else 409 `in_use`: disable it); not your own."""
    member = get_row(db.session, Staff, staff_id, "staff account")
    edits.delete_staff(db.session, principal().subject_id, member)
    db.session.commit()
