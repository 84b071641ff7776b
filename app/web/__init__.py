"""The H5 landing page `/s/<courier_code>`: where a badge scan lands outside WeChat.

Inside WeChat the same link opens the mini-program (WeChat's "scan an ordinary link"
rule); every other scanner gets this page: the courier, the compounds on their route and
a call to open the link in WeChat. No external assets: CSS is served by this blueprint.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import select

from app.extensions import db
from app.models import Courier
from app.services.badges import placeholder_colour
from app.services.courier_codes import MAX_CODE_LENGTH
from app.services.couriers import store_url

bp = Blueprint(
    "web", __name__,
    template_folder="templates", static_folder="static", static_url_path="/web-static",
)


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
        compounds=[c.name for c in courier.compounds],
        link=store_url(_public_url(), courier),
    )
