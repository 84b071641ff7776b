"""The handheld's durable outbox, against an in-memory stand-in of the server's idempotent API."""
from __future__ import annotations

import sqlite3
import stat
from datetime import datetime

import pytest

from handheld.client import Refused, Reply, Unreachable
from handheld.outbox import BASE_DELAY, IN_FLIGHT_LEASE, MAX_DELAY, Outbox, backoff_delay, is_retryable


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class Crash(BaseException):
    """The handheld dying mid-call (not an Exception: nothing in the outbox may swallow it)."""


class FakeServer:
    """Records each event_id once and replays its first answer, like the real API."""

    def __init__(self):
        self.arrivals: dict[str, dict] = {}
        self.received: list[str] = []
        self.down = False
        self.crash_after_recording = False
        self.refuse: Refused | None = None

    def send(self, kind: str, body: dict) -> Reply:
        if self.down:
            raise Unreachable("server unreachable")
        self.received.append(body["event_id"])
        if self.refuse is not None:
            raise self.refuse
        first = body["event_id"] not in self.arrivals
        self.arrivals.setdefault(body["event_id"], dict(body))
        if self.crash_after_recording:
            raise Crash()
        return Reply(201 if first else 200, {"arrival": {"id": len(self.arrivals)}, "rounds": []})


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def outbox(tmp_path, clock):
    with Outbox(tmp_path / "state", clock=clock, rng=lambda: 0.5) as box:
        yield box


def test_tap_is_committed_to_disk_with_its_event_id_before_it_is_sent(tmp_path, outbox):
    seen_on_disk = []

    def send(kind, body):
        # Another process (a fresh connection) sees the tap already, queued, body and all.
        with sqlite3.connect(tmp_path / "state" / "outbox.sqlite3") as other:
            seen_on_disk.append(other.execute("SELECT event_id, kind, status FROM taps").fetchall())
        return Reply(201, {})

    tap = outbox.add("arrived", {"compound_id": 7})
    outbox.deliver(send)

    assert seen_on_disk == [[(tap.event_id, "arrived", "queued")]]
    assert outbox.get(tap.event_id).status == "delivered"


def test_tap_keeps_the_time_it_was_made_not_the_time_it_was_sent(outbox, clock):
    server = FakeServer()
    server.down = True
    made_at = clock.now
    tap = outbox.add("arrived", {"compound_id": 7})
    outbox.deliver(server.send)
    clock.now += 3600
    server.down = False

    outbox.deliver(server.send, force=True)

    sent = server.arrivals[tap.event_id]["occurred_at"]
    assert datetime.fromisoformat(sent).timestamp() == made_at
    assert datetime.fromisoformat(sent).utcoffset() is not None  # RFC 3339 with an offset


def test_event_ids_are_fresh_uuids(outbox):
    first, second = outbox.add("arrived", {"compound_id": 1}), outbox.add("arrived", {"compound_id": 1})
    assert first.event_id != second.event_id and len(first.event_id) == 36


def test_crash_after_the_server_recorded_a_tap_resends_it_after_restart_and_it_counts_once(tmp_path, clock):
    server = FakeServer()
    with Outbox(tmp_path / "state", clock=clock) as box:
        tap = box.add("arrived", {"compound_id": 7})
        server.crash_after_recording = True
        with pytest.raises(Crash):
            box.deliver(server.send)
        assert box.get(tap.event_id).status == "queued"  # no answer recorded: still ours to send
    server.crash_after_recording = False

    with Outbox(tmp_path / "state", clock=clock) as restarted:  # a new process on the same dir
        assert restarted.deliver(server.send) == []  # the automatic retry waits out the claim
        clock.now += IN_FLIGHT_LEASE
        [delivery] = restarted.deliver(server.send)

    assert delivery.outcome == "delivered" and delivery.reply.status == 200 and delivery.replayed
    assert server.received == [tap.event_id, tap.event_id]
    assert list(server.arrivals) == [tap.event_id]
    assert delivery.tap.attempts == 2


def test_taps_queued_while_the_server_is_down_are_delivered_once_it_is_back(outbox):
    server = FakeServer()
    server.down = True
    taps = [outbox.add("arrived", {"compound_id": n}) for n in (1, 2, 3)]

    deliveries = outbox.deliver(server.send, force=True)

    assert [d.outcome for d in deliveries] == ["queued"]  # stops at the first: the rest would wait too
    assert outbox.counts() == {"queued": 3, "delivered": 0, "refused": 0}
    server.down = False
    assert [d.outcome for d in outbox.deliver(server.send, force=True)] == ["delivered"] * 3
    assert outbox.deliver(server.send, force=True) == []
    assert list(server.arrivals) == [tap.event_id for tap in taps]
    assert outbox.counts() == {"queued": 0, "delivered": 3, "refused": 0}


