"""The courier's touch web app at `/handheld/`: the browser twin of the `handheld` CLI.

One page, five plain-JS files sharing one namespace (SCRIPTS, loaded in that order), one
stylesheet, no build step. The page is static (the scripts sign in and fill it from the
courier API); `sw.js` caches that shell, with the vendored socket.io client, so the page
reloads without a network and still shows the taps queued in IndexedDB. No external
assets: see app/web/vendor.py.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, current_app, render_template, url_for

from app.web.vendor import NODE_MODULES, VENDORED

bp = Blueprint(
    "handheld_web", __name__, url_prefix="/handheld",
    template_folder="templates", static_folder="static",
)

HERE = Path(__file__).resolve().parent
# The page's own scripts, in load order: the basics and the outbox, the pick list, the van load,
# the loading list, the store's earnings, then the sign-in, route and socket (which boots the app). index.html
# loads them in this order.
SCRIPTS = ["outbox.js", "picks.js", "vanload.js", "prestock.js", "earnings.js", "handheld.js"]
SHELL_FILES = [HERE / "templates/handheld_web/index.html", *(HERE / "static" / name for name in SCRIPTS),
               HERE / "static/handheld.css", HERE / "templates/handheld_web/sw.js",
               NODE_MODULES / VENDORED["socket.io.min.js"]]

# Scripts, styles, workers and connections only to this site (ws:/wss: for browsers whose
# 'self' misses WebSockets). The page loads no pictures but its own.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "connect-src 'self' ws: wss:", "worker-src 'self'",
    "img-src 'self' data:", "style-src 'self'", "base-uri 'none'", "form-action 'self'",
    "frame-ancestors 'none'", "object-src 'none'",
])


def shell_urls() -> list[str]:
    """What the service worker keeps for offline reloads: the page and everything it loads."""
    return [url_for("handheld_web.page"),
            *(url_for("handheld_web.static", filename=name) for name in SCRIPTS),
            url_for("handheld_web.static", filename="handheld.css"),
            url_for("vendor.vendored", name="socket.io.min.js")]


def shell_version() -> str:
    """Changes whenever a shell file does, so a new service worker re-caches the shell."""
    digest = hashlib.sha256()
    for path in SHELL_FILES:
        digest.update(path.read_bytes() if path.is_file() else b"missing")
    return digest.hexdigest()[:16]


def _no_cache(response, content_security_policy: bool = True):
    # Always revalidated: the service worker, not the HTTP cache, decides what runs offline.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    if content_security_policy:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@bp.get("/")
def page():
    """The app shell: sign-in, today's route, arrivals and the pick list."""
    html = render_template("handheld_web/index.html", api_base="/api/v1",
                           worker_url=url_for("handheld_web.service_worker"),
                           scope=url_for("handheld_web.page"))
    return _no_cache(current_app.make_response(html))


@bp.get("/sw.js")
def service_worker():
    """The service worker (scope /handheld/): serves the cached shell when the network is down."""
    source = render_template("handheld_web/sw.js", cache_name=f"xiaoge-handheld-{shell_version()}",
                             shell=shell_urls(), page=url_for("handheld_web.page"))
    response = current_app.make_response(source)
    response.mimetype = "text/javascript"
    return _no_cache(response, content_security_policy=False)
