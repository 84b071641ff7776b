"""Subscribe messages: a shopper's acceptances counted once per request, and order status
messages for the order side to call inside its own transaction."""
from __future__ import annotations

from flask import current_app

from app.extensions import db
from app.models import Order, utcnow
from app.services import idempotency
from app.services.messages import outbox, subscriptions


def our_templates() -> list[str]:
    config = current_app.config
    return [config["WECHAT_TEMPLATE_VAN_ARRIVED"], config["WECHAT_TEMPLATE_ORDER_STATUS"],
            config["WECHAT_TEMPLATE_SHOPPING_PLAN"]]


def accept(shopper_id: int, accepted: list[str], idempotency_key: str | None) -> idempotency.Answer:
    """Count the acceptances and commit; with a key, a retry replays the first answer instead."""

    def produce():
        return 200, {"subscriptions": subscriptions.accept(db.session, shopper_id, accepted, our_templates())}

    return idempotency.answer_once_if_keyed(db.session, "subscriptions", shopper_id, idempotency_key, produce)


def order_status(order: Order, status: str) -> bool:
    """Queue "order paid / ready / refunded / group succeeded / group failed" (a key of
    outbox.ORDER_STATUS_TEXTS) for the order's
    shopper if they have a send of the order-status template left; whether one was queued.
    The caller commits: the message leaves only if the change it reports is committed."""
    template_id = current_app.config["WECHAT_TEMPLATE_ORDER_STATUS"]
    return outbox.order_status(db.session, order, status, template_id, utcnow())
