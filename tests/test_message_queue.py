"""The message queue between workers tells the others first (app/realtime/message_queue.py).

(That a shopper on one worker hears what another announced, with real gunicorn workers and
Redis, is tests/test_scale_out.py.)"""
import pytest
import socketio
from socketio.manager import Manager

from app.realtime.message_queue import PublishFirstRedisManager
from tests.conftest import TEST_REDIS_URL


@pytest.fixture
def steps(monkeypatch) -> list:
    """What the manager did, in order: published to the other workers, delivered here."""
    done = []
    monkeypatch.setattr(socketio.RedisManager, "_publish", lambda self, data: done.append(("published", data)))
    monkeypatch.setattr(Manager, "emit", lambda self, event, data, **kw: done.append(("delivered here", event)))
    return done


def test_a_broadcast_goes_to_the_other_workers_once_before_this_ones_sockets(steps):
    manager = PublishFirstRedisManager(TEST_REDIS_URL, channel="test-publish-first")

    manager.emit("shake_open", {"round_id": 1}, namespace="/shopper", room="compound:1")

    assert [step for step, _ in steps] == ["published", "delivered here"]
    published = steps[0][1]
    assert published["event"] == "shake_open" and published["host_id"] == manager.host_id


def test_a_broadcast_from_another_worker_is_delivered_here_without_publishing_it_again(steps):
    manager = PublishFirstRedisManager(TEST_REDIS_URL, channel="test-publish-first")
    elsewhere = {"method": "emit", "event": "shake_open", "data": [{"round_id": 1}], "binary": False,
                 "namespace": "/shopper", "room": "compound:1", "skip_sid": None, "callback": None,
                 "host_id": "another-worker"}

    manager._handle_emit(elsewhere)

    assert steps == [("delivered here", "shake_open")]
