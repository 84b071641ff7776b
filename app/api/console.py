"""Console API for staff: sign-in, staff accounts, compounds, couriers, products, deals, coupons.

Roles (API.md): ops runs compounds, couriers and products; marketing runs deals and
coupons (and campaigns); admin may do everything, staff accounts included.
"""
from __future__ import annotations

from io import BytesIO

from flask import current_app, send_file
from flask_smorest import Blueprint

from app.api.auth import auth_required, principal
from app.api.errors import ErrorBody
from app.extensions import db
from app.rate_limits import limit_sign_in
from app.schemas import console as s
from app.schemas.common import PNG_FILE
from app.services.accounts import staff
from app.services.audit import changes
from app.services.couriers import badges, registry
from app.wiring import price_sensitive_finder, tokens

blp = Blueprint("console", __name__, url_prefix="/api/v1/console", description="Staff console")


@blp.post("/auth")
@limit_sign_in("username", accounts="staff")
@blp.alt_response(429, schema=ErrorBody,
                  description="rate_limited (per client address and per account), with retry_after_seconds")
@blp.arguments(s.StaffSignIn)
@blp.response(200, s.StaffSignedIn)
def sign_in(body):
    """Sign in with username and password."""
    member = staff.authenticate_staff(db.session, body["username"], body["password"])
    issuer = tokens()
    return {"token": issuer.issue("staff", member.id, member.role, token_version=member.token_version),
            "expires_in": issuer.ttl("staff"), "staff": member}


@blp.post("/staff")
@auth_required("staff", "admin")
@blp.arguments(s.StaffIn)
@blp.response(201, s.StaffEnvelope)
def create_staff(body):
    """Create a staff account (admin only)."""
    member = changes.create_staff(db.session, principal().subject_id, body)
    db.session.commit()
    return {"staff": member}


@blp.post("/compounds")
@auth_required("staff", "ops")
@blp.arguments(s.CompoundIn)
@blp.response(201, s.CompoundEnvelope)
def create_compound(body):
    """Register a compound (小区) with its centre, radius and aliases."""
    compound = changes.create_compound(db.session, principal().subject_id, body)
    db.session.commit()
    return {"compound": compound}


@blp.post("/couriers")
@auth_required("staff", "ops")
@blp.arguments(s.CourierIn)
@blp.response(201, s.CourierEnvelope)
def create_courier(body):
    """Register a courier with the compounds on their route."""
    courier = changes.create_courier(db.session, principal().subject_id, body)
    db.session.commit()
    return {"courier": courier}


@blp.post("/couriers/<int:courier_id>/rotate-code")
@auth_required("staff", "ops")
@blp.response(200, s.CourierEnvelope)
def rotate_courier_code(courier_id):
    """Give the courier a new store code; the old badge stops working."""
    courier = registry.get_courier(db.session, courier_id)
    changes.rotate_courier_code(db.session, principal().subject_id, courier)
    db.session.commit()
    return {"courier": courier}


@blp.get("/couriers/<int:courier_id>/badge.png")
@auth_required("staff", "ops")
@blp.response(200, PNG_FILE, content_type="image/png")
def courier_badge(courier_id):
    """The courier's printable QR badge."""
    courier = registry.get_courier(db.session, courier_id)
    png = badges.badge_png(courier, current_app.config["PUBLIC_URL"])
    return send_file(BytesIO(png), mimetype="image/png",
                     download_name=f"badge-{courier.employee_no}.png")


@blp.post("/products")
@auth_required("staff", "ops")
@blp.arguments(s.ProductIn)
@blp.response(201, s.ProductEnvelope)
def create_product(body):
    """Add a product to the catalogue."""
    product = changes.create_product(db.session, principal().subject_id, body)
    db.session.commit()
    return {"product": product}


@blp.post("/deals")
@auth_required("staff", "marketing")
@blp.arguments(s.DealIn)
@blp.response(201, s.DealEnvelope)
def create_deal(body):
    """Offer a product at a deal price in some compounds (compound, staff 内购, clearance).

    A clearance needs a `quantity` and an `ends_at`; `"target": "price_sensitive"` instead of
    `compound_ids` offers it to the compounds whose portrait is price-sensitive."""
    deal = changes.create_deal(db.session, principal().subject_id, body, price_sensitive_finder())
    db.session.commit()
    return {"deal": deal}


@blp.post("/coupon-templates")
@auth_required("staff", "marketing")
@blp.arguments(s.CouponTemplateIn)
@blp.response(201, s.CouponTemplateEnvelope)
def create_coupon_template(body):
    """Offer a coupon to some compounds, with total stock and a per-shopper limit."""
    template = changes.create_coupon_template(db.session, principal().subject_id, body)
    db.session.commit()
    return {"coupon_template": template}
