"""Order status messages, for the order side to call inside its own transaction."""
from __future__ import annotations

from flask import current_app

from app.extensions import db
from app.models import Order, utcnow
from app.services.messages import outbox


def order_status(order: Order, status: str) -> bool:
    """Queue "order paid / ready / refunded" (status "paid", "ready" or "refunded") for the order's
    shopper if they have a send of the order-status template left; whether one was queued.
    The caller commits: the message leaves only if the change it reports is committed."""
    template_id = current_app.config["WECHAT_TEMPLATE_ORDER_STATUS"]
    return outbox.order_status(db.session, order, status, template_id, utcnow())
