"""Where a shake is decided: one interface, two paths, chosen once per app by SHAKE_DRAWS.

- "sql" (the embedded default): every shake is one database transaction (app/services/shakes.py).
- "redis" (the default when REDIS_URL is set): a Lua script in Redis decides, the database
  records behind it (app/services/redis_shakes.py). A compound-wide burst needs it.

Both answer a shake_id once and replay that answer (API.md), and both never award more than
a round's stock.
"""
from __future__ import annotations

from typing import Protocol

from flask import Flask, current_app
from sqlalchemy.orm import Session

from app.models import ShakeRound, utcnow
from app.services import idempotency, shakes
from app.services.shake_answers import shake_body


class ShakePath(Protocol):
    def shake(self, session: Session, shopper_id: int, round_id: int, shake_id: str,
              known_home: int | None = None) -> idempotency.Answer:
        """Shake once; the same shake_id again returns the first answer (replayed=True).

        `known_home`: the shopper's home compound as read when their socket connected (the room
        they hear the van in). A path may take it as the residence check instead of asking
        again: a shopper who moved home while connected shakes where they hear the van until
        they reconnect. None: not known, asked as usual."""

    def shakes_left(self, session: Session, shake_round: ShakeRound, shopper_id: int) -> int:
        ...

    def know_resident(self, shopper_id: int, compound_id: int) -> None:
        """The database just said the shopper lives in the compound (a hint; may do nothing)."""

    def residence_changed(self, shopper_id: int) -> None:
        """The shopper's home or latest store just changed (committed): forget any hint."""


class SqlShakePath:
    def shake(self, session: Session, shopper_id: int, round_id: int, shake_id: str,
              known_home: int | None = None) -> idempotency.Answer:  # residence is read in the shake's transaction
        def produce():
            outcome = shakes.shake(session, shopper_id, round_id, shake_id, utcnow())
            return 200, shake_body(outcome.shake, outcome.shakes_left)

        return idempotency.answer_once(session, "shake", shopper_id, shake_id, produce)

    def shakes_left(self, session: Session, shake_round: ShakeRound, shopper_id: int) -> int:
        return shakes.shakes_left(session, shake_round, shopper_id)

    def know_resident(self, shopper_id: int, compound_id: int) -> None:
        pass  # every shake reads it from the database in its own transaction

    def residence_changed(self, shopper_id: int) -> None:
        pass


def build_shake_path(app: Flask) -> ShakePath:
    choice = app.config.get("SHAKE_DRAWS") or ("redis" if app.config.get("REDIS_URL") else "sql")
    if choice == "sql":
        return SqlShakePath()
    if choice == "redis":
        if not app.config.get("REDIS_URL"):
            raise RuntimeError("SHAKE_DRAWS=redis needs REDIS_URL")
        from app.services.redis_shakes import RedisShakePath

        return RedisShakePath(app.config["REDIS_URL"], app.config.get("REDIS_KEY_PREFIX", "xiaoge:"),
                              round_cache_seconds=app.config.get("SHAKE_ROUND_CACHE_SECONDS", 1.0),
                              residence_cache_seconds=app.config.get("SHAKE_RESIDENCE_CACHE_SECONDS", 3600.0))
    raise RuntimeError(f"SHAKE_DRAWS must be sql or redis, not {choice!r}")


def shake_path() -> ShakePath:
    return current_app.extensions["xiaoge.shake_path"]
