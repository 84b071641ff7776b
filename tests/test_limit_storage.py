"""The limiter's counts: in the shared storage, in this worker's memory while it is out of reach,
back in the shared storage once it answers; one warning per outage."""
from __future__ import annotations

import logging

import pytest
from limits import parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from app.limit_storage import FallingBackLimiter

TWO_A_MINUTE = sorted(parse_many("2 per minute"))
KEY = ("test", "sign-in", "E1")


class FlakyStorage(MemoryStorage):
    """Counts in memory, and fails as an unreachable Redis does (wrapped) while `down`."""

    def __init__(self):
        super().__init__()
        self.down, self.calls = False, 0

    def incr(self, key, expiry, amount=1):
        self.calls += 1
        if self.down:
            raise StorageError(ConnectionError("Error 111 connecting to redis:6379. Connection refused."))
        return super().incr(key, expiry, amount)


@pytest.fixture
def flaky():
    return FlakyStorage()


def limiter_on(flaky: FlakyStorage, retry_seconds: float) -> FallingBackLimiter:
    limiter = FallingBackLimiter("memory://", retry_seconds=retry_seconds)
    limiter.shared = FixedWindowRateLimiter(flaky)
    return limiter


def warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "app.limit_storage" and record.levelno >= logging.WARNING]


def test_while_the_storage_is_down_the_worker_counts_in_memory_and_warns_once(flaky, caplog):
    limiter = limiter_on(flaky, retry_seconds=0)  # try the storage again on every hit
    flaky.down = True

    results = [limiter.hit(TWO_A_MINUTE, KEY) for _ in range(4)]

    assert results[:2] == [None, None] and all(isinstance(r, float) for r in results[2:])
    assert flaky.calls == 4  # each hit tried the storage first
    assert len(warnings(caplog)) == 1 and "unreachable" in warnings(caplog)[0]


def test_once_the_storage_answers_again_the_counts_are_there_and_it_says_so(flaky, caplog):
    limiter = limiter_on(flaky, retry_seconds=0)
    limiter.hit(TWO_A_MINUTE, KEY)  # counted in the storage
    flaky.down = True
    limiter.hit(TWO_A_MINUTE, KEY)  # counted in memory
    flaky.down = False

    assert limiter.hit(TWO_A_MINUTE, KEY) is None  # the storage's second
    assert limiter.hit(TWO_A_MINUTE, KEY) is not None  # the storage's third: over
    assert [message.split(" (")[0].split(" after")[0] for message in warnings(caplog)] == [
        "rate-limit storage unreachable", "rate-limit storage answers again"]


def test_during_an_outage_the_storage_is_tried_again_only_after_a_while(flaky):
    limiter = limiter_on(flaky, retry_seconds=60)
    flaky.down = True

    for _ in range(5):
        limiter.hit(TWO_A_MINUTE, KEY)

    assert flaky.calls == 1  # a Redis that hangs would cost one request its timeout, not each


def test_an_unreachable_redis_is_given_short_timeouts():
    limiter = FallingBackLimiter("redis://127.0.0.1:9/0")
    kwargs = limiter.shared.storage.storage.connection_pool.connection_kwargs

    assert kwargs["socket_timeout"] <= 1 and kwargs["socket_connect_timeout"] <= 1
