"""A shopper in a store: the compound's live figures, pushed to everyone in its room, coalesced.

The store's counts (watching, buying) and each product's popularity (watching it, bought it
today: app/services/popularity) change with entries, views, orders and cancels; none of those
pushes by itself. Each marks its compound; a worker counts a compound at most about once a
LIVE_INTERVAL_SECONDS (the `enter_store` ack gets counts at most that old) and pushes its room
at most one `live` an interval, from a short-lived background task that ends once no compound
is waiting. A push carries the products whose figures changed since the compound's last push
(counters.swap_shown: in Redis, shared by the workers). A compound with viewers is looked at
again every RECHECK_SECONDS while the loop runs, so views running out reach the room too. With
several workers each may push once an interval: the same counts again, which is harmless.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import broadcasts
from app.extensions import db, socketio
from app.models import utcnow
from app.services.places.live import LiveCounts, live_counts
from app.services.popularity import take_notes
from app.wiring import popularity

log = logging.getLogger(__name__)

LIVE_INTERVAL_SECONDS = 1.0
RECHECK_SECONDS = 5.0  # how late a view running out may reach the room
FORGET_AFTER_SECONDS = 60.0  # counts of a compound nobody entered lately are dropped


class LiveAnnouncer:
    """This worker's `live` pushes: compounds marked, counted and pushed once an interval."""

    def __init__(self, app: Flask, interval: float = LIVE_INTERVAL_SECONDS, recheck: float = RECHECK_SECONDS):
        self.app, self.interval, self.recheck = app, interval, recheck
        self.counted: dict[int, tuple[float, LiveCounts]] = {}
        self.waiting: set[int] = set()
        self.rechecks: dict[int, float] = {}  # compound -> when to look at its viewers again
        self.pushing = False
        self.stopping = False  # stop(): the running loop ends at its next turn (a mark starts another)
        self.now = utcnow  # the clock the counters are read at (tests move it)
        self._lock = threading.Lock()

    def announce(self, compound_id: int) -> LiveCounts:
        """The compound's counts (at most an interval old); its room hears them within an interval."""
        counts = self.counts(compound_id)
        self.mark(compound_id)
        return counts

    def mark(self, compound_id: int) -> None:
        """Something the room sees changed in the compound: push it within an interval."""
        with self._lock:
            self.waiting.add(compound_id)
            start, self.pushing = not self.pushing, True
        if start:
            socketio.start_background_task(self.run)

    def counts(self, compound_id: int, fresh: bool = False) -> LiveCounts:
        now = time.monotonic()
        cached = self.counted.get(compound_id)
        if cached is not None and not fresh and now - cached[0] < self.interval:
            return cached[1]
        counts = live_counts(db.session, compound_id, self.now())
        self.counted[compound_id] = (now, counts)
        return counts

    def run(self) -> None:
        """Push the waiting compounds once an interval, until an interval passes with none
        waiting and no viewers to look at again."""
        try:
            while True:
                socketio.sleep(self.interval)
                with self._lock:
                    due, self.waiting = self.waiting, set()
                    now = time.monotonic()
                    rechecked = {c for c, at in self.rechecks.items() if at <= now} - due
                    if self.stopping or (not due and not self.rechecks):
                        self.waiting |= due
                        self.pushing = self.stopping = False
                        return
                if not self.serving():
                    return
                if due or rechecked:
                    self.push(due, rechecked)
        except BaseException:
            with self._lock:
                self.pushing = False
            raise

    def stop(self) -> None:
        """End the running loop at its next turn (a server stopping); what waits stays marked."""
        with self._lock:
            self.stopping = self.pushing

    def serving(self) -> bool:
        """Whether this is still the app's announcer (one replaced, as a test rebuilds its app's
        services, stops, the waiting compounds with it); stopped, it is no longer pushing."""
        with self.app.app_context():
            current = current_app.extensions.get("xiaoge.live_announcer") is self
        if not current:
            with self._lock:
                self.pushing = False
        return current

    def push(self, marked: set[int], rechecked: set[int] = frozenset()) -> None:
        """Marked compounds hear their counts and changed products; rechecked ones only
        changed products, if any."""
        with self.app.app_context():
            counters = popularity()
            try:
                for compound_id in sorted(marked | rechecked):
                    figures = counters.figures(db.session, compound_id, self.now())
                    changed = counters.swap_shown(compound_id, figures)
                    if compound_id in marked or changed:
                        counts = self.counts(compound_id, fresh=True)  # counts after every marked change
                        broadcasts.live(compound_id, counts.watching, counts.buying, changed)
                    self.follow_viewers(compound_id, any(watching for watching, _ in figures.values()))
                db.session.commit()
            except Exception:  # a database or Redis hiccup: these compounds wait for their next change
                log.exception("live counts push failed")
            finally:
                db.session.remove()
        stale = time.monotonic() - FORGET_AFTER_SECONDS
        for compound_id, (at, _) in list(self.counted.items()):
            if at < stale:
                self.counted.pop(compound_id, None)

    def follow_viewers(self, compound_id: int, has_viewers: bool) -> None:
        with self._lock:
            if has_viewers:
                self.rechecks[compound_id] = time.monotonic() + self.recheck
            else:
                self.rechecks.pop(compound_id, None)


def init_app(app: Flask) -> None:
    app.extensions["xiaoge.live_announcer"] = LiveAnnouncer(app, app.config.get("LIVE_PUSH_SECONDS",
                                                                               LIVE_INTERVAL_SECONDS))
    follow_order_changes()


def announcer() -> LiveAnnouncer:
    return current_app.extensions["xiaoge.live_announcer"]


def announce_live(compound_id: int) -> LiveCounts:
    """Count who is watching and buying in the compound (at most a second ago), and tell its
    room within a second."""
    return announcer().announce(compound_id)


def viewing(shopper_id: int, compound_id: int, product_id: int | None) -> None:
    """The shopper views a product of the compound's store (None: the store itself) from now
    on; its room hears the changed figures within a second. Commits."""
    popularity().view(db.session, compound_id, shopper_id, product_id, announcer().now())
    db.session.commit()
    announcer().mark(compound_id)


def orders_committed(session: Session) -> None:
    """After a commit: the orders placed and cancelled in it reach the popularity counters, and
    their compounds' rooms hear of them within a second."""
    changes = take_notes(session)
    if not changes or not has_app_context() or "xiaoge.live_announcer" not in current_app.extensions:
        return
    try:
        popularity().orders_changed(changes)
    except Exception:  # Redis unreachable: bought_today misses these orders (README says so)
        log.exception("popularity counters missed %d order changes", len(changes))
    for compound_id in sorted({change.compound_id for change in changes}):
        announcer().mark(compound_id)


def orders_rolled_back(session: Session) -> None:
    take_notes(session)


_following = False


def follow_order_changes() -> None:
    """Once a process: every session's commits and rollbacks settle the orders noted in them."""
    global _following
    if not _following:
        event.listen(Session, "after_commit", orders_committed)
        event.listen(Session, "after_rollback", orders_rolled_back)
        _following = True
