"""One compound's figures per Asia/Shanghai day, read from that day's orders, claims, wins and visits.

A finished day is aggregated once and kept (compound_days); only today is read again on a
refresh, so a refresh costs the day's orders, not the history. An order changed after its day
was aggregated (a late refund) is not reflected.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import (CompoundDay, Coupon, Order, OrderItem, Product, Shake, ShakeRound,
                        StoreSession)
from app.services.places.live import SHANGHAI

# Upper bounds (fen) of the price bands of a line's unit price; the last band has none.
PRICE_BANDS_FEN = (1_000, 3_000, 6_000, 12_000, None)
# Orders that happened: not cancelled, refunded or waiting for payment.
COUNTED_STATUSES = ("reserved", "paid", "completed", "refunding")


def local_day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


def day_start(day: date) -> datetime:
    """Midnight of an Asia/Shanghai day, as an aware datetime."""
    return datetime.combine(day, time(), tzinfo=SHANGHAI)


def band_of(unit_price_fen: int) -> int:
    return next(n for n, top in enumerate(PRICE_BANDS_FEN) if top is None or unit_price_fen <= top)


def empty_day(compound_id: int, day: date, now: datetime) -> CompoundDay:
    return CompoundDay(compound_id=compound_id, day=day, orders=0, spend_fen=0, units=0, category_fen={},
                       band_fen=[0] * len(PRICE_BANDS_FEN), hour_orders=[0] * 24, shopper_orders={},
                       product_units={}, claims=0, wins=0, visits=0, computed_at=now)


def aggregate_days(session: Session, compound_id: int, first: date, last: date, now: datetime) -> list[CompoundDay]:
    """The compound's days from `first` to `last` (inclusive) with any activity, computed (not added)."""
    since, until = day_start(first), day_start(last + timedelta(days=1))
    days: dict[date, CompoundDay] = {}

    def day_of(at: datetime) -> CompoundDay:
        day = local_day(at)
        if day not in days:
            days[day] = empty_day(compound_id, day, now)
        return days[day]

    add_orders(session, compound_id, since, until, day_of)
    for at in session.scalars(select(StoreSession.created_at).where(
            StoreSession.compound_id == compound_id, StoreSession.created_at >= since,
            StoreSession.created_at < until)):
        day_of(at).visits += 1
    for at in session.scalars(select(Shake.created_at).join(ShakeRound, ShakeRound.id == Shake.round_id).where(
            ShakeRound.compound_id == compound_id, Shake.won.is_(True), Shake.created_at >= since,
            Shake.created_at < until)):
        day_of(at).wins += 1
    for at in claimed_days(session, compound_id, since, until):
        day_of(at).claims += 1
    return sorted(days.values(), key=lambda d: d.day)


def add_orders(session: Session, compound_id: int, since: datetime, until: datetime, day_of) -> None:
    lines = session.execute(
        select(Order.id, Order.shopper_id, Order.created_at, OrderItem.product_id, OrderItem.quantity,
               OrderItem.unit_price_fen, Product.category)
        .join(OrderItem, OrderItem.order_id == Order.id).join(Product, Product.id == OrderItem.product_id)
        .where(Order.compound_id == compound_id, Order.created_at >= since, Order.created_at < until,
               Order.status.in_(COUNTED_STATUSES))
        .order_by(Order.id))
    seen: set[int] = set()
    for order_id, shopper_id, at, product_id, quantity, unit_price, category in lines:
        day = day_of(at)
        if order_id not in seen:
            seen.add(order_id)
            day.orders += 1
            day.hour_orders[at.astimezone(SHANGHAI).hour] += 1
            key = str(shopper_id)
            day.shopper_orders[key] = day.shopper_orders.get(key, 0) + 1
        spend = quantity * unit_price
        day.spend_fen += spend
        day.units += quantity
        day.category_fen[category] = day.category_fen.get(category, 0) + spend
        day.band_fen[band_of(unit_price)] += spend
        day.product_units[str(product_id)] = day.product_units.get(str(product_id), 0) + quantity


def claimed_days(session: Session, compound_id: int, since: datetime, until: datetime) -> list[datetime]:
    """When coupons were claimed by shoppers who opened a store in this compound the same day: a
    claim belongs to the compound the shopper was shopping in (a coupon itself names none)."""
    rows = session.execute(
        select(Coupon.id, Coupon.created_at, StoreSession.created_at)
        .join(StoreSession, StoreSession.shopper_id == Coupon.shopper_id)
        .where(Coupon.source == "claim", Coupon.created_at >= since, Coupon.created_at < until,
               StoreSession.compound_id == compound_id, StoreSession.created_at >= since,
               StoreSession.created_at < until))
    claimed = {coupon_id: at for coupon_id, at, visited_at in rows if local_day(at) == local_day(visited_at)}
    return list(claimed.values())


def store_days(session: Session, compound_id: int, first: date, last: date, now: datetime) -> int:
    """Replace the compound's stored days from `first` to `last` by freshly computed ones; how many."""
    session.execute(delete(CompoundDay).where(CompoundDay.compound_id == compound_id,
                                              CompoundDay.day >= first, CompoundDay.day <= last))
    computed = aggregate_days(session, compound_id, first, last, now)
    session.add_all(computed)
    session.flush()
    return len(computed)

