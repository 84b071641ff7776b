"""Rate limits on password sign-ins: per client address and account, shared across workers."""
from __future__ import annotations

from flask import request
from flask_limiter.util import get_remote_address

from app.extensions import limiter

# Enough for a courier fumbling a password with gloves on; far too few to guess one.
SIGN_IN_LIMIT = "10 per minute;50 per hour"


def sign_in_key(field: str):
    """Key a limit by client address and the account named in the JSON body."""
    def key() -> str:
        body = request.get_json(silent=True)
        account = body.get(field) if isinstance(body, dict) else None
        return f"{get_remote_address()}:{account if isinstance(account, str) else ''}"
    return key


def limit_sign_in(field: str):
    return limiter.limit(SIGN_IN_LIMIT, key_func=sign_in_key(field), methods=["POST"])
