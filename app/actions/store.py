"""A shopper in a store: the compound's live counts, pushed to everyone in its room, coalesced.

Counting is two COUNT queries and a push reaches the whole room, so neither runs per event:
a worker counts a compound at most about once a LIVE_INTERVAL_SECONDS (the `enter_store` ack
gets counts at most that old) and pushes its room at most one `live` an interval, from a
short-lived background task that ends once no compound is waiting. With several workers
each may push once an interval: the same counts again, which is harmless.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app

from app import broadcasts
from app.extensions import db, socketio
from app.models import utcnow
from app.services.places.live import LiveCounts, live_counts

log = logging.getLogger(__name__)

LIVE_INTERVAL_SECONDS = 1.0
FORGET_AFTER_SECONDS = 60.0  # counts of a compound nobody entered lately are dropped


class LiveAnnouncer:
    """This worker's `live` pushes: compounds marked, counted and pushed once an interval."""

    def __init__(self, app: Flask, interval: float = LIVE_INTERVAL_SECONDS):
        self.app, self.interval = app, interval
        self.counted: dict[int, tuple[float, LiveCounts]] = {}
        self.waiting: set[int] = set()
        self.pushing = False
        self._lock = threading.Lock()

    def announce(self, compound_id: int) -> LiveCounts:
        """The compound's counts (at most an interval old); its room hears them within an interval."""
        counts = self.counts(compound_id)
        with self._lock:
            self.waiting.add(compound_id)
            start, self.pushing = not self.pushing, True
        if start:
            socketio.start_background_task(self.run)
        return counts

    def counts(self, compound_id: int, fresh: bool = False) -> LiveCounts:
        now = time.monotonic()
        cached = self.counted.get(compound_id)
        if cached is not None and not fresh and now - cached[0] < self.interval:
            return cached[1]
        counts = live_counts(db.session, compound_id, utcnow())
        self.counted[compound_id] = (now, counts)
        return counts

    def run(self) -> None:
        """Push the waiting compounds once an interval, until an interval passes with none."""
        try:
            while True:
                socketio.sleep(self.interval)
                with self._lock:
                    due, self.waiting = self.waiting, set()
                    if not due:
                        self.pushing = False
                        return
                self.push(due)
        except BaseException:
            with self._lock:
                self.pushing = False
            raise

    def push(self, compound_ids: set[int]) -> None:
        with self.app.app_context():
            try:
                for compound_id in sorted(compound_ids):
                    counts = self.counts(compound_id, fresh=True)  # counts after every marked entry
                    broadcasts.live(compound_id, counts.watching, counts.buying)
                db.session.commit()
            except Exception:  # a database hiccup: these compounds wait for their next entry
                log.exception("live counts push failed")
            finally:
                db.session.remove()
        stale = time.monotonic() - FORGET_AFTER_SECONDS
        for compound_id, (at, _) in list(self.counted.items()):
            if at < stale:
                self.counted.pop(compound_id, None)


def init_app(app: Flask) -> None:
    app.extensions["xiaoge.live_announcer"] = LiveAnnouncer(app, app.config.get("LIVE_PUSH_SECONDS",
                                                                               LIVE_INTERVAL_SECONDS))


def announce_live(compound_id: int) -> LiveCounts:
    """Count who is watching and buying in the compound (at most a second ago), and tell its
    room within a second."""
    return current_app.extensions["xiaoge.live_announcer"].announce(compound_id)
