"""Reserving from today's van load and giving back: orders line by line, shake rounds at open.

Every reservation is one conditional UPDATE (`reserved + n` only while `quantity - reserved >= n`),
and every reservation leaves a VanHold saying where the goods came from, so a cancel, an expiry
or a round's close gives back exactly that, once.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import CampaignPrize, Order, OrderItem, RoundPrize, Shake, ShakeRound, VanHold, VanLoadItem
from app.services.errors import OutOfStock
from app.services.van.loads import van_day

# Tries to reserve "as much as is left, up to n" for a round while orders reserve concurrently.
ROUND_RESERVE_TRIES = 5


def todays_items(session: Session, courier_id: int, now: datetime,
                 product_ids) -> dict[int, VanLoadItem] | None:
    """Today's van load items of these products; None when the courier declared no load today."""
    day = van_day(now)
    declared = session.scalar(select(VanLoadItem.id).where(VanLoadItem.courier_id == courier_id,
                                                           VanLoadItem.day == day).limit(1))
    if declared is None:
        return None
    return {item.product_id: item for item in session.scalars(
        select(VanLoadItem).where(VanLoadItem.courier_id == courier_id, VanLoadItem.day == day,
                                  VanLoadItem.product_id.in_(list(product_ids))))}


def try_reserve(session: Session, item_id: int, quantity: int) -> bool:
    """Reserve `quantity` of a van load item if that much is left: one conditional UPDATE."""
    return session.execute(
        update(VanLoadItem).where(VanLoadItem.id == item_id,
                                  VanLoadItem.quantity - VanLoadItem.reserved >= quantity)
        .values(reserved=VanLoadItem.reserved + quantity).execution_options(synchronize_session=False)
    ).rowcount == 1


def reserve_order(session: Session, order: Order, now: datetime) -> None:
    """Reserve every line of a flushed order from its courier's van today: all lines or none
    (409 out_of_stock naming the first product short). A product not on the van is refused
    unless ops allow it off the van: that line waits for the next run and reserves nothing."""
    lines = sorted(order.items, key=lambda line: line.product_id)  # one lock order for every order
    on_van = todays_items(session, order.courier_id, now, [line.product_id for line in lines])
    if on_van is None:
        return  # no van load declared today: the van's stock is not tracked
    with session.begin_nested():  # a refusal keeps none of the lines already reserved
        for line in lines:
            item = on_van.get(line.product_id)
            if item is None or item.quantity == 0:
                if not line.product.orderable_off_van:
                    raise out_of_stock(line.product, "is not on the van today")
                line.next_run = True
                session.add(VanHold(order_id=order.id, product_id=line.product_id, quantity=line.quantity))
            elif try_reserve(session, item.id, line.quantity):
                session.add(VanHold(order_id=order.id, product_id=line.product_id, van_load_item_id=item.id,
                                    quantity=line.quantity))
            else:
                raise out_of_stock(line.product, "has too few left on the van")
        session.flush()


def out_of_stock(product, why: str) -> OutOfStock:
    return OutOfStock(f"{product.name} {why}.", product_id=product.id)


def give_back(session: Session, order: Order) -> None:
    """Give the van back what this order reserved; a second call gives nothing (each hold is
    emptied by one conditional UPDATE before its goods go back). A won item's unit is held by
    its round: see give_back_win."""
    if order.source == "shake":
        give_back_win(session, order)
        return
    holds = session.execute(select(VanHold.id, VanHold.van_load_item_id, VanHold.quantity).where(
        VanHold.order_id == order.id, VanHold.quantity > 0)).all()
    for hold in holds:
        release(session, hold.id, hold.van_load_item_id, hold.quantity)


