"""The rules both draw engines keep: when a round takes shakes, and how much stock pacing has released.

One compound a day: a shopper shakes for a campaign in one compound a day (Asia/Shanghai):
the first compound where they shake in a round of the campaign is theirs for it that day
(`round_day`: a round's day is the day it opened); a shake in another compound's round of the
campaign that day is refused (`taken_part_elsewhere`). A shopper's compound is self-declared
(home address, latest store session), so this is what bounds one account to one compound's
rounds (and their wins_per_shopper) per campaign and day.

Pacing: a round's stock is released linearly over its window (one prize at once, the rest
spread evenly), so the prizes last through the window instead of all going in the first
second. Stock not won early stays released, so a quiet round can still award all of it.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from app.services.errors import NotFound, NotInCompound, RoundClosed, RoundNotOpen

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Refusals of the round itself, the same whenever asked again: not kept under the shake_id.
ROUND_REFUSALS = (NotFound, RoundNotOpen, RoundClosed)
# Kept in Redis per (campaign, day, shopper), past the end of the round's day.
COMPOUND_DAY_SECONDS = 2 * 24 * 3600


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


def round_day(opens_at: datetime) -> date:
    """The day (Asia/Shanghai) a round belongs to: the day it opened."""
    return opens_at.astimezone(SHANGHAI).date()


def taken_part_elsewhere() -> NotInCompound:
    """The refusal of a shake in a second compound for a campaign on one day."""
    return NotInCompound("You already took part in this campaign in another compound today.")
