"""Orders written straight into the tables at chosen times, for the portrait's tests."""
from __future__ import annotations

from datetime import date, datetime, time

from app.extensions import db
from app.models import Order, OrderItem
from app.services.places.live import SHANGHAI


def local(day: date, hour: int) -> datetime:
    """An Asia/Shanghai hour of `day`, as an aware datetime."""
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def order_at(shopper_id: int, compound, courier, at: datetime, lines, status: str = "completed") -> Order:
    """An order of `lines` [(product, quantity)] at list price, made at `at`."""
    total = sum(p.price_fen * q for p, q in lines)
    order = Order(shopper_id=shopper_id, courier_id=courier.id, compound_id=compound.id, status=status,
                  subtotal_fen=total, total_fen=total, pickup_code="000000", created_at=at,
                  items=[OrderItem(product_id=p.id, quantity=q, unit_price_fen=p.price_fen) for p, q in lines])
    db.session.add(order)
    db.session.commit()
    return order
