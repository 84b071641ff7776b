"""The van's stock under real concurrency: 50 orders at once for its last 10 units make exactly 10 orders."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import func, select

from app.extensions import db
from app.models import Order, RoundPrize
from tests.concurrency import at_once, error_code, order_request, orders_by_new_shoppers
from tests.van import load_van, quantity_and_reserved

SHOPPERS, ORDERS_EACH = 10, 5  # each shopper within the open-order cap (5)


def test_fifty_concurrent_orders_for_the_last_ten_units_make_exactly_ten_orders(app, client, make, backend):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    milk = make.product()
    milk_id, courier_headers = milk.id, make.courier_headers(courier)
    load_van(client, courier_headers, [(milk, 13)])
    first_headers = make.shopper(home=home)[1]
    make.placed_order(first_headers, make.store_session(first_headers, courier), [(milk, 3)])  # 10 left
    calls = orders_by_new_shoppers(make, home, courier, milk_id, SHOPPERS, ORDERS_EACH, "van")

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


def test_the_same_van_load_sent_at_once_is_one_load(app, client, make, backend):
    courier = make.courier()
    milk, eggs = make.product(), make.product()
    milk_id, eggs_id = milk.id, eggs.id
    headers = make.courier_headers(courier)
    body = {"items": [{"product_id": milk_id, "quantity": 6}, {"product_id": eggs_id, "quantity": 2}]}

    results = at_once(app, [lambda c: c.put("/api/v1/courier/van-load", json=body, headers=headers)] * 6)

    assert {status for status, _ in results} == {200}, results
    assert all(b["van_load"]["items"] == results[0][1]["van_load"]["items"] for _, b in results)
    assert (quantity_and_reserved(milk_id), quantity_and_reserved(eggs_id)) == ((6, 0), (2, 0))


def test_a_round_opening_among_concurrent_orders_shares_the_van_without_overselling(app, client, make, backend):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    milk = make.product()
    milk_id = milk.id
    courier_headers = make.courier_headers(courier)
    load_van(client, courier_headers, [(milk, 6)])
    make.campaign([home], prizes=[{"kind": "item", "product_id": milk_id, "per_round": 3,
                                   "win_probability": 0.5}])
    calls = []
    for n in range(4):
        headers = make.shopper(home=home)[1]
        session_id = make.store_session(headers, courier)
        calls += [order_request(headers, session_id, milk_id, f"mix-{n}-{k}") for k in range(2)]
    arrival = {"event_id": "van-here", "compound_id": home.id,
               "occurred_at": datetime.now(timezone.utc).isoformat()}
    calls.insert(4, lambda c: c.post("/api/v1/courier/arrivals", json=arrival, headers=courier_headers))

    results = at_once(app, calls)

    assert results[4][0] == 201 and len(results[4][1]["rounds"]) == 1, results[4]
    orders = [r for i, r in enumerate(results) if i != 4]
    assert all(s == 201 or (s, error_code((s, b))) == (409, "out_of_stock") for s, b in orders), orders
    ordered = sum(1 for s, _ in orders if s == 201)
    db.session.expire_all()
    round_stock = db.session.scalars(select(RoundPrize.stock)).one()
    assert ordered + round_stock == 6 and round_stock >= 0  # the van sold out, never past it
    assert quantity_and_reserved(milk_id) == (6, 6)
