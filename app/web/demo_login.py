"""`POST /s/<courier_code>/demo-login`: a shopper session for a visitor of the demo.

Outside WeChat there is no wx.login. In demo mode (`XIAOGE_DEMO`) the WeChat API is the
sandbox, so the page asks it for a login code through its test hook and signs in through
the same service the mini-program's `POST /api/v1/auth/wechat` uses. Anywhere else this
route answers 404, as if it did not exist.
"""
from __future__ import annotations

import secrets

import requests
from flask import abort, current_app, jsonify

from app.extensions import db
from app.models import utcnow
from app.schemas.shopper import ShopperSignedIn
from app.services.accounts import shoppers
from app.services.couriers.codes import MAX_CODE_LENGTH
from app.services.couriers.registry import courier_by_code
from app.services.errors import UnknownCourier
from app.wiring import tokens, wechat
from wechat.errors import WeChatUnavailable


def demo_login(courier_code: str):
    """Sign a demo visitor in as a fresh sandbox WeChat user; answered like /api/v1/auth/wechat."""
    if not current_app.config.get("XIAOGE_DEMO"):
        abort(404)
    if len(courier_code) > MAX_CODE_LENGTH:
        raise UnknownCourier()
    courier_by_code(db.session, courier_code)  # 404 unknown_courier for a stale link
    code = mint_sandbox_login_code(f"demo-web-{secrets.token_urlsafe(12)}")
    shopper = shoppers.login_with_wechat(db.session, wechat(), code, utcnow())
    db.session.commit()
    issuer = tokens()
    return jsonify(ShopperSignedIn().dump({
        "token": issuer.issue("shopper", shopper.id), "expires_in": issuer.ttl("shopper"),
        "shopper": shopper,
    }))


def mint_sandbox_login_code(openid: str) -> str:
    """A wx.login code from the sandbox's test hook (what a phone would get from wx.login)."""
    base = current_app.config["WECHAT_API_BASE"].rstrip("/")
    try:
        answer = requests.post(f"{base}/sandbox/login-codes", json={"openid": openid},
                               timeout=current_app.config.get("WECHAT_TIMEOUT_SECONDS", 5.0))
        answer.raise_for_status()
        code = answer.json()["code"]
    except (requests.RequestException, ValueError, KeyError, TypeError) as failure:
        current_app.logger.warning("demo login: the WeChat sandbox gave no login code: %s", failure)
        raise WeChatUnavailable() from None
    if not isinstance(code, str) or not code:
        raise WeChatUnavailable()
    return code
