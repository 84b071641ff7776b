"""The H5 store `/s/<courier_code>`: where a badge scan lands outside WeChat.

Inside WeChat the same link opens the mini-program (WeChat's "scan an ordinary link"
rule); every other scanner gets this page. Without JavaScript it shows the courier, the
compounds on their route and a call to open the link in WeChat. With JavaScript
(static/store.js) a signed-in visitor shops: storefront, coupons, live counters and the
shake. In demo mode a visitor signs in through `demo_login`. No external assets: CSS and
JS are served by this blueprint, socket.io-client by app/web/vendor.py.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import select

from app.extensions import db
from app.models import Courier
from app.services.couriers.badges import placeholder_colour, store_url
from app.services.couriers.codes import MAX_CODE_LENGTH
from app.web.demo_login import demo_login

bp = Blueprint(
    "web", __name__,
    template_folder="templates", static_folder="static", static_url_path="/web-static",
)


# Scripts and connections only to this site (ws:/wss: for browsers whose 'self' misses
# WebSockets); pictures (courier avatars, product photos) may live elsewhere.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "connect-src 'self' ws: wss:",
    "img-src 'self' https: http: data:", "style-src 'self' 'unsafe-inline'",
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'", "object-src 'none'",
])


def _public_url() -> str:
    return (current_app.config.get("PUBLIC_URL") or request.url_root).rstrip("/")


def _avatar_src(url: str | None) -> str | None:
    """Only http(s) or same-site avatar URLs reach an <img src>."""
    if not url:
        return None
    if url.startswith(("https://", "http://")):
        return url
    if url.startswith("/") and not url.startswith("//"):
        return url
    return None


def _page(template: str, status: int, **context):
    response = current_app.make_response((render_template(template, **context), status))
    # The code in the URL is the courier's unguessable key: keep it out of referrers
    # and search engines.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@bp.get("/s/<courier_code>")
def store(courier_code: str):
    courier = None
    if len(courier_code) <= MAX_CODE_LENGTH:
        courier = db.session.scalar(select(Courier).where(Courier.courier_code == courier_code))
    if courier is None:
        return _page("web/not_found.html", 404)
    name = courier.name.strip()
    return _page(
        "web/store.html", 200,
        courier=courier,
        name=name,
        initial=name[:1].upper() or "?",
        colour=placeholder_colour(name),
        avatar_src=_avatar_src(courier.avatar_url),
        compounds=[{"id": c.id, "name": c.name} for c in courier.compounds],
        link=store_url(_public_url(), courier),
        demo=bool(current_app.config.get("XIAOGE_DEMO")),
        pay_page=sandbox_pay_page(),
    )


def sandbox_pay_page() -> str:
    """In the demo, where a shopper outside WeChat pays: the sandbox's WeChat Pay page (it pays
    and comes back). Empty otherwise: a real payment needs WeChat (wx.requestPayment)."""
    base = current_app.config.get("WECHATPAY_API_BASE") or ""
    if not current_app.config.get("XIAOGE_DEMO") or not base or "api.mch.weixin.qq.com" in base:
        return ""
    return base.rstrip("/") + "/sandbox/pay/page"


@bp.get("/draws/<int:round_id>")
def draws(round_id: int):
    """A closed round's draws checked in the browser (static/draws.js, handheld/verify.py's rules):
    anyone may open it; `?commitment=` is the seed_sha256 they saw when the round opened."""
    return _page("web/draws.html", 200, round_id=round_id, commitment=request.args.get("commitment", "")[:64])


# Answers 404 unless the app runs in demo mode (checked per request).
bp.add_url_rule("/s/<courier_code>/demo-login", view_func=demo_login, methods=["POST"])
