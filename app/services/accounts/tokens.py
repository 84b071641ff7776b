"""Signed, expiring bearer tokens with an audience: shopper, courier or staff."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TLRUCache
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from app.services.errors import Unauthorized

AUDIENCES = ("shopper", "courier", "staff")


@dataclass(frozen=True)
class Principal:
    """Who a token speaks for."""

    audience: str
    subject_id: int
    role: str | None = None
    # The account's token_version when the token was issued (courier and staff; standing.py).
    token_version: int = 0


# A verified token is trusted again without checking its signature for up to this long (and
# never past its expiry): a shaking shopper sends the same token many times a second.
VERIFIED_CACHE_SECONDS = 60.0


class TokenService:
    def __init__(self, secret_key: str, ttl_by_audience: dict[str, int],
                 clock: Callable[[], float] = time.time):
        # Seconds since the epoch, for signing, expiry and the verified cache alike; read through
        # the attribute on each use, so a test can move it instead of sleeping.
        self.clock = clock
        self._serializer = URLSafeTimedSerializer(secret_key, salt="xiaoge-token", signer=_ClockedSigner,
                                                  signer_kwargs={"clock": lambda: self.clock()})
        self._ttl = ttl_by_audience
        self._verified = TLRUCache(maxsize=100_000, ttu=_trusted_until, timer=lambda: self.clock())
        self._lock = threading.Lock()  # cachetools caches are not thread-safe

    def ttl(self, audience: str) -> int:
        return self._ttl[audience]

    def issue(self, audience: str, subject_id: int, role: str | None = None, *,
              token_version: int | None = None, ttl: int | None = None) -> str:
        """A token; `ttl` shortens its life below the audience's (a console dashboard's token)."""
        payload = {"aud": audience, "sub": subject_id}
        if role:
            payload["role"] = role
        if token_version is not None:
            payload["ver"] = token_version
        if ttl is not None and ttl < self._ttl[audience]:
            payload["exp"] = int(self.clock()) + ttl
        return self._serializer.dumps(payload)

    def verify(self, token: str, audience: str) -> Principal:
        """The principal behind a token of this audience, else Unauthorized."""
        with self._lock:
            known = self._verified.get((token, audience))
        if known is not None:
            return known[0]
        principal, expires_at = self._verify_signature(token, audience)
        with self._lock:
            self._verified[(token, audience)] = (principal, expires_at)
        return principal

    def _verify_signature(self, token: str, audience: str):
        try:
            payload, issued_at = self._serializer.loads(token, max_age=self._ttl[audience], return_timestamp=True)
        except SignatureExpired:
            raise Unauthorized("Your sign-in has expired; sign in again.") from None
        except BadSignature:
            raise Unauthorized("This token is not valid.") from None
        if not isinstance(payload, dict) or payload.get("aud") != audience:
            raise Unauthorized("This token is not for this part of the API.")
        expires_at = issued_at.timestamp() + self._ttl[audience]
        if "exp" in payload:
            expires_at = min(expires_at, float(payload["exp"]))
            if expires_at <= self.clock():
                raise Unauthorized("Your sign-in has expired; sign in again.")
        principal = Principal(audience, int(payload["sub"]), payload.get("role"), int(payload.get("ver", 0)))
        return principal, expires_at


def _trusted_until(_key, value, now: float) -> float:
    """TLRUCache's expiry for a verified token: soon, and never after the token itself expires."""
    expires_at = value[1]
    return min(now + VERIFIED_CACHE_SECONDS, expires_at)


class _ClockedSigner(TimestampSigner):
    """itsdangerous' timestamp signer, telling the time by the token service's clock."""

    def __init__(self, *args, clock: Callable[[], float], **kwargs):
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())
