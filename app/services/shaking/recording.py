"""A shake's row: written with what a win gives (both engines), and read back as the shopper's wins."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import RoundPrize, Shake, ShakeRound
from app.services.paging import OWN_LIST_LIMIT, Page, page_of
from app.services.shaking.prizes import PRIZE_KINDS


@dataclass(frozen=True)
class ShakeOutcome:
    """A shake as recorded: its row, the round prize it won (None: a lose), the shopper's shakes left."""

    shake: Shake
    round_prize: RoundPrize | None
    shakes_left: int


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
    record.coupon, record.order = awarded.coupon, awarded.order


def shopper_wins(session: Session, shopper_id: int, after: int | None = None, limit: int = OWN_LIST_LIMIT) -> Page:
    """The shopper's winning shakes, newest first, a page at a time."""
    return page_of(session, select(Shake).where(Shake.shopper_id == shopper_id, Shake.won.is_(True)),
                   Shake.id, after, limit)
