"""Shed shakes a worker cannot start soon: a quick 503 to retry beats a queue that times out.

Each worker admits at most SHAKE_MAX_IN_FLIGHT shakes at once (REST and socket together);
one more is refused at once with `unavailable` and a retry hint, having done nothing. When
the worker's CPU is the bottleneck, shakes pile up between their start and their answer, so
this bound is what keeps an admitted shake's wait short while a crowd outshakes the server.

One shopper may not take the worker's places from the others: each has at most
SHAKE_MAX_IN_FLIGHT_PER_SHOPPER shakes in flight, and a cadence of SHAKE_RATE_PER_SHOPPER
shakes a second with a burst of SHAKE_BURST_PER_SHOPPER (a token bucket). Past either: 429
`rate_limited`, retry after 1 s, nothing done and nothing stored under the shake_id (a retry
goes through). A person shakes about twice a second at most.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import contextmanager

from flask import Flask, current_app

from app import metrics
from app.services.errors import RateLimited, Unavailable

PRUNE_EVERY = 10_000  # shakes between two sweeps of the buckets that are full again


class ShakeCadence:
    """Per shopper, a token bucket: `rate` shakes a second, `burst` at once (rate 0: no limit).

    A bucket that would be full again (burst / rate seconds after its last shake) is the same
    as none: such buckets are swept out every PRUNE_EVERY shakes, so a worker keeps one only
    for the shoppers shaking now. A plain dict (the caller holds the lock): the shake path pays
    two lookups, not a TTL cache's bookkeeping."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, max(burst, 1)
        self.refill_seconds = self.burst / rate if rate > 0 else 0.0
        self._buckets: dict[int, tuple[float, float]] = {}
        self._until_prune = PRUNE_EVERY

    def has_token(self, shopper_id: int, now: float) -> bool:
        return self.rate <= 0 or self._tokens(shopper_id, now) >= 1

    def take(self, shopper_id: int, now: float) -> None:
        if self.rate > 0:
            self._buckets[shopper_id] = (self._tokens(shopper_id, now) - 1, now)
            self._until_prune -= 1
            if self._until_prune <= 0:
                self.prune(now)

    def prune(self, now: float) -> None:
        """Forget the buckets that are full again."""
        self._until_prune = PRUNE_EVERY
        full_since = now - self.refill_seconds
        for shopper_id in [s for s, (_, at) in self._buckets.items() if at <= full_since]:
            del self._buckets[shopper_id]

    def _tokens(self, shopper_id: int, now: float) -> float:
        tokens, at = self._buckets.get(shopper_id, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)


class Admission:
    def __init__(self, limit: int, per_shopper: int = 0, rate_per_shopper: float = 0,
                 burst_per_shopper: int = 1):
        self.limit = limit
        self.per_shopper = per_shopper  # 0: no per-shopper bound
        self.in_flight = 0
        self.shoppers_in_flight: Counter = Counter()
        self.cadence = ShakeCadence(rate_per_shopper, burst_per_shopper)
        self._lock = threading.Lock()

    @contextmanager
    def admit(self, shopper_id: int | None = None):
        with self._lock:
            self._check(shopper_id, time.monotonic())
            self.in_flight += 1
            if shopper_id is not None:
                self.shoppers_in_flight[shopper_id] += 1
        metrics.SHAKES_IN_FLIGHT.inc()
        try:
            yield
        finally:
            metrics.SHAKES_IN_FLIGHT.dec()
            with self._lock:
                self.in_flight -= 1
                if shopper_id is not None:
                    self._leave(shopper_id)

    def _check(self, shopper_id: int | None, now: float) -> None:
        """Refuse the shake (RateLimited, Unavailable) or take the shopper's cadence token; under the lock."""
        if shopper_id is not None:
            if self.per_shopper and self.shoppers_in_flight[shopper_id] >= self.per_shopper:
                raise RateLimited(1, "You are shaking too fast; try again in a moment.")
            if not self.cadence.has_token(shopper_id, now):
                raise RateLimited(1, "You are shaking too fast; try again in a moment.")
        if self.in_flight >= self.limit:
            metrics.SHAKES_SHED.inc()
            raise Unavailable("Too many shakes at once; try again in a moment.")
        if shopper_id is not None:
            self.cadence.take(shopper_id, now)

    def _leave(self, shopper_id: int) -> None:
        left = self.shoppers_in_flight[shopper_id] - 1
        if left:
            self.shoppers_in_flight[shopper_id] = left
        else:
            del self.shoppers_in_flight[shopper_id]  # the dict holds only the shoppers shaking now


def init_app(app: Flask) -> None:
    """This worker's admission of shakes: SHAKE_MAX_IN_FLIGHT at once, and each shopper's caps."""
    config = app.config
    app.extensions["xiaoge.shake_admission"] = Admission(
        config.get("SHAKE_MAX_IN_FLIGHT", 64), per_shopper=config.get("SHAKE_MAX_IN_FLIGHT_PER_SHOPPER", 8),
        rate_per_shopper=config.get("SHAKE_RATE_PER_SHOPPER", 5.0),
        burst_per_shopper=config.get("SHAKE_BURST_PER_SHOPPER", 20))


def shake_admission() -> Admission:
    return current_app.extensions["xiaoge.shake_admission"]
