"""A closed round's draws, published for anyone to check (API.md, "Verifiable draws").

Nothing here is stored per shake beyond the shake's own row: the number is recomputed from the
round's seed and the shake_id, and the outcome and prize are what the row recorded (what the
engine decided, including a Redis win the database refused: a lose). Shakes come in the order
decided: their `created_at` (a lose the Redis engine logged carries Redis's clock of its
decision), then their row id. A shopper is shown as an HMAC of the round and their id under a
server key: stable within the round, not linkable across rounds, not reversible.

Once closed a round's draws change no more, but for the Redis engine's loses still being
written behind (within a second or so, longer if its log writer is held up): a round closed
SETTLE_SECONDS ago is kept, as built, by each worker for `cache_seconds`; a fresher one is
built on every call.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timedelta

from cachetools import TTLCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Shake, ShakeRound
from app.services.draws.numbers import shake_number
from app.services.errors import Conflict, NotFound

SHOPPER_HASH_HEX = 16  # 64 bits of the HMAC: no collisions among a round's shoppers in practice
SETTLE_SECONDS = timedelta(seconds=30)


class RoundOpen(Conflict):
    status, code, message = 409, "round_open", "The round's draws are published once it has closed."


@dataclass(frozen=True)
class PrizeShare:
    index: int
    kind: str
    win_probability: float


@dataclass(frozen=True)
class DrawnShake:
    shake_id: str
    shopper: str  # hashed
    at: datetime
    number: float
    won: bool
    prize_index: int | None


@dataclass(frozen=True)
class RoundDraws:
    round_id: int
    seed: bytes
    seed_sha256: str  # as committed to when the round opened (a seed changed since no longer matches it)
    prizes: tuple[PrizeShare, ...]
    shakes: tuple[DrawnShake, ...]
    settled: bool = False  # closed SETTLE_SECONDS ago: nothing more will be written (kept in the cache)

    def body(self) -> dict:
        """API.md's answer."""
        return {"round_id": self.round_id, "seed": self.seed.hex(), "seed_sha256": self.seed_sha256,
                "prizes": [{"index": p.index, "kind": p.kind, "win_probability": p.win_probability}
                           for p in self.prizes],
                "shakes": [{"shake_id": s.shake_id, "shopper": s.shopper, "at": s.at.isoformat(),
                            "number": s.number, "result": "win" if s.won else "lose", "prize_index": s.prize_index}
                           for s in self.shakes]}

    @cached_property
    def encoded(self) -> bytes:
        """body() as JSON, made once: a cached round's thousands of shakes are not encoded per call."""
        return json.dumps(self.body(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ended_at(shake_round: ShakeRound) -> datetime:
    """When the round stopped taking shakes: closed early, or its time up (rules.check_round_open)."""
    if shake_round.closed_at is not None:
        return min(shake_round.closed_at, shake_round.closes_at)
    return shake_round.closes_at


def round_draws(session: Session, round_id: int, now: datetime, shopper_key: bytes) -> RoundDraws:
    """The round's seed, prize shares and every shake in the order decided; RoundOpen before it closes."""
    shake_round = session.get(ShakeRound, round_id)
    if shake_round is None:
        raise NotFound("No such shake round.")
    if now < ended_at(shake_round):
        raise RoundOpen()
    if shake_round.seed is None:
        raise NotFound("This round was drawn before draws were verifiable: it has no draws to show.")
    seed = shake_round.seed
    index_of = {line.id: n for n, line in enumerate(shake_round.prizes)}
    prizes = tuple(PrizeShare(n, line.prize.kind, line.prize.win_probability)
                   for n, line in enumerate(shake_round.prizes))
    rows = session.execute(
        select(Shake.shake_id, Shake.shopper_id, Shake.created_at, Shake.won, Shake.round_prize_id)
        .where(Shake.round_id == round_id).order_by(Shake.created_at, Shake.id))
    shakes = tuple(DrawnShake(row.shake_id, hashed_shopper(shopper_key, round_id, row.shopper_id), row.created_at,
                              shake_number(seed, row.shake_id), row.won,
                              index_of.get(row.round_prize_id) if row.won else None)
                   for row in rows)
    settled = now - ended_at(shake_round) >= SETTLE_SECONDS
    return RoundDraws(round_id, seed, shake_round.seed_sha256, prizes, shakes, settled)


def hashed_shopper(key: bytes, round_id: int, shopper_id: int) -> str:
    return hmac.new(key, f"{round_id}:{shopper_id}".encode(), hashlib.sha256).hexdigest()[:SHOPPER_HASH_HEX]


class DrawsLedger:
    """Closed rounds' draws for this worker, each built once per `cache_seconds`."""

    def __init__(self, secret_key: str | bytes, cache_seconds: float = 60.0):
        secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
        self.shopper_key = hmac.new(secret, b"xiaoge shake draws: shoppers", hashlib.sha256).digest()
        self._built: TTLCache | None = TTLCache(maxsize=64, ttl=cache_seconds) if cache_seconds > 0 else None
        self._lock = threading.Lock()

    def draws(self, session: Session, round_id: int, now: datetime) -> RoundDraws:
        if self._built is None:
            return round_draws(session, round_id, now, self.shopper_key)
        with self._lock:
            cached = self._built.get(round_id)
        if cached is not None:
            return cached
        built = round_draws(session, round_id, now, self.shopper_key)
        if built.settled:
            with self._lock:
                self._built[round_id] = built
        return built
