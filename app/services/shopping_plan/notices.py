"""The planner's round: stored plans made again, and "time to buy" told once when one comes due.

A plan comes due when the stored plan said to wait and the new one says to buy today: the event
it waited for has started (reason `event:<id>`), or today's price has dropped to beat every event
before the need-by date (reason `price`). A notice row, unique per wish and reason, is inserted
before the message is queued, so however many rounds or workers see it, it is told once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Wish, WishNotice
from app.services.messages.outbox import THING_LENGTH, enqueue_send
from app.services.shopping_plan.calendar import as_events, events
from app.services.shopping_plan.wishes import PlannedWish, local_today, plan_shopper_wishes, store_plan

WISHES_PAGE = "pages/wishes/index"
PRICE_DROPPED = "降价了，现在买最划算"


@dataclass
class Replanned:
    """What one round did: shoppers whose wishes were planned again, notices (wish id, reason) queued or not."""

    shoppers: list[int] = field(default_factory=list)
    told: list[tuple[int, str]] = field(default_factory=list)
    not_subscribed: list[tuple[int, str]] = field(default_factory=list)


def shoppers_due(session: Session, now: datetime, every: timedelta, limit: int) -> list[int]:
    """Shoppers with an open wish planned longer ago than `every` (or never), oldest plans first."""
    stale = (select(Wish.shopper_id)
             .where(Wish.need_by >= local_today(now), or_(Wish.planned_at.is_(None), Wish.planned_at < now - every))
             .group_by(Wish.shopper_id).order_by(Wish.shopper_id).limit(limit))
    return list(session.scalars(stale))


def replan_shopper(session: Session, shopper_id: int, now: datetime, template_id: str,
                   replanned: Replanned, calendar=None) -> None:
    """Plan the shopper's open wishes again, store the plans, tell them of each plan come due."""
    today = local_today(now)
    wishes = list(session.scalars(select(Wish).where(Wish.shopper_id == shopper_id, Wish.need_by >= today)
                                  .order_by(Wish.id)))
    before = {wish.id: wish.plan_buy_on for wish in wishes}
    for planned in plan_shopper_wishes(session, shopper_id, wishes, now, calendar):
        store_plan(planned, now)
        waited = before[planned.wish.id] is not None and before[planned.wish.id] > today
        if planned.plan is not None and waited and planned.plan.buy_on == today:
            tell(session, planned, now, template_id, replanned)
    replanned.shoppers.append(shopper_id)


def reason_of(planned: PlannedWish) -> str:
    return f"event:{planned.plan.event_id}" if planned.plan.event_id is not None else "price"


def tell(session: Session, planned: PlannedWish, now: datetime, template_id: str, replanned: Replanned) -> None:
    """Queue "time to buy" for the wish unless this reason was told before (the unique notice decides)."""
    reason = reason_of(planned)
    notice = WishNotice(wish_id=planned.wish.id, reason=reason, queued=False)
    try:
        with session.begin_nested():
            session.add(notice)
    except IntegrityError:
        return  # told already (another round, another worker)
    plan = planned.plan
    data = {"thing1": (planned.product_name or "")[:THING_LENGTH],
            "thing2": (planned.event_name or PRICE_DROPPED)[:THING_LENGTH],
            "amount3": f"¥{plan.expected_price_fen / 100:.2f}"}
    notice.queued = enqueue_send(session, planned.wish.shopper_id, template_id, data,
                                 f"{WISHES_PAGE}?wish={planned.wish.id}", now)
    (replanned.told if notice.queued else replanned.not_subscribed).append((planned.wish.id, reason))


def replan_due(session: Session, now: datetime, template_id: str, every: timedelta, limit: int) -> Replanned:
    """One round over up to `limit` shoppers whose plans are older than `every` (the caller commits)."""
    replanned = Replanned()
    calendar = as_events(events(session, ending_from=local_today(now)))
    for shopper_id in shoppers_due(session, now, every, limit):
        replan_shopper(session, shopper_id, now, template_id, replanned, calendar)
    return replanned
