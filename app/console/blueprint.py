"""The console Blueprint at /console/: who is signed in, error pages, headers, template helpers."""
from __future__ import annotations

import logging

from flask import Blueprint, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.console import auth, display
from app.extensions import db
from app.services.errors import RateLimited, ServiceError

log = logging.getLogger(__name__)

bp = Blueprint("console_web", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "connect-src 'self' ws: wss:", "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'", "base-uri 'none'", "form-action 'self'",
    "frame-ancestors 'none'", "object-src 'none'",
])


@bp.before_request
def load_staff():
    g.staff, g.session_expired = auth.load_signed_in_staff()


@bp.after_request
def console_headers(response):
    # Pages carry a socket token and business figures: never cached, never framed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.context_processor
def template_helpers():
    member = g.get("staff")
    return {"staff": member, "sections": auth.sections_for(member.role if member else None),
            "may": lambda section: member is not None and auth.may(member.role, section),
            **display.HELPERS}


ERROR_TEXT = {
    400: ("请求无效", "Bad request"), 403: ("无权访问", "You do not have access to this page"),
    404: ("找不到页面", "Page not found"), 405: ("不支持的操作", "Method not allowed"),
    409: ("操作冲突", "Conflict"), 413: ("内容过大", "Too large"),
    429: ("尝试次数过多，请稍后再试", "Too many attempts; try again later"),
    500: ("系统出错了", "Something went wrong on our side"),
}


def error_page(status: int, detail: str | None = None):
    zh, en = ERROR_TEXT.get(status, ERROR_TEXT[500] if status >= 500 else ERROR_TEXT[400])
    return render_template("console/error.html", status=status, zh=zh, en=en, detail=detail), status


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError):
    return error_page(400, "表单已失效，请返回刷新页面后重试 · The form has expired or is not from this "
                           f"console; go back, reload and try again. ({error.description})")


@bp.errorhandler(RateLimited)
def rate_limited(error: RateLimited):
    page, status = error_page(429)
    return page, status, {"Retry-After": str(error.retry_after_seconds)}


@bp.errorhandler(ServiceError)
def service_refusal(error: ServiceError):
    db.session.rollback()
    return error_page(error.status, error.message)


@bp.errorhandler(Exception)
def unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return error_page(error.code or 500)
    db.session.rollback()
    log.exception("console error on %s %s", request.method, request.path)
    return error_page(500)


@bp.route("/<path:unknown>")
def not_found(unknown):
    """Any other /console/ address: the console's own 404 page."""
    return error_page(404)
