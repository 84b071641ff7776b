"""A group deal's outcome at its deadline, and joins whose orders ended before it.

A deal still open at its deadline fails (one conditional UPDATE, so a last join and the
deadline cannot both win); then each of its joins' orders is unwound through the payment flow
on its own (cancelled if unpaid, its WeChat order settled first; refunded in full if paid), so a
WeChat Pay outage leaves the rest for the next round. A join whose order was cancelled while
the deal still took joins gives its seat back.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import GroupDeal, GroupJoin, Order, PaymentRefund
from app.models.group import JOINABLE_STATUSES
from app.services.payments import lifecycle
from app.services.store.order_states import WAITING_STATUSES
from wechat.pay import WeChatPay

FAILED_REASON = "Group not reached by its deadline"
ENDED = ("cancelled", "refunding", "refunded")  # orders no longer holding goods or money for the shopper


def due_deals(session: Session, now: datetime, limit: int = 50) -> list[GroupDeal]:
    """Open deals past their deadline, the oldest deadline first."""
    return list(session.scalars(select(GroupDeal).where(GroupDeal.status == "open", GroupDeal.deadline <= now)
                                .order_by(GroupDeal.deadline, GroupDeal.id).limit(limit)))


def fail_deal(session: Session, deal: GroupDeal, now: datetime) -> bool:
    """open -> failed once the deadline has passed; True only for the call that moved it."""
    moved = session.execute(
        update(GroupDeal).where(GroupDeal.id == deal.id, GroupDeal.status == "open", GroupDeal.deadline <= now)
        .values(status="failed", settled_at=now).execution_options(synchronize_session=False)).rowcount == 1
    session.refresh(deal)
    return moved


def joins_to_unwind(session: Session, limit: int = 100) -> list[GroupJoin]:
    """Joins of failed deals whose orders still hold goods or money (unpaid, or paid and not refunded)."""
    return list(session.scalars(
        select(GroupJoin).join(GroupDeal, GroupDeal.id == GroupJoin.group_deal_id)
        .join(Order, Order.id == GroupJoin.order_id)
        .where(GroupDeal.status == "failed", Order.status.in_(WAITING_STATUSES))
        .order_by(GroupJoin.id).limit(limit)))


def unwind_join(session: Session, pay: WeChatPay | None, join: GroupJoin, now: datetime) -> PaymentRefund | None:
    """The failed group's order cancelled (unpaid; a WeChat one settled with WeChat Pay first, so
    a payment made meanwhile is found and refunded) or refunded in full (paid): the refund to
    send after commit, if any."""
    return lifecycle.cancel(session, pay, join.order, FAILED_REASON, "system", now)


def dropped_joins(session: Session, limit: int = 100) -> list[GroupJoin]:
    """Joins of deals still taking joins whose orders ended (the shopper cancelled, or never paid)."""
    return list(session.scalars(
        select(GroupJoin).join(GroupDeal, GroupDeal.id == GroupJoin.group_deal_id)
        .join(Order, Order.id == GroupJoin.order_id)
        .where(GroupJoin.status == "active", GroupDeal.status.in_(JOINABLE_STATUSES), Order.status.in_(ENDED))
        .order_by(GroupJoin.id).limit(limit)))


def give_seat_back(session: Session, join: GroupJoin) -> bool:
    """active -> left and the deal's count down by one (and its amount by the join's), once; True
    for the call that did it."""
    left = session.execute(update(GroupJoin).where(GroupJoin.id == join.id, GroupJoin.status == "active")
                           .values(status="left").execution_options(synchronize_session=False)).rowcount == 1
    if left:
        session.execute(update(GroupDeal).where(GroupDeal.id == join.group_deal_id, GroupDeal.joined > 0)
                        .values(joined=GroupDeal.joined - 1, joined_fen=GroupDeal.joined_fen - join.order.total_fen)
                        .execution_options(synchronize_session=False))
    return left
