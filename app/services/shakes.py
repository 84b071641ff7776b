"""One shake: one atomic draw against the round's stock, within the per-shopper limits.

Every limit is a conditional UPDATE whose row count decides (never count-then-insert):
- shakes: `round_shoppers.shakes < shakes_per_shopper`;
- wins:   `round_shoppers.wins < wins_per_shopper`;
- stock:  `round_prizes.awarded < stock AND awarded < released`.

Pacing: a round's stock is released linearly over its window (one prize at once, the rest
spread evenly), so the prizes last through the window instead of all going in the first
second. Stock not won early stays released, so a quiet round can still award all of it.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import RoundPrize, RoundShopper, Shake, ShakeRound
from app.services.errors import NotFound, NotInCompound, RoundClosed, RoundNotOpen, ShakeLimitReached
from app.services.prizes import PRIZE_KINDS
from app.services.residence import shopper_compound_ids


@dataclass(frozen=True)
class ShakeOutcome:
    shake: Shake
    round_prize: RoundPrize | None
    shakes_left: int


def released(stock: int, shake_round: ShakeRound, now: datetime) -> int:
    """How much of a prize's stock may have been awarded by `now` (linear release)."""
    window = (shake_round.closes_at - shake_round.opens_at).total_seconds()
    elapsed = (now - shake_round.opens_at).total_seconds()
    if window <= 0:
        return stock
    return min(stock, math.floor(stock * elapsed / window) + 1)


def check_round_open(shake_round: ShakeRound, now: datetime) -> None:
    if shake_round.closed_at is not None or now >= shake_round.closes_at:
        raise RoundClosed()
    if now < shake_round.opens_at or shake_round.campaign.status != "active":
        raise RoundNotOpen()


def shake(session: Session, shopper_id: int, round_id: int, shake_id: str, now: datetime,
          rng: random.Random | None = None) -> ShakeOutcome:
    """Shake once in a round: a win takes one prize of the round's stock, or nothing."""
    shake_round = session.get(ShakeRound, round_id)
    if shake_round is None:
        raise NotFound("No such shake round.")
    check_round_open(shake_round, now)
    if shake_round.compound_id not in shopper_compound_ids(session, shopper_id):
        raise NotInCompound()
    campaign = shake_round.campaign
    participant_id = round_shopper_id(session, round_id, shopper_id)
    if not bump(session, RoundShopper.shakes, participant_id, campaign.shakes_per_shopper):
        raise ShakeLimitReached()
    round_prize = draw(session, shake_round, participant_id, now, rng or random)
    record = Shake(round_id=round_id, shopper_id=shopper_id, shake_id=shake_id, won=round_prize is not None,
                   round_prize_id=round_prize.id if round_prize else None)
    if round_prize is not None:
        awarded = PRIZE_KINDS[round_prize.prize.kind].award(session, round_prize.prize, shopper_id,
                                                             shake_round, now)
        record.coupon_id, record.order_id = awarded.get("coupon_id"), awarded.get("order_id")
    session.add(record)
    session.flush()
    used = session.scalar(select(RoundShopper.shakes).where(RoundShopper.id == participant_id))
    return ShakeOutcome(record, round_prize, max(campaign.shakes_per_shopper - used, 0))


def round_shopper_id(session: Session, round_id: int, shopper_id: int) -> int:
    """The shopper's counter row in this round, created on their first shake."""
    query = select(RoundShopper.id).where(RoundShopper.round_id == round_id,
                                          RoundShopper.shopper_id == shopper_id)
    existing = session.scalar(query)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            row = RoundShopper(round_id=round_id, shopper_id=shopper_id, shakes=0, wins=0)
            session.add(row)
        return row.id
    except IntegrityError:
        return session.scalar(query)  # their concurrent first shake created it


def bump(session: Session, column, row_id: int, limit: int) -> bool:
    """Add one to a RoundShopper counter unless it has reached `limit`."""
    return session.execute(
        update(RoundShopper).where(RoundShopper.id == row_id, column < limit)
        .values({column.key: column + 1}).execution_options(synchronize_session=False)
    ).rowcount == 1


def draw(session: Session, shake_round: ShakeRound, participant_id: int, now: datetime,
         rng) -> RoundPrize | None:
    """Try each prize line at its odds; the first whose stock and the shopper's wins allow is won."""
    wins_limit = shake_round.campaign.wins_per_shopper
    for round_prize in shake_round.prizes:
        if rng.random() >= round_prize.prize.win_probability:
            continue
        attempt = session.begin_nested()
        if not bump(session, RoundShopper.wins, participant_id, wins_limit):
            attempt.rollback()
            return None  # this shopper has won all they may in this round
        taken = session.execute(
            update(RoundPrize)
            .where(RoundPrize.id == round_prize.id, RoundPrize.awarded < RoundPrize.stock,
                   RoundPrize.awarded < released(round_prize.stock, shake_round, now))
            .values(awarded=RoundPrize.awarded + 1).execution_options(synchronize_session=False)
        ).rowcount
        if taken == 1:
            attempt.commit()
            return round_prize
        attempt.rollback()
    return None


def shopper_wins(session: Session, shopper_id: int) -> list[Shake]:
    return list(session.scalars(
        select(Shake).where(Shake.shopper_id == shopper_id, Shake.won.is_(True))
        .order_by(Shake.id.desc()).limit(100)
    ))


def shakes_left(session: Session, shake_round: ShakeRound, shopper_id: int) -> int:
    used = session.scalar(select(RoundShopper.shakes).where(RoundShopper.round_id == shake_round.id,
                                                            RoundShopper.shopper_id == shopper_id))
    return max(shake_round.campaign.shakes_per_shopper - (used or 0), 0)
