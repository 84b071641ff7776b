"""Shed shakes a worker cannot start soon: a quick 503 to retry beats a queue that times out.

Each worker admits at most SHAKE_MAX_IN_FLIGHT shakes at once (REST and socket together);
one more is refused at once with `unavailable` and a retry hint, having done nothing. When
the worker's CPU is the bottleneck, shakes pile up between their start and their answer, so
this bound is what keeps an admitted shake's wait short while a crowd outshakes the server.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

from flask import Flask, current_app

from app import metrics
from app.services.errors import Unavailable


class Admission:
    def __init__(self, limit: int):
        self.limit = limit
        self.in_flight = 0
        self._lock = threading.Lock()

    @contextmanager
    def admit(self):
        with self._lock:
            if self.in_flight >= self.limit:
                metrics.SHAKES_SHED.inc()
                raise Unavailable("Too many shakes at once; try again in a moment.")
            self.in_flight += 1
        metrics.SHAKES_IN_FLIGHT.inc()
        try:
            yield
        finally:
            metrics.SHAKES_IN_FLIGHT.dec()
            with self._lock:
                self.in_flight -= 1


def init_app(app: Flask) -> None:
    """This worker's admission of shakes, SHAKE_MAX_IN_FLIGHT at once."""
    app.extensions["xiaoge.shake_admission"] = Admission(app.config.get("SHAKE_MAX_IN_FLIGHT", 64))


def shake_admission() -> Admission:
    return current_app.extensions["xiaoge.shake_admission"]
