"""A shopper's order: placed once per Idempotency-Key, sent to the courier's pick list the first time."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from app import broadcasts
from app.extensions import db
from app.models import Order, utcnow
from app.schemas.shopper import OrderEnvelope
from app.services import idempotency
from app.services.errors import InvalidRequest
from app.actions.payments import configured_pay
from app.services.payments import ledger
from app.services.store import order_states, orders, storefront

ENVELOPE = OrderEnvelope()


def place_order(shopper_id: int, idempotency_key: str, body: dict) -> idempotency.Answer:
    """Place the order, or replay the first answer to this key (a refusal included)."""
    placed: list[Order] = []
    wechat = body.get("pay") == "wechat"
    if wechat and configured_pay() is None:
        raise InvalidRequest({"pay": "WeChat Pay is not set up here; pay at the van (at_van)."})

    def produce():
        now = utcnow()
        store_session = storefront.get_store_session(db.session, body["store_session_id"], shopper_id)
        deadline = now + timedelta(minutes=current_app.config.get("ORDER_PAY_MINUTES", 15)) if wechat else None
        order = orders.place_order(db.session, store_session, body["items"], now, body["coupon_id"],
                                   max_open=current_app.config["SHOPPER_OPEN_ORDERS_MAX"], pay_deadline=deadline)
        if wechat and order.total_fen > 0:
            ledger.open_payment(db.session, order)
        elif wechat:  # a coupon paid it all: nothing for WeChat Pay to take
            order_states.move(db.session, order, "pay", paid_at=now)
        placed.append(order)
        return 201, ENVELOPE.dump({"order": order})

    answer = idempotency.answer_once(db.session, "order", shopper_id, idempotency_key, produce)
    if placed and not answer.replayed and placed[0].status in order_states.HANDOVER_STATUSES:
        broadcasts.pickup_added(placed[0])  # a WeChat order reaches the van once paid
    return answer
