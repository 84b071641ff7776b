"""Live counters of a compound: shoppers watching its stores and shoppers buying today."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Order, OrderItem, StoreSession

SHANGHAI = ZoneInfo("Asia/Shanghai")
WATCHING_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class LiveCounts:
    watching: int
    buying: int


def local_midnight(now: datetime) -> datetime:
    """Start of today in Shanghai, the day shoppers and couriers live by."""
    local = now.astimezone(SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def live_counts(session: Session, compound_id: int, now: datetime) -> LiveCounts:
    """watching: shoppers who entered a store here in the last 15 minutes; buying: who ordered today."""
    buying = session.scalar(
        select(func.count(func.distinct(Order.shopper_id)))
        .where(Order.compound_id == compound_id, Order.created_at >= local_midnight(now),
               Order.status != "cancelled")
    )
    return LiveCounts(watching=watching(session, compound_id, now), buying=buying or 0)


def watching(session: Session, compound_id: int, now: datetime) -> int:
    """Shoppers who entered a store here in the last 15 minutes."""
    return session.scalar(
        select(func.count(func.distinct(StoreSession.shopper_id)))
        .where(StoreSession.compound_id == compound_id, StoreSession.created_at >= now - WATCHING_WINDOW)
    ) or 0


def bought_today(session: Session, compound_id: int, now: datetime) -> dict[int, int]:
    """Per product, the shoppers here who ordered it today (Shanghai), cancelled orders aside: its
    cost grows with the compound's orders of the day, not with all history."""
    rows = session.execute(
        select(OrderItem.product_id, func.count(func.distinct(Order.shopper_id)))
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.compound_id == compound_id, Order.created_at >= local_midnight(now),
               Order.status != "cancelled")
        .group_by(OrderItem.product_id))
    return dict(rows.all())
