"""Commands that come while one is on the wire go to Redis together, each caller gets its own
reply, and no failure leaves a caller waiting (app/services/shaking/redis/pipeline.py)."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from app.services.shaking.redis import pipeline as redis_pipeline
from app.services.shaking.redis.pipeline import Pipeline
from tests.conftest import TEST_REDIS_URL


class HeldConnection:
    """A stand-in connection that echoes each command's last value, or the error it is told to
    raise; its first turn is held on the wire until `release` is set."""

    def __init__(self, fail_with: BaseException | None = None):
        self.on_wire = threading.Event()
        self.release = threading.Event()
        self.turns: list[list[tuple]] = []
        self.replies: list = []
        self.fail_with = fail_with
        self.disconnected = 0

    def pack_commands(self, commands):
        return list(commands)

    def send_packed_command(self, commands):
        if self.fail_with is not None:
            raise self.fail_with
        self.turns.append(commands)
        self.replies.extend(command[-1] for command in commands)

    def read_response(self):
        if len(self.turns) == 1:
            self.on_wire.set()
            assert self.release.wait(5)
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def disconnect(self):  # what was on the wire is dropped; it connects again on its next send
        self.disconnected += 1
        self.replies.clear()
        self.fail_with = None


def callers_queued(pipeline: Pipeline, count: int) -> bool:
    for _ in range(500):
        with pipeline._lock:
            if len(pipeline._queue) == count:
                return True
        time.sleep(0.01)
    return False


def held_and_queued(pool, pipeline: Pipeline, connection: HeldConnection, *commands):
    """Send ECHO "first" and hold it on the wire; queue `commands` behind it, in this order."""
    first = pool.submit(pipeline.call, "ECHO", "first")
    assert connection.on_wire.wait(5)
    queued = []
    for count, command in enumerate(commands, 1):
        queued.append(pool.submit(pipeline.call, *command))
        assert callers_queued(pipeline, count)
    return first, queued


def test_a_lone_command_goes_at_once_and_gets_its_reply():
    with redis.Redis.from_url(TEST_REDIS_URL) as client:
        pool = client.connection_pool
        pipeline = Pipeline(lambda: pool.connection_class(**pool.connection_kwargs))
        try:
            assert pipeline.call("ECHO", "hello") == b"hello"
            assert (pipeline.turns, pipeline.carried) == (1, 1)
        finally:
            pipeline.close()


def test_commands_that_come_while_one_is_on_the_wire_go_together_each_to_its_caller():
    connection = HeldConnection()
    pipeline = Pipeline(lambda: connection)
    with ThreadPoolExecutor(6) as pool:
        first, queued = held_and_queued(pool, pipeline, connection, *[("ECHO", f"queued {n}") for n in range(5)])
        connection.release.set()
        replies = [future.result(5) for future in queued]

    assert first.result() == "first" and replies == [f"queued {n}" for n in range(5)]
    assert [len(turn) for turn in connection.turns] == [1, 5]
    assert (pipeline.turns, pipeline.carried) == (2, 6)


def test_an_error_reply_is_its_own_callers_and_the_others_get_theirs():
    connection = HeldConnection()
    pipeline = Pipeline(lambda: connection)
    with ThreadPoolExecutor(4) as pool:
        first, (before, refused, after) = held_and_queued(
            pool, pipeline, connection,
            ("ECHO", "before"), ("EVALSHA", redis.exceptions.NoScriptError("no such script")), ("ECHO", "after"))
        connection.release.set()

        assert (first.result(5), before.result(5), after.result(5)) == ("first", "before", "after")
        with pytest.raises(redis.exceptions.NoScriptError):
            refused.result(5)
    assert [len(turn) for turn in connection.turns] == [1, 3] and connection.disconnected == 0


def test_a_lost_link_fails_the_whole_turn_and_the_next_call_reconnects():
    connection = HeldConnection(fail_with=redis.ConnectionError("reset"))
    connection.release.set()
    pipeline = Pipeline(lambda: connection)

    with pytest.raises(redis.ConnectionError):
        pipeline.call("ECHO", "lost")
    assert connection.disconnected == 1
    assert pipeline.call("ECHO", "again") == "again"


def test_a_turn_cut_short_leaves_no_caller_waiting_and_the_next_in_line_goes_on():
    class Killed(BaseException):  # as gevent's GreenletExit: not an Exception
        pass

    connection = HeldConnection()
    pipeline = Pipeline(lambda: connection)
    original = connection.read_response

    def killed_on_first_turn():
        reply = original()
        if len(connection.turns) == 1:
            raise Killed()
        return reply

    connection.read_response = killed_on_first_turn
    with ThreadPoolExecutor(4) as pool:
        first, queued = held_and_queued(pool, pipeline, connection, *[("ECHO", f"queued {n}") for n in range(3)])
        connection.release.set()

        with pytest.raises(Killed):
            first.result(5)
        assert [future.result(5) for future in queued] == ["queued 0", "queued 1", "queued 2"]
    assert connection.disconnected == 1  # what the cut turn left on the wire answers no one
    assert pipeline.call("ECHO", "after") == "after"


def test_a_caller_that_stops_waiting_when_it_is_next_to_send_hands_its_turn_on(monkeypatch):
    """Told to send what queued, a caller whose wait is cut short (its greenlet killed) leaves
    the queue, and the caller after it sends instead: the pipeline never stalls."""
    class Killed(BaseException):
        pass

    class KilledOnWaking(threading.Event):
        def wait(self, timeout=None):
            super().wait(timeout)
            raise Killed()

    connection = HeldConnection()
    pipeline = Pipeline(lambda: connection)
    with ThreadPoolExecutor(4) as pool:
        first, _ = held_and_queued(pool, pipeline, connection)
        class DoomedCall(redis_pipeline._Call):
            def __init__(self, command):
                super().__init__(command)
                self.ready = KilledOnWaking()

        with monkeypatch.context() as patched:  # only the next caller's wait is cut short
            patched.setattr(redis_pipeline, "_Call", DoomedCall)
            doomed = pool.submit(pipeline.call, "ECHO", "doomed")
            assert callers_queued(pipeline, 1)
        after = pool.submit(pipeline.call, "ECHO", "after")
        assert callers_queued(pipeline, 2)
        connection.release.set()

        assert first.result(5) == "first"
        with pytest.raises(Killed):
            doomed.result(5)
        assert after.result(5) == "after"
    assert [command[-1] for turn in connection.turns for command in turn] == ["first", "after"]
    assert pipeline.call("ECHO", "later") == "later"
