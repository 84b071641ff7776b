"""Rate-limit counts in a shared storage (Redis), and in this worker's memory while it is out of reach.

A sign-in must neither go unlimited nor fail because the limiter's Redis is down: each worker
then counts in its own memory (so a client gets at most the limit per worker), logs one warning
for the outage, tries the shared storage again every RETRY_SHARED_SECONDS and logs when it is
back. A Redis that does not answer at all costs a request at most REDIS_TIMEOUTS' seconds, and
then nothing until the next try.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from limits import RateLimitItem
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app import metrics

log = logging.getLogger(__name__)

RETRY_SHARED_SECONDS = 5.0
REDIS_TIMEOUTS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}


def shared_limiter(uri: str, local: FixedWindowRateLimiter) -> FixedWindowRateLimiter:
    """The limiter on RATELIMIT_STORAGE_URI; the local one itself when that is memory."""
    if uri.startswith("memory://"):
        return local
    options = REDIS_TIMEOUTS if uri.startswith(("redis://", "rediss://", "redis+unix://")) else {}
    return FixedWindowRateLimiter(storage_from_string(uri, wrap_exceptions=True, **options))


def first_over(limiter: FixedWindowRateLimiter, items: Sequence[RateLimitItem],
               identifiers: Sequence[str]) -> float | None:
    """Count one hit on each item in turn: the reset time (epoch seconds) of the first one over, or None."""
    for item in items:
        if not limiter.hit(item, *identifiers):
            return limiter.get_window_stats(item, *identifiers).reset_time
    return None


class FallingBackLimiter:
    """Fixed-window counts in the shared storage, in local memory while it cannot be reached."""

    def __init__(self, uri: str, retry_seconds: float = RETRY_SHARED_SECONDS):
        self.local = FixedWindowRateLimiter(MemoryStorage())
        self.shared = shared_limiter(uri, self.local)
        self.retry_seconds = retry_seconds
        self.outage_since: float | None = None  # time.monotonic() of the first failure, while out
        self.next_try = 0.0

    def hit(self, items: Sequence[RateLimitItem], identifiers: Sequence[str]) -> float | None:
        """Count one hit; the reset time of the first limit it goes over, or None."""
        if self.outage_since is None or time.monotonic() >= self.next_try:
            try:
                reset_at = first_over(self.shared, items, identifiers)
            except StorageError as error:
                self.lost(error)
            else:
                self.back()
                return reset_at
        return first_over(self.local, items, identifiers)

    def lost(self, error: StorageError) -> None:
        """Count locally for a while; warn once per outage."""
        metrics.redis_error("rate_limits")
        now = time.monotonic()
        self.next_try = now + self.retry_seconds
        if self.outage_since is None:
            self.outage_since = now
            cause = error.storage_error
            log.warning("rate-limit storage unreachable (%s: %s): each worker counts sign-ins in its "
                        "own memory until it answers", type(cause).__name__, cause)

    def back(self) -> None:
        if self.outage_since is not None:
            log.warning("rate-limit storage answers again after %.0f s: counting there again",
                        time.monotonic() - self.outage_since)
            self.outage_since = None
