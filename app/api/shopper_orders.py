"""Shopper orders: placed once per Idempotency-Key, picked up from the van."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from app.api import actions
from app.api.auth import auth_required, principal
from app.extensions import db
from app.models import Order, utcnow
from app.schemas import shopper as s
from app.services import idempotency
from app.services.store import orders, storefront

blp = Blueprint("shopper_orders", __name__, url_prefix="/api/v1", description="Orders")


@blp.post("/orders")
@auth_required("shopper")
@blp.arguments(s.IdempotencyHeader, location="headers")
@blp.arguments(s.OrderIn)
@blp.response(201, s.OrderEnvelope)
def place_order(headers, body):
    """Order for pickup at the van; the same Idempotency-Key replays the first answer."""
    shopper_id = principal().subject_id

    def produce():
        store_session = storefront.get_store_session(db.session, body["store_session_id"], shopper_id)
        order = orders.place_order(db.session, store_session, body["items"], utcnow(), body["coupon_id"])
        return 201, s.OrderEnvelope().dump({"order": order})

    answer = idempotency.answer_once(db.session, "order", shopper_id, headers["idempotency_key"], produce)
    if answer.status == 201:  # a fresh order: the courier's pick list hears of it
        actions.announce_pickup(db.session.get(Order, answer.body["order"]["id"]))
    # Already serialised (a replay may be an error body): bypass the response schema.
    return jsonify(answer.body), answer.status


@blp.get("/me/orders")
@auth_required("shopper")
@blp.response(200, s.OrderList)
def my_orders():
    """The shopper's orders, newest first."""
    return {"orders": orders.shopper_orders(db.session, principal().subject_id)}
