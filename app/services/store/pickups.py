"""The courier's pick list and the handover at the van: the shopper's code completes the order once."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Order
from app.services.errors import NotAvailable, NotFound, ServiceError

# Six digits are guessable by brute force; a few tries cover a misread code, not a guessing game.
MAX_WRONG_CODES = 5


class WrongCode(ServiceError):
    status, code, message = 409, "wrong_code", "Wrong pickup code. Ask the shopper to read it again."


class TooManyAttempts(ServiceError):
    status, code = 429, "too_many_attempts"
    message = "Too many wrong codes for this order; ask ops to reset it."


@dataclass
class Handover:
    """What a handover tap did: the order, whether this call completed it, or why it was refused."""

    order: Order
    completed_now: bool = False
    refusal: ServiceError | None = None


def pick_list(session: Session, courier_id: int, compound_id: int | None = None) -> list[Order]:
    """Reserved orders (won items and store orders) waiting at this courier's van."""
    query = select(Order).where(Order.courier_id == courier_id, Order.status == "reserved")
    if compound_id is not None:
        query = query.where(Order.compound_id == compound_id)
    return list(session.scalars(query.order_by(Order.id)))


def courier_order(session: Session, courier_id: int, order_id: int) -> Order:
    """One of this courier's orders; another courier's order does not exist for them."""
    order = session.get(Order, order_id)
    if order is None or order.courier_id != courier_id:
        raise NotFound("No such pickup order.")
    return order


def hand_over(session: Session, courier_id: int, order_id: int, pickup_code: str, now: datetime) -> Handover:
    """Check the code and complete the order exactly once.

    A wrong code is not raised but returned (with the attempt counted), so the caller
    keeps the count when it stores the refusal; the count is taken atomically.
    """
    order = courier_order(session, courier_id, order_id)
    if order.status == "cancelled":
        raise NotAvailable("This order was cancelled.")
    if order.status == "reserved" and order.wrong_code_attempts >= MAX_WRONG_CODES:
        raise TooManyAttempts()
    if not secrets.compare_digest(pickup_code.encode(), order.pickup_code.encode()):
        return Handover(order, refusal=count_wrong_code(session, order))
    completed_now = complete_once(session, order, now)
    if not completed_now and order.status != "completed":
        raise NotAvailable("This order was cancelled.")
    return Handover(order, completed_now=completed_now)


def count_wrong_code(session: Session, order: Order) -> ServiceError:
    """Count one wrong code (one conditional UPDATE); the refusal to answer with."""
    counted = session.execute(
        update(Order).where(Order.id == order.id, Order.wrong_code_attempts < MAX_WRONG_CODES)
        .values(wrong_code_attempts=Order.wrong_code_attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(order)
    if counted != 1:
        return TooManyAttempts()
    return WrongCode(attempts_left=max(MAX_WRONG_CODES - order.wrong_code_attempts, 0))


def complete_once(session: Session, order: Order, now: datetime) -> bool:
    """reserved -> completed with one conditional UPDATE; True only for the call that did it."""
    completed = session.execute(
        update(Order).where(Order.id == order.id, Order.status == "reserved")
        .values(status="completed", completed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(order)
    return completed == 1


def reset_wrong_codes(session: Session, order_id: int) -> Order:
    """Ops: let the courier try codes again for this order."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("No such order.")
    order.wrong_code_attempts = 0
    session.flush()
    return order
