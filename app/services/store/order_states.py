"""An order's life, in one place: each move is one conditional UPDATE from the states it may come from.

    reserved ────────────── complete ──▶ completed ◀── complete ── paid
    reserved, pending_payment ── cancel ──▶ cancelled
    pending_payment ── pay ──▶ paid ── refund ──▶ refunding ── refunded ──▶ refunded

Two racing moves (a handover and a cancel, a payment and an expiry) cannot both win: the
UPDATE of the second finds the order no longer in a state it may come from.
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import Order
from app.services.popularity import note_order

# move -> (the states it may come from, the state it goes to)
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "pay": (("pending_payment",), "paid"),
    "complete": (("reserved", "paid"), "completed"),
    "cancel": (("reserved", "pending_payment"), "cancelled"),
    "refund": (("paid",), "refunding"),
    "refunded": (("refunding",), "refunded"),
}
# Orders that still hold goods for the shopper.
OPEN_STATUSES = ("reserved", "pending_payment")
# Orders waiting for pickup (the shopper's open-order cap counts them).
WAITING_STATUSES = ("reserved", "pending_payment", "paid")
# Orders the courier hands over at the van (paid in advance, or paid there).
HANDOVER_STATUSES = MOVES["complete"][0]


class IllegalMove(ValueError):
    """A move no state machine allows (a programming error, not a race)."""


def move(session: Session, order: Order, name: str, **values) -> bool:
    """Apply the move to the order if it is in a state the move comes from; True only for the call
    that moved it. `values` are the columns set with it (paid_at, cancelled_at, ...)."""
    if name not in MOVES:
        raise IllegalMove(name)
    sources, target = MOVES[name]
    moved = session.execute(
        update(Order).where(Order.id == order.id, Order.status.in_(sources))
        .values(status=target, **values).execution_options(synchronize_session=False)
    ).rowcount == 1
    session.refresh(order)
    if moved and name == "cancel":  # bought_today counts orders from placement until cancelled
        note_order(session, order, -1)
    return moved


def may(order: Order, name: str) -> bool:
    """Whether the move applies to the order as last read (a hint; `move` decides)."""
    return order.status in MOVES[name][0]
