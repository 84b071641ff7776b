"""Orders placed and cancelled in a transaction, noted on its session and taken once it commits
(app/actions/store.py), so counters never count what was rolled back."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.models import Order
from app.services.places.live import local_midnight

NOTES_KEY = "popularity.order_changes"


@dataclass(frozen=True)
class OrderChange:
    compound_id: int
    shopper_id: int
    product_ids: tuple[int, ...]
    day: date  # the Shanghai day the order was placed: the day whose bought_today it counts in
    delta: int  # +1 placed, -1 cancelled


def note_order(session: Session, order: Order, delta: int) -> None:
    session.info.setdefault(NOTES_KEY, []).append(OrderChange(
        order.compound_id, order.shopper_id, tuple(sorted({item.product_id for item in order.items})),
        local_midnight(order.created_at).date(), delta))


def take_notes(session: Session) -> list[OrderChange]:
    """The changes noted since the last take (emptied)."""
    return session.info.pop(NOTES_KEY, [])
