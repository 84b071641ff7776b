"""The application factory: create_app(config) builds an app (extensions, services, APIs, sockets, CLI).

Server policy (keep-alive turns, garbage collector, worker settings) is gunicorn.conf.py's.
"""
from __future__ import annotations

import secrets

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config as settings
from app import metrics, rate_limits, request_log
from app.actions import admission
from app.actions import store as store_actions
from app.api import IdConverter, register_api
from app.api.errors import XiaogeApi, register_error_handlers
from app.cli import register_commands
from app.console import register_console
from app.database import configure_sqlite, engine_options
from app.extensions import db, migrate
from app.handheld_web import bp as handheld_web_bp
from app.realtime import init_socketio, register_namespaces, start_background_tasks_on_first_request
from app.web import bp as web_bp
from app.web.vendor import bp as vendor_bp
from app.wiring import wire_services


def create_app(config: dict | None = None) -> Flask:
    """Build an app from the environment, overridden by `config` (tests pass their own)."""
    app = Flask(__name__, instance_path=str(settings.INSTANCE_DIR))
    app.url_map.converters["int"] = IdConverter
    app.config.update(settings.from_environment())
    app.config.update(openapi_settings())
    app.config.update(config or {})
    ensure_secret_key(app)
    https_only_when_public_url_is(app)

    register_extensions(app)
    register_services(app)
    register_blueprints(app)
    register_socket_handlers(app)
    register_error_handlers(app)
    register_commands(app)
    trust_proxies(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Believe X-Forwarded-For/-Proto from exactly PROXY_HOPS proxies (and nobody else)."""
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


# Browsers that once saw the site over HTTPS keep to HTTPS for a year (no subdomains: they may
# not all be ours).
HSTS = "max-age=31536000"


def https_only_when_public_url_is(app: Flask) -> None:
    """Behind an https PUBLIC_URL: the console cookie travels over HTTPS only, and every answer
    tells browsers to stay on HTTPS (HSTS)."""
    if not app.config["PUBLIC_URL"].lower().startswith("https://"):
        return
    app.config["SESSION_COOKIE_SECURE"] = True

    @app.after_request
    def strict_transport_security(response):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response


def openapi_settings() -> dict:
    return {
        "API_TITLE": "Xiaoge courier smart store",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}
            }
        },
        "JSON_AS_ASCII": False,
    }


def ensure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("XIAOGE_DEMO") or app.config.get("TESTING"):
        # Tokens die with the process: a demo can afford that, a deployment cannot.
        app.config["SECRET_KEY"] = secrets.token_urlsafe(32)
        return
    raise RuntimeError("SECRET_KEY is required (set XIAOGE_DEMO=1 for a throwaway demo key)")


def register_extensions(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        settings.INSTANCE_DIR.mkdir(exist_ok=True)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config))
    db.init_app(app)
    rate_limits.init_app(app)  # checked by the sign-in views alone: no per-request hook
    metrics.init_app(app)  # /metrics behind METRICS_TOKEN; the database error counter
    request_log.init_app(app)  # X-Request-Id on every log record and answer; LOG_FORMAT=json
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(settings.INSTANCE_DIR.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    # One Api per app (not a module singleton): each app gets its own OpenAPI document.
    app.extensions["xiaoge.api"] = XiaogeApi(app)
    init_socketio(app)


def register_services(app: Flask) -> None:
    """The service objects (tokens, WeChat, the draw engine), this worker's shake admission and
    its `live` pushes."""
    wire_services(app)
    admission.init_app(app)
    store_actions.init_app(app)


def register_socket_handlers(app: Flask) -> None:
    """The Socket.IO namespaces, and the background loops that start once the app serves."""
    register_namespaces()
    start_background_tasks_on_first_request(app)


def register_blueprints(app: Flask) -> None:
    register_api(app.extensions["xiaoge.api"])
    app.register_blueprint(web_bp)
    app.register_blueprint(vendor_bp)
    app.register_blueprint(handheld_web_bp)
    register_console(app)  # last: it exempts the token-authenticated blueprints above from CSRF
