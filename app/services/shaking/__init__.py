"""The shake: one atomic draw against a round's prize stock, within each shopper's limits.

A shake is decided by a draw engine (engine.py), chosen once per app by SHAKE_DRAWS:
- "sql" (the embedded default): every shake one database transaction (sql_engine.py);
- "redis" (the default when REDIS_URL is set): a Lua script decides, the database records
  behind it (redis/). A compound-wide burst needs it.
Both keep the same rules (rules.py: a round open, stock released by pacing; counters.py: the
shopper's shakes and wins), answer a shake_id once and replay that answer (answers.py defines
the body), and never award more than a round's stock. What a win gives is prizes.py.
"""
from __future__ import annotations

from collections.abc import Mapping

from app.services.shaking.answers import ShakeResult
from app.services.shaking.engine import DrawEngine
from app.services.shaking.redis.engine import RedisDrawEngine
from app.services.shaking.sql_engine import SqlDrawEngine

__all__ = ["DrawEngine", "ShakeResult", "build_engine"]


def build_engine(config: Mapping) -> DrawEngine:
    """The engine SHAKE_DRAWS names (sql or redis), else redis when REDIS_URL is set, else sql."""
    choice = config.get("SHAKE_DRAWS") or ("redis" if config.get("REDIS_URL") else "sql")
    if choice == "sql":
        return SqlDrawEngine()
    if choice == "redis":
        if not config.get("REDIS_URL"):
            raise RuntimeError("SHAKE_DRAWS=redis needs REDIS_URL")
        return RedisDrawEngine(config["REDIS_URL"], config.get("REDIS_KEY_PREFIX", "xiaoge:"),
                               round_cache_seconds=config.get("SHAKE_ROUND_CACHE_SECONDS", 1.0),
                               residence_cache_seconds=config.get("SHAKE_RESIDENCE_CACHE_SECONDS", 3600.0),
                               log_writer=bool(config.get("SHAKE_LOG_WRITER", True)),
                               refusal_keep_seconds=config.get("SHAKE_REFUSAL_KEEP_SECONDS", 600))
    raise RuntimeError(f"SHAKE_DRAWS must be sql or redis, not {choice!r}")
