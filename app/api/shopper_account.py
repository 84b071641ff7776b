"""Shopper sign-in through WeChat, profile and phone number."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from app.api.auth import auth_required, principal
from app.api.errors import ErrorBody
from app.extensions import db
from app.models import utcnow
from app.rate_limits import limit_wechat_login
from app.schemas import shopper as s
from app.services.accounts import shoppers
from app.wiring import tokens, wechat

blp = Blueprint("shopper_account", __name__, url_prefix="/api/v1", description="Shopper sign-in")


@blp.post("/auth/wechat")
@limit_wechat_login()
@blp.alt_response(429, schema=ErrorBody,
                  description="rate_limited (per client address), with retry_after_seconds")
@blp.arguments(s.WeChatLogin)
@blp.response(200, s.ShopperSignedIn)
def wechat_login(body):
    """Exchange a wx.login code for a shopper token (the session_key stays here)."""
    shopper = shoppers.login_with_wechat(db.session, wechat(), body["code"], utcnow())
    db.session.commit()
    issuer = tokens()
    return {"token": issuer.issue("shopper", shopper.id), "expires_in": issuer.ttl("shopper"),
            "shopper": shopper}


@blp.post("/me/profile")
@auth_required("shopper")
@blp.arguments(s.EncryptedProfile)
@blp.response(200, s.ShopperEnvelope)
def update_profile(body):
    """Set nickname and avatar from wx.getUserInfo's encrypted data."""
    shopper = shoppers.get_shopper(db.session, principal().subject_id)
    shoppers.update_profile(shopper, current_app.config["WECHAT_APPID"], body["encrypted_data"], body["iv"])
    db.session.commit()
    return {"shopper": shopper}


@blp.post("/me/phone")
@auth_required("shopper")
@blp.arguments(s.PhoneCode)
@blp.response(200, s.MaskedPhone)
def bind_phone(body):
    """Bind the phone number behind a getPhoneNumber code; answered masked."""
    shopper = shoppers.get_shopper(db.session, principal().subject_id)
    phone = shoppers.bind_phone(shopper, wechat(), body["code"])
    db.session.commit()
    return {"phone": shoppers.mask_phone(phone)}
