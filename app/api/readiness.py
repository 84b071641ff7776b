"""GET /api/v1/readyz: can this worker serve shoppers? The database answers, and Redis if used.

A load balancer or orchestrator polls it to take a worker out of rotation while its database or
Redis is unreachable; /api/v1/healthz stays the cheap liveness check (no I/O). Each check has a
short timeout (READINESS_TIMEOUT_SECONDS), so the probe never hangs with what it probes.
"""
from __future__ import annotations

import logging

import marshmallow as ma
import redis
from flask import current_app, jsonify
from flask_smorest import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

log = logging.getLogger(__name__)

blp = Blueprint("readiness", __name__, url_prefix="/api/v1", description="Readiness probe")


class Readiness(ma.Schema):
    database = ma.fields.String(required=True, metadata={"enum": ["ok", "failed"]})
    redis = ma.fields.String(required=True, metadata={"enum": ["ok", "off", "failed"]})
    error = ma.fields.Dict(metadata={"description": "on 503: API.md's error body (`unavailable`)"})


@blp.get("/readyz")
@blp.response(200, Readiness)
@blp.alt_response(503, schema=Readiness, description="the database or Redis did not answer in time")
def readyz():
    """200 when the database answers SELECT 1 and Redis (when REDIS_URL is set) answers PING."""
    checks = {"database": database_state(), "redis": redis_state()}
    if "failed" not in checks.values():
        return jsonify(checks)
    failed = ", ".join(name for name, state in checks.items() if state == "failed")
    error = {"code": "unavailable", "message": f"Not ready: {failed} did not answer."}
    return jsonify({**checks, "error": error}), 503


def timeout_seconds() -> float:
    return current_app.config.get("READINESS_TIMEOUT_SECONDS", 2.0)


def database_state() -> str:
    """SELECT 1 on a pooled connection's own cursor: no SQLAlchemy BEGIN (SQLite's takes the write lock)."""
    failures = (SQLAlchemyError, OSError, db.engine.dialect.loaded_dbapi.Error)
    try:
        with db.engine.connect() as connection:  # a failure to connect is counted as a database error
            cursor = connection.connection.cursor()
            if db.engine.dialect.name == "postgresql":
                cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_seconds() * 1000)}")
            cursor.execute("SELECT 1")
            cursor.close()
    except failures as error:
        log.warning("not ready: the database did not answer: %s", error)
        return "failed"
    return "ok"


def redis_state() -> str:
    """PING REDIS_URL on a client of its own with short timeouts; "off" without REDIS_URL."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "off"
    client = current_app.extensions.get("xiaoge.readiness_redis")
    if client is None:
        seconds = timeout_seconds()
        client = redis.Redis.from_url(url, socket_timeout=seconds, socket_connect_timeout=seconds)
        current_app.extensions["xiaoge.readiness_redis"] = client
    try:
        client.ping()
    except redis.RedisError as error:
        log.warning("not ready: Redis did not answer: %s", error)
        return "failed"
    return "ok"
