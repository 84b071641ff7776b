"""Bearer-token authentication for REST handlers: one decorator, one audience each."""
from __future__ import annotations

from copy import deepcopy
from functools import wraps

from flask import g, request

from app.services.accounts.tokens import Principal
from app.services.errors import Forbidden, Unauthorized
from app.wiring import signed_in


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send Authorization: Bearer <token>.")
    return token.strip()


def authenticate(audience: str, roles: tuple[str, ...] = ()) -> Principal:
    """The caller's principal for this audience, with its account's current role; admins pass
    every role check."""
    principal = signed_in(bearer_token(), audience)
    if roles and principal.role != "admin" and principal.role not in roles:
        raise Forbidden()
    return principal


def auth_required(audience: str, *roles: str):
    """Require a token of `audience` (and, for staff, one of `roles`); sets g.principal."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.principal = authenticate(audience, roles)
            return view(*args, **kwargs)

        # Tell the OpenAPI document (flask-smorest keeps per-view docs in _apidoc).
        wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        manual = wrapper._apidoc.setdefault("manual_doc", {})
        manual["security"] = [{"bearerAuth": []}]
        note = f"Auth: {audience} token" + (f" with role {' or '.join(roles)} (or admin)" if roles else "")
        manual["description"] = (manual.get("description", "") + "\n\n" + note).strip()
        return wrapper

    return decorator


def principal() -> Principal:
    return g.principal
