"""Shopper orders: placed once per Idempotency-Key, picked up from the van."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from app.actions import orders as order_actions
from app.api.auth import auth_required, principal
from app.extensions import db
from app.schemas import shopper as s
from app.services.store import orders

blp = Blueprint("shopper_orders", __name__, url_prefix="/api/v1", description="Orders")


@blp.post("/orders")
@auth_required("shopper")
@blp.arguments(s.IdempotencyHeader, location="headers")
@blp.arguments(s.OrderIn)
@blp.response(201, s.OrderEnvelope)
def place_order(headers, body):
    """Order for pickup at the van; the same Idempotency-Key replays the first answer."""
    answer = order_actions.place_order(principal().subject_id, headers["idempotency_key"], body)
    # Already serialised (a replay may be an error body): bypass the response schema.
    return jsonify(answer.body), answer.status


@blp.get("/me/orders")
@auth_required("shopper")
@blp.response(200, s.OrderList)
def my_orders():
    """The shopper's orders, newest first."""
    return {"orders": orders.shopper_orders(db.session, principal().subject_id)}
