"""The staff web console at /console/: server-rendered pages over the same services as the JSON API.

Staff sign in with a cookie session (HttpOnly, SameSite=Lax, PERMANENT_SESSION_LIFETIME);
every form carries a CSRF token (Flask-WTF's CSRFProtect). The JSON API and the other pages
authenticate with bearer tokens, never with the cookie, so CSRF cannot ride on them: they
are exempt. A blueprint registered after the console is protected unless exempted too.
"""
from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from app.console.auth import SessionOnlyWithCookie
from app.console.blueprint import bp
from app.console.views import (  # noqa: F401  (each module adds its routes to bp)
    accounts,
    admin,
    campaigns,
    catalog,
    compounds,
    coupons,
    couriers,
    dashboard,
    earnings,
    group_deals,
    orders,
    portraits,
    prestock,
    promotions,
    reports,
    session,
    van_loads,
)


def register_console(app: Flask) -> None:
    """The cookie session (opened only when a cookie came), CSRF on every form, the
    token-authenticated blueprints exempt, then the console itself."""
    app.session_interface = SessionOnlyWithCookie()
    csrf = CSRFProtect(app)
    for blueprint in list(app.blueprints.values()):
        csrf.exempt(blueprint)
    app.register_blueprint(bp)
