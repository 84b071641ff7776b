"""Shopper orders: placed once per Idempotency-Key, picked up from the van."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from app.actions import orders as order_actions
from app.actions import payments as payment_actions
from app.api.auth import auth_required, principal
from app.api.errors import ErrorBody
from app.extensions import db
from app.schemas import shopper as s
from app.schemas.payments import PaymentEnvelope
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
    """Order for pickup at the van, paid there (`at_van`) or first through WeChat Pay (`wechat`:
    pending_payment until paid, closed after ORDER_PAY_MINUTES); the same Idempotency-Key replays the first answer."""
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


@blp.get("/orders/<int:order_id>")
@auth_required("shopper")
@blp.response(200, s.OrderEnvelope)
@blp.alt_response(404, schema=ErrorBody, description="not_found: no such order of yours")
def my_order(order_id):
    """One of the shopper's orders, with its payment state (paid_at, refunded_fen)."""
    return {"order": payment_actions.shopper_order(principal().subject_id, order_id)}


@blp.post("/orders/<int:order_id>/payment")
@auth_required("shopper")
@blp.response(200, PaymentEnvelope)
@blp.alt_response(409, schema=ErrorBody, description="not_payable: not pending_payment, or past its pay_deadline")
@blp.alt_response(503, schema=ErrorBody, description="payment_unavailable: WeChat Pay cannot be reached; retry")
def pay_order(order_id):
    """The arguments of wx.requestPayment for an unpaid WeChat order; a retry gets the same prepay."""
    return {"payment": payment_actions.payment_arguments(principal().subject_id, order_id)}


@blp.post("/orders/<int:order_id>/cancel")
@auth_required("shopper")
@blp.response(200, s.OrderEnvelope)
@blp.alt_response(409, schema=ErrorBody, description="not_cancellable: handed over already")
@blp.alt_response(503, schema=ErrorBody, description="payment_unavailable: WeChat Pay cannot be reached; retry")
def cancel_order(order_id):
    """Cancel an unpaid order (its WeChat order closed, goods given back), or refund a paid one in
    full (refunding, then refunded); a repeat returns the order as it is."""
    return {"order": payment_actions.cancel(principal().subject_id, order_id)}
