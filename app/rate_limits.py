"""Rate limits on password sign-ins: per client address and account, shared across workers.

Built on `limits` (Flask-Limiter's core library) directly. Each limit is checked by the view it
decorates (`limit_sign_in`), on POST only; nothing runs for any other request: no before-request
hook. Over the limit a view raises `RateLimited`: API.md's 429 `rate_limited` with
`retry_after_seconds` and a Retry-After header (app/api/errors.py), the console's 429 page
(app/console/blueprint.py).
"""
from __future__ import annotations

import functools
import logging
import math
import time

from flask import Flask, current_app, request
from limits import parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app import metrics
from app.services.errors import RateLimited, Unavailable

log = logging.getLogger(__name__)

# Enough for a courier fumbling a password with gloves on; far too few to guess one.
SIGN_IN_LIMIT = "10 per minute;50 per hour"
SIGN_IN_LIMITS = sorted(parse_many(SIGN_IN_LIMIT))  # shortest window first

EXTENSION = "xiaoge.rate_limiter"


def init_app(app: Flask) -> None:
    """This app's limiter on its own storage (RATELIMIT_STORAGE_URI: Redis when REDIS_URL is set,
    so workers share counts); none when RATELIMIT_ENABLED is off (the tests' default)."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    storage = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI") or "memory://",
                                  wrap_exceptions=True)
    app.extensions[EXTENSION] = FixedWindowRateLimiter(storage)


def client_address() -> str:
    """The client's address as werkzeug sees it (ProxyFix's when PROXY_HOPS is set)."""
    return request.remote_addr or "127.0.0.1"


def sign_in_key(field: str, body: str = "json") -> str:
    """Key a limit by client address and the account named in the JSON body (or the form)."""
    if body == "form":
        account = request.form.get(field)
    else:
        data = request.get_json(silent=True)
        account = data.get(field) if isinstance(data, dict) else None
    return f"{client_address()}:{account if isinstance(account, str) else ''}"


def check_sign_in(field: str, body: str = "json") -> None:
    """Count this sign-in attempt; RateLimited past SIGN_IN_LIMIT, Unavailable if the counts
    cannot be reached (nothing was done: retrying is safe)."""
    limiter: FixedWindowRateLimiter | None = current_app.extensions.get(EXTENSION)
    if limiter is None:
        return
    # Each view counts apart; REDIS_KEY_PREFIX keeps deployments sharing a Redis apart.
    identifiers = (current_app.config.get("REDIS_KEY_PREFIX", "xiaoge:") + "sign-in",
                   request.endpoint or request.path, sign_in_key(field, body))
    try:
        for item in SIGN_IN_LIMITS:
            if not limiter.hit(item, *identifiers):
                log.info("sign-in rate limit %s exceeded at %s by %s", item, *identifiers[1:])
                reset_at = limiter.get_window_stats(item, *identifiers).reset_time
                raise RateLimited(retry_after_seconds=max(1, math.ceil(reset_at - time.time())))
    except StorageError as error:
        metrics.redis_error("rate_limits")
        raise Unavailable() from error


def limit_sign_in(field: str, body: str = "json"):
    """Decorate a sign-in view: its POSTs count against SIGN_IN_LIMIT per client address and the
    account in `field` of the JSON body (body="json") or the form (body="form")."""
    def decorate(view):
        @functools.wraps(view)  # keeps flask-smorest's documentation on the view
        def limited(*args, **kwargs):
            if request.method == "POST":
                check_sign_in(field, body)
            return view(*args, **kwargs)
        return limited
    return decorate
