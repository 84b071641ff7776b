"""The Socket.IO Redis queue's listener retries within a couple of seconds, not python-socketio's
60: a worker is deaf for at most that long after Redis comes back."""
from __future__ import annotations

import pytest

from app.realtime import redis_queue
from app.realtime.redis_queue import LISTEN_RETRY_MAX_SECONDS, ResilientRedisManager
from tests.real_server import free_port


class Stop(Exception):
    pass


def test_the_listener_backs_off_at_most_a_couple_of_seconds_while_redis_is_away(monkeypatch):
    manager = ResilientRedisManager(f"redis://127.0.0.1:{free_port()}/0", channel="nobody-listens")
    pauses: list[float] = []

    def sleep(seconds):
        pauses.append(seconds)
        if len(pauses) >= 12:
            raise Stop()

    monkeypatch.setattr(redis_queue, "pause", sleep)
    with pytest.raises(Stop):
        next(manager._redis_listen_with_retries())

    assert max(pauses) <= LISTEN_RETRY_MAX_SECONDS <= 3
    assert pauses[-1] == LISTEN_RETRY_MAX_SECONDS and pauses[0] < 1
