"""Reads what recommend.rank needs for one shopper in one compound: three small queries (the
stored portrait, the shopper's own recent lines, the candidates' categories)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import CompoundPortrait, Order, OrderItem, Product
from app.services.portrait.days import COUNTED_STATUSES
from app.services.portrait.recommend import History, rank

HISTORY_DAYS = 180
RECENT_DAYS = 7


def recommended_ids(session: Session, shopper_id: int, compound_id: int, now: datetime,
                    left_on_van: dict[int, int] | None, size: int, best_sellers: list[int] = ()) -> list[int]:
    """The ids of the products to recommend to this shopper here, best first. A compound whose
    portrait has no sales yet ranks by `best_sellers` (the storefront's own, the city's when the
    compound has none), best first: no request reads the city's portraits."""
    body = session.scalar(select(CompoundPortrait.body).where(CompoundPortrait.compound_id == compound_id)) or {}
    compound = by_id(body.get("product_units", {}))
    city = compound if compound else {pid: len(best_sellers) - rank for rank, pid in enumerate(best_sellers)}
    own = history(session, shopper_id, now)
    candidates = set(compound) | set(city) | set(own.product_units)
    categories = dict(session.execute(select(Product.id, Product.category).where(Product.id.in_(candidates))).all()) \
        if candidates else {}
    return rank(categories, compound, city, own, left_on_van, size)


def by_id(product_units: dict) -> dict[int, int]:
    """Units by product as stored in JSON (string keys) -> by integer id."""
    return {int(pid): units for pid, units in product_units.items()}


def history(session: Session, shopper_id: int, now: datetime) -> History:
    """The shopper's own orders of the last HISTORY_DAYS, in any compound."""
    lines = session.execute(
        select(Order.id, Order.created_at, OrderItem.product_id, OrderItem.quantity)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(Order.shopper_id == shopper_id, Order.created_at >= now - timedelta(days=HISTORY_DAYS),
               Order.status.in_(COUNTED_STATUSES))).all()
    return history_of(lines, now)


def history_of(lines, now: datetime) -> History:
    """History from (order_id, at, product_id, quantity) lines."""
    units, orders, recent = Counter(), set(), set()
    for order_id, at, product_id, quantity in lines:
        orders.add(order_id)
        units[product_id] += quantity
        if at >= now - timedelta(days=RECENT_DAYS):
            recent.add(product_id)
    return History(len(orders), dict(units), frozenset(recent))
