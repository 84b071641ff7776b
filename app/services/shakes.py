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

import logging
import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.database import dialect_of
from app.models import RoundPrize, RoundShopper, Shake, ShakeRound
from app.services.errors import NotFound, NotInCompound, RoundClosed, RoundNotOpen, ShakeLimitReached
from app.services.places.residence import shopper_compound_ids
from app.services.prizes import PRIZE_KINDS

if TYPE_CHECKING:
    from app.services.redis_shakes import RoundView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShakeOutcome:
    shake: Shake
    round_prize: RoundPrize | None
    shakes_left: int


def released(stock: int, shake_round: ShakeRound | RoundView, now: datetime) -> int:
    """How much of a prize's stock may have been awarded by `now` (linear release)."""
    window = (shake_round.closes_at - shake_round.opens_at).total_seconds()
    elapsed = (now - shake_round.opens_at).total_seconds()
    if window <= 0:
        return stock
    return min(stock, math.floor(stock * elapsed / window) + 1)


def check_round_open(shake_round: ShakeRound | RoundView, now: datetime) -> None:
    if shake_round.closed_at is not None or now >= shake_round.closes_at:
        raise RoundClosed()
    if now < shake_round.opens_at or shake_round.campaign_status != "active":
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
    counted = count_shake(session, round_id, shopper_id, campaign.shakes_per_shopper)
    if counted is None:
        raise ShakeLimitReached()
    participant_id, used = counted
    round_prize = draw(session, shake_round, participant_id, now, rng or random)
    record = record_shake(session, shake_round, shopper_id, shake_id, round_prize, now)
    return ShakeOutcome(record, round_prize, max(campaign.shakes_per_shopper - used, 0))


def record_shake(session: Session, shake_round: ShakeRound, shopper_id: int, shake_id: str,
                 round_prize: RoundPrize | None, now: datetime) -> Shake:
    """The shake's row; a win also makes what the prize gives (a coupon, or an order to pick up)."""
    record = Shake(round_id=shake_round.id, shopper_id=shopper_id, shake_id=shake_id,
                   won=round_prize is not None, round_prize_id=round_prize.id if round_prize else None)
    if round_prize is not None:
        give_prize(session, record, round_prize, shake_round, now)
    session.add(record)
    session.flush()
    return record


def give_prize(session: Session, record: Shake, round_prize: RoundPrize, shake_round: ShakeRound,
               now: datetime) -> None:
    """Make what a winning shake's prize gives (a coupon, or an order to pick up) and link it."""
    awarded = PRIZE_KINDS[round_prize.prize.kind].award(session, round_prize.prize, record.shopper_id,
                                                         shake_round, now)
    record.coupon, record.order = awarded.get("coupon"), awarded.get("order")


def sync_shake_count(session: Session, round_id: int, shopper_id: int, used: int) -> int:
    """Raise the shopper's shake count to `used` (never lower it); the counter row's id."""
    row = {"round_id": round_id, "shopper_id": shopper_id, "shakes": used, "wins": 0}
    return session.execute(shake_count_upsert(session).returning(RoundShopper.id), row).scalar_one()


def shake_count_upsert(session: Session):
    """INSERT a counter row, or raise an existing one's shakes to the one given (never lower)."""
    row = dialect_insert(session)(RoundShopper.__table__)
    return row.on_conflict_do_update(
        index_elements=[RoundShopper.round_id, RoundShopper.shopper_id],
        set_={"shakes": raised_shakes(row)},
    ).execution_options(synchronize_session=False)


def raised_shakes(row):
    """An upsert's shakes: the count given, unless the stored one is higher (never lowered)."""
    return case((RoundShopper.shakes > row.excluded.shakes, RoundShopper.shakes), else_=row.excluded.shakes)


DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(session: Session):
    """INSERT with ON CONFLICT for the database in use (PostgreSQL, or SQLite for the embedded default)."""
    return DIALECT_INSERTS[dialect_of(session)]


def count_shake(session: Session, round_id: int, shopper_id: int, limit: int) -> tuple[int, int] | None:
    """Count one more shake unless the shopper is at the limit: (counter row id, shakes used).

    One UPDATE ... RETURNING in the common case. The first shake inserts the counter row;
    when it already exists (at the limit, or the same shopper's concurrent first shake just
    made it) the UPDATE is tried once more and decides.
    """
    mine = (RoundShopper.round_id == round_id, RoundShopper.shopper_id == shopper_id)
    count_one_more = (
        update(RoundShopper).where(*mine, RoundShopper.shakes < limit)
        .values(shakes=RoundShopper.shakes + 1).returning(RoundShopper.id, RoundShopper.shakes)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(count_one_more).first()
    if row is not None:
        return row.id, row.shakes
    if session.scalar(select(RoundShopper.id).where(*mine)) is None:
        try:
            with session.begin_nested():
                first = RoundShopper(round_id=round_id, shopper_id=shopper_id, shakes=1, wins=0)
                session.add(first)
            return first.id, 1
        except IntegrityError:
            pass
    row = session.execute(count_one_more).first()
    return (row.id, row.shakes) if row is not None else None


def count_win(session: Session, row_id: int, limit: int | None) -> bool:
    """Count one more win for the shopper unless they are at `limit` (None: whatever the count)."""
    within = (RoundShopper.wins < limit,) if limit is not None else ()
    return session.execute(
        update(RoundShopper).where(RoundShopper.id == row_id, *within)
        .values(wins=RoundShopper.wins + 1).execution_options(synchronize_session=False)
    ).rowcount == 1


def draw(session: Session, shake_round: ShakeRound, participant_id: int, now: datetime,
         rng) -> RoundPrize | None:
    """Try each prize line at its odds; the first whose stock and the shopper's wins allow is won."""
    wins_limit = shake_round.campaign.wins_per_shopper
    for round_prize in shake_round.prizes:
        if rng.random() >= round_prize.prize.win_probability:
            continue
        attempt = session.begin_nested()
        if not count_win(session, participant_id, wins_limit):
            attempt.rollback()
            return None  # this shopper has won all they may in this round
        if take_prize(session, round_prize.id, released(round_prize.stock, shake_round, now)):
            attempt.commit()
            return round_prize
        attempt.rollback()
    return None


def take_prize(session: Session, round_prize_id: int, cap: int | None) -> bool:
    """Award one more of a round's prize unless its stock, or `cap` (what pacing has released), is used up."""
    within_cap = (RoundPrize.awarded < cap,) if cap is not None else ()
    return session.execute(
        update(RoundPrize)
        .where(RoundPrize.id == round_prize_id, RoundPrize.awarded < RoundPrize.stock, *within_cap)
        .values(awarded=RoundPrize.awarded + 1).execution_options(synchronize_session=False)
    ).rowcount == 1


def shopper_wins(session: Session, shopper_id: int) -> list[Shake]:
    return list(session.scalars(
        select(Shake).where(Shake.shopper_id == shopper_id, Shake.won.is_(True))
        .order_by(Shake.id.desc()).limit(100)
    ))


def shakes_left(session: Session, shake_round: ShakeRound, shopper_id: int) -> int:
    used = session.scalar(select(RoundShopper.shakes).where(RoundShopper.round_id == shake_round.id,
                                                            RoundShopper.shopper_id == shopper_id))
    return max(shake_round.campaign.shakes_per_shopper - (used or 0), 0)
