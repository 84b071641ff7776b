"""Copies the shakes the Redis engine answered (its loses) from the Redis stream into the database.

Each worker runs one writer in a consumer group: an entry is read by one writer, written in a
batch (its shake row, and the shopper's shake count raised to what Redis counted), and only
then acknowledged and deleted. Entries a dead worker had read but not written are claimed by
another writer after CLAIM_IDLE_MS. Writing twice is harmless: (shopper, shake_id) is unique.

Every FINISH_EVERY_SECONDS the writer also finishes the wins a dead worker had claimed but
not made the prize of (RedisDrawEngine.finish_unmade_prizes); two writers finishing the same
one is harmless too: its answer is stored once, and the other's work undone.
"""
from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timezone
from typing import Protocol

import redis
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.background import BackgroundLoop
from app.database import dialect_insert
from app.extensions import db
from app.models import Shake, utcnow
from app.services.shaking.counters import shake_count_upsert

GROUP = "writers"
BATCH = 1000
BLOCK_MS = 200  # how long a writer waits for entries when there are none
PERIOD_SECONDS = 0.25  # a writer reads at most this often: shakes reach the database within ~0.5 s
CLAIM_IDLE_MS = 30_000
FINISH_EVERY_SECONDS = 10.0


class LoggingEngine(Protocol):
    """What the writer needs of the Redis engine that logs the shakes."""

    redis_url: str
    log_key: str

    def finish_unmade_prizes(self, session: Session, now: datetime) -> int: ...


class ShakeLogWriter(BackgroundLoop):
    def __init__(self, app: Flask, engine: LoggingEngine):
        super().__init__(app)
        self.redis = redis.Redis.from_url(engine.redis_url)  # its own: it blocks reading the stream
        self.engine = engine
        self.next_finish = time.monotonic() + FINISH_EVERY_SECONDS
        self.stream = engine.log_key
        self.consumer = f"{socket.gethostname()}:{os.getpid()}"
        self.group_ready = False

    def tick(self) -> float:
        began = time.monotonic()
        self.write_batch(block_ms=BLOCK_MS)
        if began >= self.next_finish:
            self.next_finish = began + FINISH_EVERY_SECONDS
            with self.app.app_context():
                try:
                    self.engine.finish_unmade_prizes(db.session, utcnow())
                finally:
                    db.session.remove()
        # Under a burst, entries are there at once: wait out the period so they come in
        # batches of hundreds, not a trickle of single rows each costing a round trip.
        return max(0.0, PERIOD_SECONDS - (time.monotonic() - began))

    def failed(self) -> None:
        self.group_ready = False  # the stream (and its group) may be gone: create it again

    def drain(self) -> int:
        """Write everything logged so far (and anything a dead writer left); how many entries."""
        total = self.write_batch(claim_idle_ms=0)
        while written := self.write_batch():
            total += written
        return total

    def write_batch(self, block_ms: int | None = None, claim_idle_ms: int = CLAIM_IDLE_MS) -> int:
        self.ensure_group()
        entries = self.redis.xautoclaim(self.stream, GROUP, self.consumer, claim_idle_ms, count=BATCH)[1]
        if not entries:
            read = self.redis.xreadgroup(GROUP, self.consumer, {self.stream: ">"}, count=BATCH, block=block_ms)
            entries = read[0][1] if read else []
        if not entries:
            return 0
        with self.app.app_context():
            try:
                write_shakes(db.session, [parse(entry_id, fields) for entry_id, fields in entries])
                db.session.commit()
            finally:
                db.session.remove()
        ids = [entry_id for entry_id, _ in entries]
        self.redis.xack(self.stream, GROUP, *ids)
        self.redis.xdel(self.stream, *ids)
        return len(entries)

    def ensure_group(self) -> None:
        if self.group_ready:
            return
        try:
            self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self.group_ready = True


def parse(entry_id: bytes, fields: dict) -> dict:
    """A stream entry as a shake row; the entry id's first part is Redis's clock in ms."""
    millis = int(entry_id.split(b"-")[0])
    return {"round_id": int(fields[b"round"]), "shopper_id": int(fields[b"shopper"]),
            "shake_id": fields[b"shake_id"].decode(), "used": int(fields[b"used"]),
            "created_at": datetime.fromtimestamp(millis / 1000, timezone.utc)}


def write_shakes(session: Session, logged: list[dict]) -> None:
    """Insert the lost shakes (once each) and raise each shopper's shake count to Redis's."""
    counts: dict[tuple[int, int], int] = {}
    for e in logged:
        key = (e["round_id"], e["shopper_id"])
        counts[key] = max(counts.get(key, 0), e["used"])
    if session.get_bind().dialect.name == "postgresql":
        write_with_arrays(session, logged, counts)
        return
    rows = [{"round_id": e["round_id"], "shopper_id": e["shopper_id"], "shake_id": e["shake_id"], "won": False,
             "created_at": e["created_at"]} for e in logged]
    insert = dialect_insert(session)(Shake.__table__).on_conflict_do_nothing(index_elements=["shopper_id", "shake_id"])
    session.connection().execute(insert, rows)
    session.connection().execute(shake_count_upsert(session), [
        {"round_id": r, "shopper_id": s, "shakes": used, "wins": 0} for (r, s), used in counts.items()])


# PostgreSQL: a whole batch as one statement per table, its columns sent as arrays (unnest),
# instead of a statement per row: the same rows, a fraction of the work for both sides.
SHAKES_FROM_ARRAYS = text("""
    INSERT INTO shakes (round_id, shopper_id, shake_id, won, created_at)
    SELECT r, s, k, false, t FROM unnest(CAST(:rounds AS bigint[]), CAST(:shoppers AS bigint[]),
                                         CAST(:keys AS text[]), CAST(:times AS timestamptz[])) AS b(r, s, k, t)
    ON CONFLICT (shopper_id, shake_id) DO NOTHING""")
COUNTS_FROM_ARRAYS = text("""
    INSERT INTO round_shoppers (round_id, shopper_id, shakes, wins)
    SELECT r, s, n, 0 FROM unnest(CAST(:rounds AS bigint[]), CAST(:shoppers AS bigint[]),
                                  CAST(:used AS integer[])) AS b(r, s, n)
    ON CONFLICT (round_id, shopper_id) DO UPDATE SET shakes = GREATEST(round_shoppers.shakes, excluded.shakes)""")


def write_with_arrays(session: Session, logged: list[dict], counts: dict[tuple[int, int], int]) -> None:
    session.execute(SHAKES_FROM_ARRAYS, {
        "rounds": [e["round_id"] for e in logged], "shoppers": [e["shopper_id"] for e in logged],
        "keys": [e["shake_id"] for e in logged], "times": [e["created_at"] for e in logged]})
    session.execute(COUNTS_FROM_ARRAYS, {"rounds": [r for r, _ in counts], "shoppers": [s for _, s in counts],
                                         "used": list(counts.values())})
