"""Courier (handheld) API: sign-in, profile and the printable badge."""
from __future__ import annotations

from io import BytesIO

from flask import current_app, send_file
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.auth import auth_required, principal
from app.api.errors import ErrorBody
from app.extensions import db
from app.rate_limits import limit_sign_in
from app.schemas.base import In, Secret, Text
from app.schemas.common import PNG_FILE, CourierEnvelope, CourierOut
from app.services.couriers import badges, registry
from app.wiring import tokens

blp = Blueprint("courier", __name__, url_prefix="/api/v1/courier", description="Courier handheld")


class CourierSignIn(In):
    employee_no = Text(40, required=True)
    password = Secret(required=True)


class CourierSignedIn(Schema):
    token = fields.String()
    expires_in = fields.Integer()
    courier = fields.Nested(CourierOut)


@blp.post("/auth")
@limit_sign_in("employee_no", accounts="courier")
@blp.alt_response(429, schema=ErrorBody,
                  description="rate_limited (per client address and per account), with retry_after_seconds")
@blp.arguments(CourierSignIn)
@blp.response(200, CourierSignedIn)
def sign_in(body):
    """Sign in with employee number and password."""
    courier = registry.authenticate_courier(db.session, body["employee_no"], body["password"])
    issuer = tokens()
    return {"token": issuer.issue("courier", courier.id, token_version=courier.token_version),
            "expires_in": issuer.ttl("courier"),
            "courier": courier}


@blp.get("/me")
@auth_required("courier")
@blp.response(200, CourierEnvelope)
def me():
    """The signed-in courier with today's route."""
    return {"courier": registry.get_courier(db.session, principal().subject_id)}


@blp.get("/badge.png")
@auth_required("courier")
@blp.response(200, PNG_FILE, content_type="image/png")
def badge():
    """The courier's own printable QR badge."""
    courier = registry.get_courier(db.session, principal().subject_id)
    png = badges.badge_png(courier, current_app.config["PUBLIC_URL"])
    return send_file(BytesIO(png), mimetype="image/png")
