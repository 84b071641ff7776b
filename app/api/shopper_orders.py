"""Shopper orders: placed once per Idempotency-Key, picked up from the van."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from app.actions import orders as order_actions
from app.api.auth import auth_required, principal
from app.api.errors import ErrorBody
from app.extensions import db
from app.schemas import shopper as s
from app.schemas.paging import OwnListArgs, own_list
from app.services.store import orders

blp = Blueprint("shopper_orders", __name__, url_prefix="/api/v1", description="Orders")


@blp.post("/orders")
@auth_required("shopper")
@blp.arguments(s.IdempotencyHeader, location="headers")
@blp.arguments(s.OrderIn)
@blp.response(201, s.OrderEnvelope)
@blp.alt_response(409, schema=ErrorBody, description="too_many_open_orders (store orders waiting for pickup: "
                                                     "SHOPPER_OPEN_ORDERS_MAX), coupon_unusable, coupon_not_valid_here")
def place_order(headers, body):
    """Order for pickup at the van; the same Idempotency-Key replays the first answer."""
    answer = order_actions.place_order(principal().subject_id, headers["idempotency_key"], body)
    # Already serialised (a replay may be an error body): bypass the response schema.
    return jsonify(answer.body), answer.status


@blp.get("/me/orders")
@auth_required("shopper")
@blp.arguments(OwnListArgs, location="query")
@blp.response(200, s.OrderList)
def my_orders(query):
    """The shopper's orders, newest first, a page at a time."""
    page = orders.shopper_orders(db.session, principal().subject_id, query["cursor"], query["limit"])
    return own_list("orders", page.items, page.next_after)
