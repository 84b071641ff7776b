"""The Prometheus metrics, all of them here; each site that moves one calls a line of this module.

The objects are process-wide (Prometheus' own model): with several gunicorn workers, set
PROMETHEUS_MULTIPROC_DIR (an empty directory, before the workers start) and each worker writes
its figures there; /metrics adds them up (gunicorn.conf.py's child_exit forgets a dead worker's
gauges). Without it (`make demo`, the tests: one process) the default registry serves.
/metrics answers only a `Authorization: Bearer <METRICS_TOKEN>`; without METRICS_TOKEN it is 404.
Labels are bounded (engine, code, outcome, event): never a shopper, a round or a compound.
"""
from __future__ import annotations

import functools
import hmac
import os
import time
from functools import wraps

from flask import Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from app.extensions import db

SHAKES = Counter("xiaoge_shakes_total", "Shakes answered (replays included), by draw engine", ["engine"])
WINS = Counter("xiaoge_wins_total", "Shakes answered with a win, by draw engine", ["engine"])
REFUSALS = Counter("xiaoge_refusals_total",
                   "Error answers by API.md code: REST errors, socket acks, refused shakes", ["code"])
ARRIVALS = Counter("xiaoge_arrivals_total",
                   "Courier arrivals by outcome: opened, no_round, stale, replayed, or the refusal's code",
                   ["outcome"])
FAN_OUT = Histogram("xiaoge_broadcast_seconds", "Time to emit one broadcast to its rooms", ["event"],
                    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
SHAKES_IN_FLIGHT = Gauge("xiaoge_shakes_in_flight", "Shakes being worked on now (all workers)",
                         multiprocess_mode="livesum")
SHAKES_SHED = Counter("xiaoge_shakes_shed_total",
                      "Shakes refused at once because SHAKE_MAX_IN_FLIGHT were in hand")
DATABASE_ERRORS = Counter("xiaoge_database_errors_total",
                          "Database operational errors (connection lost, server down, timeouts)")
REDIS_ERRORS = Counter("xiaoge_redis_errors_total", "Redis errors, by where they hit", ["where"])
ROUND_CLOSE_LAG = Histogram("xiaoge_round_close_lag_seconds",
                            "How late the sweeper closed a round after closes_at",
                            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0))


def init_app(app: Flask) -> None:
    """Serve /metrics (behind METRICS_TOKEN) and count the app's database errors."""
    app.add_url_rule("/metrics", "metrics", serve_metrics)
    count_database_errors(app)


def serve_metrics() -> Response:
    """The figures in Prometheus' text format, for a scraper holding METRICS_TOKEN."""
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        abort(401)
    return Response(generate_latest(registry()), mimetype=CONTENT_TYPE_LATEST)


def registry():
    """Every worker's figures added up in multiprocess mode, else this process's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected)
    return collected


def count_database_errors(app: Flask) -> None:
    """One listener on the engine counts every operational error, whichever path hit it."""
    with app.app_context():
        engine = db.engine
    if not event.contains(engine, "handle_error", on_database_error):
        event.listen(engine, "handle_error", on_database_error)


def on_database_error(context) -> None:
    if context.is_disconnect or isinstance(context.sqlalchemy_exception, OperationalError):
        DATABASE_ERRORS.inc()


def shake_answered(engine: object, body: dict, status: int) -> None:
    """A shake's answer: counted by engine, a win as a win, a refusal by its code."""
    shakes, wins = engine_counters(type(engine))
    shakes.inc()
    if status >= 400:
        REFUSALS.labels(body.get("error", {}).get("code", "error")).inc()
    elif body.get("result") == "win":
        wins.inc()


@functools.cache
def engine_counters(engine_type: type):
    """The shakes and wins counters of one draw engine, labelled once (not on every shake)."""
    name = engine_type.__name__.removesuffix("DrawEngine").lower() or "other"
    return SHAKES.labels(name), WINS.labels(name)


def refused(code: str) -> None:
    REFUSALS.labels(code).inc()


def arrival(outcome: str) -> None:
    ARRIVALS.labels(outcome).inc()


def redis_error(where: str) -> None:
    REDIS_ERRORS.labels(where).inc()


def rounds_closed(closed, now) -> None:
    """The sweeper closed these rounds at `now`: how late each was."""
    for shake_round in closed:
        ROUND_CLOSE_LAG.observe(max(0.0, (now - shake_round.closes_at).total_seconds()))


def timed_broadcast(emit):
    """Decorate a broadcast: its time to emit goes to xiaoge_broadcast_seconds{event=<its name>}."""
    timer = FAN_OUT.labels(emit.__name__)

    @wraps(emit)
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return emit(*args, **kwargs)
        finally:
            timer.observe(time.perf_counter() - started)
    return timed
