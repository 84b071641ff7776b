"""The courier's pick list and the handover at the van: the shopper's code completes the order once."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Order
from app.services.errors import NotAvailable, NotFound, ServiceError
from app.services.paging import OWN_LIST_LIMIT, Page, page_of
from app.services.store import order_states
from app.services.store.order_states import HANDOVER_STATUSES

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


def pick_list(session: Session, courier_id: int, compound_id: int | None = None, after: int | None = None,
              limit: int = OWN_LIST_LIMIT) -> Page:
    """Orders to hand over at this courier's van (won items, store orders paid there or by WeChat Pay),
    oldest first, a page at a time; an order still waiting for its payment, or for its group's
    outcome (held), is not on it."""
    query = select(Order).where(Order.courier_id == courier_id, Order.status.in_(HANDOVER_STATUSES),
                                Order.held.is_(False))
    if compound_id is not None:
        query = query.where(Order.compound_id == compound_id)
    return page_of(session, query, Order.id, after, limit, newest_first=False)


def courier_order(session: Session, courier_id: int, order_id: int) -> Order:
    """One of this courier's orders; another courier's order does not exist for them."""
    order = session.get(Order, order_id)
    if order is None or order.courier_id != courier_id:
        raise NotFound("No such pickup order.")
    return order


def hand_over(session: Session, courier_id: int, order_id: int, pickup_code: str, now: datetime) -> Handover:
    """Count the try, then check the code, and complete the order exactly once.

    The try is taken before the code is compared (one conditional UPDATE ... RETURNING, which
    also holds the order's row until the caller commits): however many guesses arrive at once,
    at most MAX_WRONG_CODES are ever compared while the order waits. A wrong code is not raised
    but returned, so the caller keeps the count when it stores the refusal.
    """
    order = courier_order(session, courier_id, order_id)
    refuse_unless_handed_over_or_waiting(order)
    tries = take_a_try(session, order)
    if tries is None:
        return settled_handover(order, pickup_code)
    if not code_is_right(order, pickup_code):
        return Handover(order, refusal=WrongCode(attempts_left=max(MAX_WRONG_CODES - tries, 0)))
    give_back_try(session, order)  # the right code is not a wrong try
    completed_now = complete_once(session, order, now)
    if not completed_now:
        refuse_unless_handed_over_or_waiting(order)
    return Handover(order, completed_now=completed_now)


def refuse_unless_handed_over_or_waiting(order: Order) -> None:
    """An order not paid yet, waiting for its group, cancelled or refunded is not handed over."""
    if order.held and order.status != "completed":
        raise NotAvailable("This order waits for its group to succeed.")
    if order.status == "pending_payment":
        raise NotAvailable("This order is not paid yet.")
    if order.status not in (*HANDOVER_STATUSES, "completed"):
        raise NotAvailable("This order was cancelled.")


def code_is_right(order: Order, pickup_code: str) -> bool:
    return secrets.compare_digest(pickup_code.encode(), order.pickup_code.encode())


def take_a_try(session: Session, order: Order) -> int | None:
    """Count one try at a waiting order's code, atomically; the tries so far, or None when it
    is locked (MAX_WRONG_CODES already) or no longer waiting."""
    tries = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status.in_(HANDOVER_STATUSES), Order.wrong_code_attempts < MAX_WRONG_CODES)
        .values(wrong_code_attempts=Order.wrong_code_attempts + 1)
        .returning(Order.wrong_code_attempts)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    session.refresh(order)
    return tries


def settled_handover(order: Order, pickup_code: str) -> Handover:
    """No try was taken: the order is locked, cancelled, or handed over already (a repeat)."""
    if order.status in HANDOVER_STATUSES:
        raise TooManyAttempts()
    refuse_unless_handed_over_or_waiting(order)
    if code_is_right(order, pickup_code):
        return Handover(order)
    return Handover(order, refusal=WrongCode(attempts_left=max(MAX_WRONG_CODES - order.wrong_code_attempts, 0)))


def give_back_try(session: Session, order: Order) -> None:
    session.execute(
        update(Order).where(Order.id == order.id, Order.wrong_code_attempts > 0)
        .values(wrong_code_attempts=Order.wrong_code_attempts - 1)
        .execution_options(synchronize_session=False)
    )


def complete_once(session: Session, order: Order, now: datetime) -> bool:
    """reserved or paid -> completed with one conditional UPDATE; True only for the call that did it."""
    return order_states.move(session, order, "complete", completed_at=now)


def reset_wrong_codes(session: Session, order_id: int) -> Order:
    """Ops: let the courier try codes again for this order."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("No such order.")
    order.wrong_code_attempts = 0
    session.flush()
    return order
