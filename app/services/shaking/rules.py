"""The rules both draw engines keep: when a round takes shakes, and how much stock pacing has released.

Pacing: a round's stock is released linearly over its window (one prize at once, the rest
spread evenly), so the prizes last through the window instead of all going in the first
second. Stock not won early stays released, so a quiet round can still award all of it.
"""
from __future__ import annotations

import math
from datetime import datetime
from typing import Protocol

from app.services.errors import RoundClosed, RoundNotOpen


class RoundWindow(Protocol):
    """What the rules read of a round: a ShakeRound, or the Redis engine's RoundView of one."""

    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    campaign_status: str


def check_round_open(shake_round: RoundWindow, now: datetime) -> None:
    """Raise RoundClosed or RoundNotOpen unless the round takes shakes now."""
    if shake_round.closed_at is not None or now >= shake_round.closes_at:
        raise RoundClosed()
    if now < shake_round.opens_at or shake_round.campaign_status != "active":
        raise RoundNotOpen()


def released(stock: int, shake_round: RoundWindow, now: datetime) -> int:
    """How much of a prize's stock may have been awarded by `now` (linear release)."""
    window = (shake_round.closes_at - shake_round.opens_at).total_seconds()
    elapsed = (now - shake_round.opens_at).total_seconds()
    if window <= 0:
        return stock
    return min(stock, math.floor(stock * elapsed / window) + 1)