def give_back_win(session: Session, order: Order) -> None:
    """A cancelled item win: its unit returns to the van. While its round is open the round's
    close does it (give_back_round counts cancelled wins out); once closed, it goes back now.
    The round's row is locked first, so a cancel and a close racing each other settle in one
    order: whichever runs second sees the other's change, and the unit goes back exactly once."""
    round_id = session.scalar(select(Shake.round_id).where(Shake.order_id == order.id))
    if round_id is None:
        return
    closed_at = session.scalar(select(ShakeRound.closed_at).where(ShakeRound.id == round_id).with_for_update())
    if closed_at is None:
        return
    for line in order.items:
        hold = session.execute(select(VanHold.id, VanHold.van_load_item_id).where(
            VanHold.round_id == round_id, VanHold.product_id == line.product_id,
            VanHold.quantity >= line.quantity).order_by(VanHold.id).limit(1)).first()
        if hold is not None:
            release(session, hold.id, hold.van_load_item_id, line.quantity)


def release(session: Session, hold_id: int, item_id: int | None, quantity: int) -> None:
    """Take `quantity` out of a hold (if it still holds that much) and return it to its van load item."""
    taken = session.execute(
        update(VanHold).where(VanHold.id == hold_id, VanHold.quantity >= quantity)
        .values(quantity=VanHold.quantity - quantity).execution_options(synchronize_session=False)
    ).rowcount == 1
    if taken and item_id is not None:
        session.execute(update(VanLoadItem).where(VanLoadItem.id == item_id)
                        .values(reserved=VanLoadItem.reserved - quantity)
                        .execution_options(synchronize_session=False))


def reserve_for_round(session: Session, round_id: int, courier_id: int, product_id: int, wanted: int,
                      now: datetime) -> int:
    """A new round's stock of an item prize: `wanted`, capped by what the van has left (0 when
    the van does not carry it), reserved from the van load now; not capped when no load is declared."""
    on_van = todays_items(session, courier_id, now, [product_id])
    if on_van is None or wanted == 0:
        return wanted
    item = on_van.get(product_id)
    for _ in range(ROUND_RESERVE_TRIES):
        if item is None:
            return 0
        left = session.scalar(select(VanLoadItem.quantity - VanLoadItem.reserved)
                              .where(VanLoadItem.id == item.id))
        take = max(0, min(wanted, left))
        if take == 0:
            return 0
        if try_reserve(session, item.id, take):
            session.add(VanHold(round_id=round_id, product_id=product_id, van_load_item_id=item.id,
                                quantity=take))
            return take
    return 0  # orders kept taking what was left: the round opens without this prize


def give_back_round(session: Session, round_id: int) -> None:
    """At a round's close (its stocks cut to what they awarded): return to the van what the
    round's item prizes held beyond their stock."""
    holds = session.execute(select(VanHold.id, VanHold.product_id, VanHold.van_load_item_id, VanHold.quantity)
                            .where(VanHold.round_id == round_id, VanHold.quantity > 0)
                            .order_by(VanHold.id)).all()
    if not holds:
        return
    kept = dict(session.execute(
        select(CampaignPrize.product_id, func.sum(RoundPrize.stock))
        .join(CampaignPrize, CampaignPrize.id == RoundPrize.prize_id)
        .where(RoundPrize.round_id == round_id, CampaignPrize.kind == "item")
        .group_by(CampaignPrize.product_id)).all())
    for product_id, cancelled in cancelled_wins(session, round_id).items():
        kept[product_id] = kept.get(product_id, 0) - cancelled
    for hold in holds:
        excess = min(hold.quantity, max(0, hold.quantity - kept.get(hold.product_id, 0)))
        kept[hold.product_id] = max(0, kept.get(hold.product_id, 0) - hold.quantity)
        if excess:
            release(session, hold.id, hold.van_load_item_id, excess)


def cancelled_wins(session: Session, round_id: int) -> dict[int, int]:
    """Units of the round's item wins whose orders were cancelled, by product: awarded, yet not
    kept for a winner."""
    return dict(session.execute(
        select(OrderItem.product_id, func.sum(OrderItem.quantity))
        .join(Shake, Shake.order_id == OrderItem.order_id)
        .join(Order, Order.id == OrderItem.order_id)
        .where(Shake.round_id == round_id, Shake.order_id.is_not(None), Order.status == "cancelled")
        .group_by(OrderItem.product_id)).all())
