"""The draw engine: where a shake is decided. Two implement it (sql_engine.py, redis/engine.py)."""
from __future__ import annotations

from typing import Protocol

from flask import Flask
from sqlalchemy.orm import Session

from app.background import BackgroundLoop
from app.models import ShakeRound
from app.services.shaking.answers import ShakeResult


class DrawEngine(Protocol):
    def shake(self, session: Session, shopper_id: int, round_id: int, shake_id: str,
              known_home: int | None = None) -> ShakeResult:
        """Shake once; the same shake_id again returns the first answer (replayed).

        `known_home`: the shopper's home compound as read when their socket connected (the room
        they hear the van in). An engine may take it as the residence check instead of asking
        again: a shopper who moved home while connected shakes where they hear the van until
        they reconnect. None: not known, asked as usual."""

    def shakes_left(self, session: Session, shake_round: ShakeRound, shopper_id: int) -> int:
        """How many more times the shopper may shake in the round."""

    def know_resident(self, shopper_id: int, compound_id: int) -> None:
        """The database just said the shopper lives in the compound (a hint; may do nothing)."""

    def residence_changed(self, shopper_id: int) -> None:
        """The shopper's home or latest store just changed (committed): forget any hint."""

    def background_tasks(self, app: Flask) -> list[BackgroundLoop]:
        """The loops each worker must run for this engine (started once the app serves)."""

    def close(self) -> None:
        """Let go of connections (an app being thrown away)."""
