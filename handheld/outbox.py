"""The durable outbox: every tap is on disk, with its event_id, before anything is sent.

A tap (arrived, handover) is committed to SQLite in the state dir, then sent; it is marked
delivered only on the server's answer. Until then it is resent: after network failures,
reconnects, and restarts or crashes of the handheld itself. Resends are harmless because
the server answers the same event_id with its first answer (a 201 replays as 200).

States: queued -> delivered (2xx) | refused (the server said no: 403, 404, 409, 422, ...).
Network failures, 5xx, 401 (sign in again) and 429 rate limits keep the tap queued, due
again after an exponential backoff with jitter.

Test hook: with XIAOGE_HANDHELD_CRASH_AFTER_SEND=1 in the environment the process dies
(`os._exit(137)`, like a SIGKILL) right after the server answered a tap and before the
answer is recorded: the crash that must cause a resend and still one arrival.
"""
from __future__ import annotations

import json
import os
import random
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from handheld.client import Refused, Reply, Unreachable

KINDS = ("arrived", "handover")
STATUSES = ("queued", "delivered", "refused")
BASE_DELAY = 2.0  # seconds before the first retry (on average 3/4 of it, with jitter)
MAX_DELAY = 300.0  # a van keeps trying every few minutes, never gives up
IN_FLIGHT_LEASE = 60.0  # seconds; longer than any one send (client timeouts: 5 s + 15 s)
CRASH_HOOK_ENV = "XIAOGE_HANDHELD_CRASH_AFTER_SEND"
# 429s that will not pass by waiting: the server refuses this tap for good.
FINAL_429_CODES = {"too_many_attempts"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS taps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('arrived', 'handover')),
    courier_id INTEGER,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'delivered', 'refused')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    answer_status INTEGER,
    answer TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_taps_status_due ON taps (status, next_attempt_at);
"""

Send = Callable[[str, dict], Reply]


@dataclass
class Tap:
    id: int
    event_id: str
    kind: str
    courier_id: int | None
    body: dict
    status: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    answer_status: int | None
    answer: dict | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Tap:
        return cls(row["id"], row["event_id"], row["kind"], row["courier_id"], json.loads(row["body"]),
                   row["status"], row["attempts"], row["next_attempt_at"], row["last_error"],
                   row["answer_status"], json.loads(row["answer"]) if row["answer"] else None)


@dataclass
class Delivery:
    """What one send of one tap came to: its new state, and the answer or the failure."""

    tap: Tap
    outcome: str  # delivered, refused or queued
    reply: Reply | None = None
    error: Refused | Unreachable | None = None

    @property
    def replayed(self) -> bool:
        """The server had this event_id already (an earlier send got through)."""
        return self.reply is not None and self.reply.status == 200 and self.tap.kind == "arrived"


def backoff_delay(attempts: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the `attempts`-th failure: exponential, capped, with jitter.

    "Equal jitter": half the exponential step is fixed, half random, so a fleet of vans
    coming back into coverage at once does not retry in lockstep.
    """
    step = min(MAX_DELAY, BASE_DELAY * 2 ** max(attempts - 1, 0))
    return step / 2 + rng() * step / 2


def is_retryable(error: Refused | Unreachable) -> bool:
    """Will waiting help? No answer, a busy or failing server, or an expired sign-in: yes."""
    if isinstance(error, Unreachable):
        return True
    if error.status == 429:
        return error.code not in FINAL_429_CODES
    return error.status >= 500 or error.status in (401, 408)


def rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds")


def crash_hook() -> None:
    """Test hook (see the module docstring): die between the server's answer and recording it."""
    if os.environ.get(CRASH_HOOK_ENV) == "1":
        os._exit(137)


