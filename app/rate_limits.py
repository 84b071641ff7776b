"""Rate limits on sign-ins, shared across workers: password sign-ins per client address and per
account, WeChat logins per client address.

Built on `limits` (Flask-Limiter's core library) directly. Each limit is checked by the view it
decorates, on POST only; nothing runs for any other request: no before-request hook. Over a
limit a view raises `RateLimited`: API.md's 429 `rate_limited` with `retry_after_seconds` and a
Retry-After header (app/api/errors.py), the console's 429 page (app/console/blueprint.py).
The counts live in RATELIMIT_STORAGE_URI (Redis when REDIS_URL is set); while it cannot be
reached each worker counts in its own memory instead (app/limit_storage.py), so sign-ins stay
limited and answered.
"""
from __future__ import annotations

import functools
import logging
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many

from app.limit_storage import FallingBackLimiter
from app.services.accounts.names import normalise_account_name
from app.services.errors import RateLimited

log = logging.getLogger(__name__)

EXTENSION = "xiaoge.rate_limiter"
# Longer names are refused by the sign-in schemas anyway; the cut keeps a counter's key small.
MAX_KEYED_NAME = 100


@dataclass(frozen=True)
class Rule:
    """Limits (shortest window first) and what they count, e.g. ("sign-in", "address")."""

    items: tuple[RateLimitItem, ...]
    scope: tuple[str, ...]


@dataclass
class Limits:
    """This app's limiter and its rules (app.config, docs/operations.md)."""

    limiter: FallingBackLimiter
    per_address: Rule
    per_account: Rule
    wechat_per_address: Rule


def rule(limits: str, *scope: str) -> Rule:
    return Rule(tuple(sorted(parse_many(limits))), scope)


def init_app(app: Flask) -> None:
    """This app's limits on its own storage; none when RATELIMIT_ENABLED is off (the tests' default)."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    cfg = app.config
    app.extensions[EXTENSION] = Limits(
        limiter=FallingBackLimiter(cfg.get("RATELIMIT_STORAGE_URI") or "memory://"),
        per_address=rule(cfg["SIGN_IN_LIMIT_PER_ADDRESS"], "sign-in", "address"),
        per_account=rule(cfg["SIGN_IN_LIMIT_PER_ACCOUNT"], "sign-in", "account"),
        wechat_per_address=rule(cfg["WECHAT_LOGIN_LIMIT_PER_ADDRESS"], "wechat-login", "address"),
    )


def client_address() -> str:
    """The client's address as werkzeug sees it (ProxyFix's when PROXY_HOPS is set)."""
    return request.remote_addr or "127.0.0.1"


def account_in_request(field: str, body: str) -> str:
    """The account named in the JSON body (or the form), normalised as the sign-in looks it up."""
    if body == "form":
        account = request.form.get(field)
    else:
        data = request.get_json(silent=True)
        account = data.get(field) if isinstance(data, dict) else None
    return normalise_account_name(account)[:MAX_KEYED_NAME] if isinstance(account, str) else ""


def check(rules: list[tuple[Rule, str]]) -> None:
    """Count this request against each (rule, key); RateLimited past any of them."""
    limits: Limits | None = current_app.extensions.get(EXTENSION)
    if limits is None:
        return
    # REDIS_KEY_PREFIX keeps deployments sharing a Redis apart.
    prefix = current_app.config.get("REDIS_KEY_PREFIX", "xiaoge:")
    for each, key in rules:
        identifiers = (prefix + each.scope[0], *each.scope[1:], key)
        reset_at = limits.limiter.hit(each.items, identifiers)
        if reset_at is not None:
            log.info("rate limit %s exceeded by %s", "/".join(each.scope), key)
            raise RateLimited(retry_after_seconds=max(1, math.ceil(reset_at - time.time())))


def limited_on_post(rules_for_request):
    """Decorate a view: its POSTs are counted against rules_for_request(limits) first."""
    def decorate(view):
        @functools.wraps(view)  # keeps flask-smorest's documentation on the view
        def limited(*args, **kwargs):
            limits = current_app.extensions.get(EXTENSION)
            if limits is not None and request.method == "POST":
                check(rules_for_request(limits))
            return view(*args, **kwargs)
        return limited
    return decorate


def limit_sign_in(field: str, accounts: str, body: str = "json"):
    """Decorate a password sign-in view: its POSTs count against SIGN_IN_LIMIT_PER_ADDRESS for the
    client address (every account and sign-in view alike) and SIGN_IN_LIMIT_PER_ACCOUNT for the
    account in `field` of the JSON body (body="json") or the form (body="form") among `accounts`
    ("courier", "staff"), from every address."""
    return limited_on_post(lambda limits: [
        (limits.per_address, client_address()),
        (limits.per_account, f"{accounts}:{account_in_request(field, body)}"),
    ])


def limit_wechat_login():
    """Decorate the WeChat login: its POSTs count against WECHAT_LOGIN_LIMIT_PER_ADDRESS, good
    codes and bogus ones alike (each costs a call on the app's WeChat quota)."""
    return limited_on_post(lambda limits: [(limits.wechat_per_address, client_address())])
