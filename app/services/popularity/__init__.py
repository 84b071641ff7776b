"""Live popularity per product: who is viewing each product now, and who bought it today.

Two implement `PopularityCounters` (counters.py): SQL in the embedded default (sql.py) and
Redis in production (redis_counters.py); `build_counters` picks one as wiring.py does the draw
engine. Orders feed bought_today through notes (notes.py) applied once the transaction commits.
"""
from __future__ import annotations

from collections.abc import Mapping

from app.services.popularity.counters import WATCH_WINDOW, Figures, PopularityCounters
from app.services.popularity.notes import OrderChange, note_order, take_notes

__all__ = ["WATCH_WINDOW", "Figures", "OrderChange", "PopularityCounters", "build_counters", "note_order",
           "take_notes"]


def build_counters(config: Mapping) -> PopularityCounters:
    """POPULARITY_COUNTERS (sql or redis), else redis when REDIS_URL is set, else sql."""
    choice = config.get("POPULARITY_COUNTERS") or ("redis" if config.get("REDIS_URL") else "sql")
    window = config.get("POPULARITY_WATCH_SECONDS") or WATCH_WINDOW.total_seconds()
    if choice == "sql":
        from app.services.popularity.sql import SqlCounters
        return SqlCounters(window)
    if choice == "redis":
        if not config.get("REDIS_URL"):
            raise RuntimeError("POPULARITY_COUNTERS=redis needs REDIS_URL")
        from app.services.popularity.redis_counters import RedisCounters
        return RedisCounters(config["REDIS_URL"], config.get("REDIS_KEY_PREFIX", "xiaoge:"), window)
    raise RuntimeError(f"POPULARITY_COUNTERS must be sql or redis, not {choice!r}")