def test_failures_back_off_exponentially_and_a_tap_is_not_retried_before_it_is_due(outbox, clock):
    server = FakeServer()
    server.down = True
    tap = outbox.add("arrived", {"compound_id": 7})
    waits = []
    for _ in range(12):
        [delivery] = outbox.deliver(server.send, force=True)
        waits.append(delivery.tap.next_attempt_at - clock.now)

    # rng 0.5: three quarters of each step; steps double from BASE_DELAY up to MAX_DELAY.
    expected = [min(MAX_DELAY, BASE_DELAY * 2 ** n) * 0.75 for n in range(12)]
    assert waits == pytest.approx(expected)
    assert outbox.deliver(server.send) == []  # not due yet: the automatic retry waits
    assert outbox.next_due_in() == pytest.approx(expected[-1])
    clock.now += expected[-1]
    server.down = False
    assert [d.outcome for d in outbox.deliver(server.send)] == ["delivered"]
    assert outbox.get(tap.event_id).attempts == 13


def test_backoff_jitter_stays_between_half_and_all_of_the_step():
    for attempts in (1, 4, 30):
        step = min(MAX_DELAY, BASE_DELAY * 2 ** (attempts - 1))
        assert backoff_delay(attempts, lambda: 0.0) == step / 2
        assert backoff_delay(attempts, lambda: 0.999999) == pytest.approx(step, rel=1e-5)


@pytest.mark.parametrize("status, code", [
    (403, "not_on_route"), (422, "stale_event"), (409, "wrong_code"), (404, "not_found"),
    (429, "too_many_attempts"),
])
def test_a_refused_tap_leaves_the_queue_with_the_reason(outbox, status, code):
    server = FakeServer()
    server.refuse = Refused(status, code, "no", {"error": {"code": code, "message": "no"}})
    tap = outbox.add("arrived", {"compound_id": 7})

    [delivery] = outbox.deliver(server.send)

    assert delivery.outcome == "refused" and delivery.error.code == code
    stored = outbox.get(tap.event_id)
    assert stored.status == "refused" and stored.answer_status == status
    assert stored.last_error == f"{code}: no"
    assert outbox.deliver(server.send, force=True) == []


@pytest.mark.parametrize("status, code", [(500, "internal_error"), (502, "http_error"), (503, "unavailable"),
                                          (429, "rate_limited"), (401, "unauthorized")])
def test_a_busy_server_or_expired_sign_in_keeps_the_tap_queued(outbox, clock, status, code):
    server = FakeServer()
    server.refuse = Refused(status, code, "later", {})
    tap = outbox.add("arrived", {"compound_id": 7})

    [delivery] = outbox.deliver(server.send)

    stored = outbox.get(tap.event_id)
    assert delivery.outcome == "queued" and stored.status == "queued"
    assert stored.next_attempt_at > clock.now and stored.last_error == f"{code}: later"


def test_retryable_classification():
    assert is_retryable(Unreachable("x"))
    assert not is_retryable(Refused(422, "invalid_request", "x"))


def test_taps_of_another_courier_wait_for_their_sign_in(outbox):
    server = FakeServer()
    mine, theirs = outbox.add("arrived", {"compound_id": 1}, courier_id=1), outbox.add(
        "arrived", {"compound_id": 2}, courier_id=2)

    outbox.deliver(server.send, force=True, courier_id=1)

    assert list(server.arrivals) == [mine.event_id]
    assert outbox.get(theirs.event_id).status == "queued"


def test_a_tap_in_flight_is_left_alone_by_another_process_until_its_lease_ends(tmp_path, clock):
    server = FakeServer()
    with Outbox(tmp_path / "state", clock=clock) as first, Outbox(tmp_path / "state", clock=clock) as second:
        tap = first.add("arrived", {"compound_id": 7})
        meanwhile = []

        def send_while_another_sync_runs(kind, body):
            meanwhile.extend(second.deliver(server.send))  # an automatic retry in another process
            return server.send(kind, body)

        [delivery] = first.deliver(send_while_another_sync_runs)

        assert meanwhile == [] and delivery.outcome == "delivered"
        assert server.received == [tap.event_id]
        assert second.deliver(server.send, force=True) == []  # answered: nothing left to send


def test_a_tap_another_process_answered_is_not_sent_again(tmp_path, clock):
    server = FakeServer()
    with Outbox(tmp_path / "state", clock=clock) as first, Outbox(tmp_path / "state", clock=clock) as second:
        tap = first.add("arrived", {"compound_id": 8})
        [claimed] = second.deliver(server.send)

        assert claimed.tap.event_id == tap.event_id
        assert first.deliver_one(tap, server.send) is None  # its view was stale: no second send
        assert server.received == [tap.event_id]


def test_a_handover_tap_carries_the_order_and_code(outbox):
    tap = outbox.add("handover", {"order_id": 12, "pickup_code": "123456"})
    assert tap.kind == "handover" and tap.body["order_id"] == 12 and tap.body["event_id"] == tap.event_id
    with pytest.raises(ValueError):
        outbox.add("teleported", {})


def test_outbox_file_is_private(tmp_path, outbox):
    assert stat.S_IMODE((tmp_path / "state" / "outbox.sqlite3").stat().st_mode) == 0o600