class Outbox:
    """Taps in `<state_dir>/outbox.sqlite3`; safe to open from several processes at once."""

    def __init__(self, state_dir: str | Path, clock: Callable[[], float] = time.time,
                 rng: Callable[[], float] = random.random):
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = self.dir / "outbox.sqlite3"
        self.clock, self.rng = clock, rng
        # Autocommit: every statement below is its own durable transaction.
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")  # committed means on disk, power cut or not
        self.db.executescript(SCHEMA)
        os.chmod(self.path, 0o600)  # pickup codes and the route live here

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, kind: str, body: dict, courier_id: int | None = None) -> Tap:
        """Queue a tap durably; it gets an event_id and its real occurred_at now, not at send time."""
        if kind not in KINDS:
            raise ValueError(f"unknown tap kind {kind!r}")
        now = self.clock()
        body = {"event_id": str(uuid.uuid4()), "occurred_at": rfc3339(now), **body}
        self.db.execute(
            "INSERT INTO taps (event_id, kind, courier_id, body, next_attempt_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (body["event_id"], kind, courier_id, json.dumps(body, ensure_ascii=False), now, now, now))
        return self.get(body["event_id"])

    def get(self, event_id: str) -> Tap:
        row = self.db.execute("SELECT * FROM taps WHERE event_id = ?", (event_id,)).fetchone()
        if row is None:
            raise KeyError(event_id)
        return Tap.from_row(row)

    def taps(self, status: str | None = None) -> list[Tap]:
        """Taps in the order they were made, optionally of one status."""
        if status is None:
            rows = self.db.execute("SELECT * FROM taps ORDER BY id")
        else:
            rows = self.db.execute("SELECT * FROM taps WHERE status = ? ORDER BY id", (status,))
        return [Tap.from_row(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many taps are queued, delivered and refused."""
        counts = dict.fromkeys(STATUSES, 0)
        for status, number in self.db.execute("SELECT status, count(*) FROM taps GROUP BY status"):
            counts[status] = number
        return counts

    def due(self, force: bool = False, courier_id: int | None = None) -> list[Tap]:
        """Queued taps whose backoff is over (all queued ones when `force`), oldest first."""
        taps = [tap for tap in self.taps("queued") if force or tap.next_attempt_at <= self.clock()]
        if courier_id is not None:
            # A tap is sent with its own courier's token only: another courier's van is not ours.
            taps = [tap for tap in taps if tap.courier_id in (None, courier_id)]
        return taps

    def next_due_in(self, courier_id: int | None = None) -> float | None:
        """Seconds until the next queued tap (of this courier) is due: 0 if now, None if none is queued."""
        waiting = [tap.next_attempt_at for tap in self.due(force=True, courier_id=courier_id)]
        return None if not waiting else max(min(waiting) - self.clock(), 0.0)

    def deliver(self, send: Send, *, force: bool = False, courier_id: int | None = None) -> list[Delivery]:
        """Send every due tap in order; stop at the first that must wait (the rest would too)."""
        deliveries = []
        for tap in self.due(force, courier_id):
            delivery = self.deliver_one(tap, send)
            if delivery is None:
                continue
            deliveries.append(delivery)
            if delivery.outcome == "queued":
                break
        return deliveries

    def deliver_one(self, tap: Tap, send: Send) -> Delivery | None:
        """One send of one tap, its attempt counted before the send, its answer recorded after.

        None when another process (a second `sync`) recorded the tap's answer meanwhile.
        """
        # The claim: an automatic retry elsewhere leaves an in-flight tap alone until the lease
        # ends; if this process dies mid-send, the tap is simply due again after it.
        lease_ends = self.clock() + IN_FLIGHT_LEASE
        if not self._update(tap, "attempts = attempts + 1, next_attempt_at = ?", (lease_ends,)):
            return None
        try:
            reply = send(tap.kind, tap.body)
        except Unreachable as failure:
            return self._retry_later(tap, failure)
        except Refused as refusal:
            crash_hook()
            if is_retryable(refusal):
                return self._retry_later(tap, refusal)
            self._update(tap, "status = 'refused', last_error = ?, answer_status = ?, answer = ?",
                         (f"{refusal.code}: {refusal.message}", refusal.status, json.dumps(refusal.body)))
            return Delivery(self.get(tap.event_id), "refused", error=refusal)
        crash_hook()
        self._update(tap, "status = 'delivered', last_error = NULL, answer_status = ?, answer = ?",
                     (reply.status, json.dumps(reply.body, ensure_ascii=False)))
        return Delivery(self.get(tap.event_id), "delivered", reply=reply)

    def _retry_later(self, tap: Tap, failure: Refused | Unreachable) -> Delivery:
        attempts = self.get(tap.event_id).attempts
        reason = str(failure) if isinstance(failure, Unreachable) else f"{failure.code}: {failure.message}"
        self._update(tap, "next_attempt_at = ?, last_error = ?",
                     (self.clock() + backoff_delay(attempts, self.rng), reason))
        return Delivery(self.get(tap.event_id), "queued", error=failure)

    def _update(self, tap: Tap, assignments: str, values: tuple) -> bool:
        # Only a queued tap changes: another process may have recorded its answer meanwhile.
        changed = self.db.execute(
            f"UPDATE taps SET {assignments}, updated_at = ? WHERE id = ? AND status = 'queued'",
            (*values, self.clock(), tap.id)).rowcount
        return changed == 1
