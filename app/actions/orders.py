"""A shopper's order: placed once per Idempotency-Key, sent to the courier's pick list the first time."""
from __future__ import annotations

from flask import current_app

from app import broadcasts
from app.extensions import db
from app.models import Order, utcnow
from app.schemas.shopper import OrderEnvelope
from app.services import idempotency
from app.services.store import orders, storefront

ENVELOPE = OrderEnvelope()


def place_order(shopper_id: int, idempotency_key: str, body: dict) -> idempotency.Answer:
    """Place the order, or replay the first answer to this key (a refusal included)."""
    placed: list[Order] = []

    def produce():
        store_session = storefront.get_store_session(db.session, body["store_session_id"], shopper_id)
        order = orders.place_order(db.session, store_session, body["items"], utcnow(), body["coupon_id"],
                                   max_open=current_app.config["SHOPPER_OPEN_ORDERS_MAX"])
        placed.append(order)
        return 201, ENVELOPE.dump({"order": order})

    answer = idempotency.answer_once(db.session, "order", shopper_id, idempotency_key, produce)
    if placed and not answer.replayed:
        broadcasts.pickup_added(placed[0])
    return answer
