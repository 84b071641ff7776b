"""Signed, expiring bearer tokens with an audience: shopper, courier or staff."""
from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.services.errors import Unauthorized

AUDIENCES = ("shopper", "courier", "staff")


@dataclass(frozen=True)
class Principal:
    """Who a token speaks for."""

    audience: str
    subject_id: int
    role: str | None = None


class TokenService:
    def __init__(self, secret_key: str, ttl_by_audience: dict[str, int]):
        self._serializer = URLSafeTimedSerializer(secret_key, salt="xiaoge-token")
        self._ttl = ttl_by_audience

    def ttl(self, audience: str) -> int:
        return self._ttl[audience]

    def issue(self, audience: str, subject_id: int, role: str | None = None) -> str:
        payload = {"aud": audience, "sub": subject_id}
        if role:
            payload["role"] = role
        return self._serializer.dumps(payload)

    def verify(self, token: str, audience: str) -> Principal:
        """The principal behind a token of this audience, else Unauthorized."""
        try:
            payload = self._serializer.loads(token, max_age=self._ttl[audience])
        except SignatureExpired:
            raise Unauthorized("Your sign-in has expired; sign in again.") from None
        except BadSignature:
            raise Unauthorized("This token is not valid.") from None
        if not isinstance(payload, dict) or payload.get("aud") != audience:
            raise Unauthorized("This token is not for this part of the API.")
        return Principal(audience, int(payload["sub"]), payload.get("role"))
