"""The van's stock under real concurrency: 50 orders at once for its last 10 units make exactly 10 orders."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from app.extensions import db
from app.models import Order
from tests.concurrency import at_once, error_code
from tests.van import load_van, quantity_and_reserved

SHOPPERS, ORDERS_EACH = 10, 5  # each shopper within the open-order cap (5)


def order_request(headers, session_id, product, key):
    body = {"store_session_id": session_id, "items": [{"product_id": product.id, "quantity": 1}]}
    keyed = {**headers, "Idempotency-Key": key}
    return lambda client: client.post("/api/v1/orders", json=body, headers=keyed)


def test_fifty_concurrent_orders_for_the_last_ten_units_make_exactly_ten_orders(app, client, make, backend):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    milk = make.product()
    milk_id, courier_headers = milk.id, make.courier_headers(courier)
    load_van(client, courier_headers, [(milk, 13)])
    first_headers = make.shopper(home=home)[1]
    make.placed_order(first_headers, make.store_session(first_headers, courier), [(milk, 3)])  # 10 left
    calls = []
    for n in range(SHOPPERS):
        headers = make.shopper(home=home)[1]
        session_id = make.store_session(headers, courier)
        calls += [order_request(headers, session_id, milk, f"van-{n}-{k}") for k in range(ORDERS_EACH)]

    results = at_once(app, calls)

    outcomes = Counter(status if status == 201 else (status, error_code((status, body)))
                       for status, body in results)
    assert outcomes == {201: 10, (409, "out_of_stock"): 40}, results
    assert quantity_and_reserved(milk_id) == (13, 13)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.status == "reserved")) == 11


def test_concurrent_cancels_give_the_stock_back_once(app, client, make, backend):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    milk = make.product()
    load_van(client, make.courier_headers(courier), [(milk, 4)])
    headers = make.shopper(home=home)[1]
    order = make.placed_order(headers, make.store_session(headers, courier), [(milk, 4)])
    ops, milk_id = make.staff_headers("ops"), milk.id

    cancel = lambda c: c.post(f"/api/v1/console/orders/{order['id']}/cancel",  # noqa: E731
                              json={"reason": "double tap"}, headers=ops)
    results = at_once(app, [cancel] * 6)

    assert {status for status, _ in results} == {200}, results
    assert quantity_and_reserved(milk_id) == (4, 0)
