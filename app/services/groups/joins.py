"""Joining a group deal: an order at the group price and a seat, in one transaction.

The seat is one conditional UPDATE of the deal's `joined` (only while it is joinable, before its
deadline and below `max_households`), holding the deal's row until commit, so concurrent joins
take seats one at a time and never past the cap; a shopper joins once (a unique constraint).
The join that reaches `min_households` moves the deal to succeeded and confirms every order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import GroupDeal, GroupJoin, Order, OrderItem
from app.models.group import JOINABLE_STATUSES
from app.services.errors import NotInCompound
from app.services.groups.deals import get_deal
from app.services.groups.errors import AlreadyJoined, GroupClosed, GroupFull
from app.services.payments import ledger
from app.services.places.residence import shopper_compound_ids
from app.services.popularity import note_order
from app.services.store import order_states, orders


@dataclass(frozen=True)
class Joined:
    """A join made: the join, its deal as it now is, and whether this join made the deal succeed
    (then `confirmed` are every order it confirmed, the joiner's included)."""

    join: GroupJoin
    deal: GroupDeal
    succeeded_now: bool = False
    confirmed: list[Order] = field(default_factory=list)


def join_deal(session: Session, deal_id: int, shopper_id: int, quantity: int, now: datetime,
              pay_deadline: datetime | None = None) -> Joined:
    """Join with an order of `quantity` at the group price: paid at the van, or by WeChat Pay
    before `pay_deadline`. Held while the deal is open; confirmed at once if it has succeeded."""
    deal = get_deal(session, deal_id)
    if deal.compound_id not in shopper_compound_ids(session, shopper_id):
        raise NotInCompound()
    order = place_group_order(session, deal, shopper_id, quantity, now, pay_deadline)
    join = GroupJoin(group_deal_id=deal.id, shopper_id=shopper_id, order_id=order.id, quantity=quantity)
    try:
        with session.begin_nested():
            session.add(join)
    except IntegrityError:
        raise AlreadyJoined() from None
    joined, joined_fen, status = take_seat(session, deal, order.total_fen, now)
    if status != "open":  # joining a group already confirmed: this order is confirmed too
        confirm(session, [order.id])
        session.refresh(deal)
        return Joined(join, deal)
    succeeded = deal.unlocked(joined, joined_fen) and session.execute(
        update(GroupDeal).where(GroupDeal.id == deal.id, GroupDeal.status == "open")
        .values(status="succeeded", settled_at=now).execution_options(synchronize_session=False)).rowcount == 1
    confirmed = confirm(session, active_order_ids(deal.id)) if succeeded else []
    session.refresh(deal)
    return Joined(join, deal, succeeded_now=succeeded, confirmed=confirmed)


def place_group_order(session: Session, deal: GroupDeal, shopper_id: int, quantity: int, now: datetime,
                      pay_deadline: datetime | None) -> Order:
    """The join's order: the deal's product at the group price, for the deal's courier, held
    until the outcome. It reserves nothing from today's van: the group's goods come when it succeeds."""
    total = deal.group_price_fen * quantity
    wechat = pay_deadline is not None
    order = Order(shopper_id=shopper_id, courier_id=deal.courier_id, compound_id=deal.compound_id, source="group",
                  subtotal_fen=total, discount_fen=0, total_fen=total, pickup_code=orders.new_pickup_code(),
                  items=[OrderItem(product=deal.product, quantity=quantity, unit_price_fen=deal.group_price_fen)],
                  pay_deadline=pay_deadline, status="pending_payment" if wechat else "reserved",
                  pay_method="wechat" if wechat else "at_van", held=True)
    session.add(order)
    session.flush()
    note_order(session, order, +1)  # in bought_today as the day's orders count it (a cancel takes it out)
    if wechat and total > 0:
        ledger.open_payment(session, order)
    elif wechat:  # a free group price: nothing for WeChat Pay to take
        order_states.move(session, order, "pay", paid_at=now)
    return order


def take_seat(session: Session, deal: GroupDeal, amount_fen: int, now: datetime) -> tuple[int, int, str]:
    """One seat of the deal for an order of `amount_fen`: (seats taken now, what their orders come to,
    its status), or GroupClosed / GroupFull."""
    seat = session.execute(
        update(GroupDeal)
        .where(GroupDeal.id == deal.id, GroupDeal.status.in_(JOINABLE_STATUSES), GroupDeal.deadline > now,
               or_(GroupDeal.max_households.is_(None), GroupDeal.joined < GroupDeal.max_households))
        .values(joined=GroupDeal.joined + 1, joined_fen=GroupDeal.joined_fen + amount_fen)
        .returning(GroupDeal.joined, GroupDeal.joined_fen, GroupDeal.status)
        .execution_options(synchronize_session=False)).first()
    if seat is not None:
        return seat.joined, seat.joined_fen, seat.status
    session.refresh(deal)
    if deal.status not in JOINABLE_STATUSES or deal.deadline <= now:
        raise GroupClosed()
    raise GroupFull()


def active_order_ids(deal_id: int):
    """The orders of the deal's joins still in it (a subquery)."""
    return select(GroupJoin.order_id).where(GroupJoin.group_deal_id == deal_id, GroupJoin.status == "active")


def confirm(session: Session, order_ids) -> list[Order]:
    """Release the orders' holds: they join the courier's pick list (once paid, for WeChat ones)."""
    session.execute(update(Order).where(Order.id.in_(order_ids), Order.held.is_(True))
                    .values(held=False).execution_options(synchronize_session=False))
    return list(session.scalars(select(Order).where(Order.id.in_(order_ids)).order_by(Order.id)
                                .execution_options(populate_existing=True)))


def shopper_join(session: Session, deal_id: int, shopper_id: int) -> GroupJoin | None:
    return session.scalar(select(GroupJoin).where(GroupJoin.group_deal_id == deal_id,
                                                  GroupJoin.shopper_id == shopper_id))
