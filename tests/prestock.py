"""Helpers for the pre-stock tests: past sales written straight into the tables, the day's paths."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from app.extensions import db
from app.models import Order, OrderItem
from app.services.places.live import SHANGHAI
from app.services.van.loads import van_day

PRESTOCK = "/api/v1/courier/prestock"
CONFIRM = "/api/v1/courier/prestock/confirm"


def today() -> date:
    return van_day(datetime.now(timezone.utc))


def sold(shopper_id: int, courier, compound, lines, day: date, status: str = "completed",
         source: str = "store") -> Order:
    """An order placed at noon (Shanghai) on `day`; `lines` is [(product, quantity)]."""
    at = datetime.combine(day, time(12), tzinfo=SHANGHAI).astimezone(timezone.utc)
    order = Order(shopper_id=shopper_id, courier_id=courier.id, compound_id=compound.id, source=source,
                  status=status, subtotal_fen=100, total_fen=100, pickup_code="000000", created_at=at)
    order.items = [OrderItem(product_id=p.id, quantity=q, unit_price_fen=100) for p, q in lines]
    db.session.add(order)
    db.session.commit()
    return order


def sold_every_day(shopper_id: int, courier, compound, lines, days: int, until: date) -> None:
    """The same order each of the `days` days before `until`."""
    for n in range(1, days + 1):
        sold(shopper_id, courier, compound, lines, until - timedelta(days=n))
