"""Actions that REST and Socket.IO handlers share: validate, run once, serialise, broadcast.

A shake over HTTP and a shake over the socket are this same code, and so are arrivals.
"""
from __future__ import annotations

import functools
import logging

from marshmallow import ValidationError

from app.api.errors import flatten_messages
from app.extensions import db
from app.models import Order, utcnow
from app.realtime import broadcast
from app.schemas import shake as s
from app.schemas.pickup import PickupOut
from app.services import idempotency
from app.services.admission import shake_admission
from app.services.couriers import arrivals, registry
from app.services.errors import InvalidRequest, StaleEvent
from app.services.shake_answers import won_order_id
from app.services.shake_paths import shake_path

log = logging.getLogger(__name__)


def load(schema: type, data) -> dict:
    """Validate a body, raising InvalidRequest (422 invalid_request) with per-field reasons."""
    try:
        return schema_instance(schema).load(data if data is not None else {})
    except ValidationError as error:
        raise InvalidRequest(flatten_messages(error.messages)) from None


@functools.cache
def schema_instance(schema: type):
    """One instance per schema class: building one costs more than validating a small body."""
    return schema()


def arrive(courier_id: int, body: dict) -> idempotency.Answer:
    """Record a courier's arrival once per event_id; broadcast what it opened, the first time only."""
    courier = registry.get_courier(db.session, courier_id)
    outcomes = []

    def produce():
        outcome = arrivals.record_arrival(db.session, courier, event_id=body["event_id"],
                                          compound_id=body["compound_id"], occurred_at=body["occurred_at"],
                                          lat=body["lat"], lng=body["lng"], now=utcnow())
        outcomes.append(outcome)
        answer = s.ArrivalAnswer().dump({"arrival": outcome.arrival, "rounds": outcome.opened})
        if outcome.stale:
            refusal = StaleEvent()
            return refusal.status, {**idempotency.error_body(refusal), **answer}
        return 201, answer

    answer = idempotency.answer_once(db.session, "arrival", courier_id, body["event_id"], produce)
    if not answer.replayed and outcomes:
        announce_arrival(courier, outcomes[-1])
    return answer


def announce_arrival(courier, outcome: arrivals.ArrivalOutcome) -> None:
    for closed in outcome.closed:
        broadcast.shake_closed(closed)
    if outcome.stale:
        return
    broadcast.van_arrived(outcome.arrival, courier)
    for opened in outcome.opened:
        broadcast.console_arrival(opened, outcome.arrival, courier)
        broadcast.shake_open(opened)


def shake(shopper_id: int, round_id: int, shake_id: str, known_home: int | None = None) -> idempotency.Answer:
    """One shake, once per shake_id (on the app's shake path); a won item goes to the courier's pick list.
    `known_home`: the shopper's home compound as their socket read it on connect (ShakePath.shake)."""
    with shake_admission().admit():
        answer = shake_path().shake(db.session, shopper_id, round_id, shake_id, known_home)
    order_id = won_order_id(answer.body)
    if not answer.replayed and order_id is not None:
        announce_pickup(db.session.get(Order, order_id))
    return answer


def announce_pickup(order: Order) -> None:
    broadcast.pickup_added(order, PickupOut().dump(order))


# What the shake path knows of where shoppers live is only a hint: a failure to tell it
# (Redis away) is logged, and the request that changed or read the residence goes on.

def remember_resident(shopper_id: int, compound_id: int) -> None:
    """The database just said the shopper lives in the compound (their socket connected at home)."""
    try:
        shake_path().know_resident(shopper_id, compound_id)
    except Exception:
        log.warning("could not remember shopper %s lives in compound %s", shopper_id, compound_id, exc_info=True)


def residence_changed(shopper_id: int) -> None:
    """After the commit that gave the shopper another home or latest store."""
    try:
        shake_path().residence_changed(shopper_id)
    except Exception:
        log.warning("could not forget where shopper %s was known to live", shopper_id, exc_info=True)
