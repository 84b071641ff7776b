"""Clearance under real concurrency: 50 orders at once for its last 10 units get exactly 10 at the
clearance price (the rest pay the list price); concurrent cancels give units back once."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from app.extensions import db
from app.models import ClearanceSale
from tests.clearance import order, sold, tissue_on_clearance
from tests.concurrency import at_once, orders_by_new_shoppers

SHOPPERS, ORDERS_EACH = 10, 5  # each shopper within the open-order cap (5)


def test_fifty_concurrent_orders_for_the_last_ten_clearance_units_get_exactly_ten(app, client, make, backend):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    tissue = make.product(price_fen=1000)
    tissue_id, deal_id = tissue.id, make.deal(tissue, [home], 400, kind="clearance", quantity=13).id
    first_headers = make.shopper(home=home)[1]
    make.placed_order(first_headers, make.store_session(first_headers, courier), [(tissue, 3)])  # 10 left
    calls = orders_by_new_shoppers(make, home, courier, tissue_id, SHOPPERS, ORDERS_EACH, "clear")

    results = at_once(app, calls)

    assert {status for status, _ in results} == {201}, results
    prices = Counter(body["order"]["items"][0]["unit_price_fen"] for _, body in results)
    assert prices == {400: 10, 1000: 40}
    assert sold(deal_id) == (13, 13)
    assert db.session.scalar(select(func.sum(ClearanceSale.held))) == 13


def test_concurrent_cancels_give_the_clearance_units_back_once(app, client, make, backend):
    shop, tissue, deal = tissue_on_clearance(make, 6)
    deal_id = deal.id  # read now: the threads end this session
    placed = order(client, shop.headers, shop.store_session_id, [(tissue, 4)], "twice").get_json()["order"]
    ops = make.staff_headers("ops")

    cancel = lambda c: c.post(f"/api/v1/console/orders/{placed['id']}/cancel",  # noqa: E731
                              json={"reason": "double tap"}, headers=ops)
    results = at_once(app, [cancel] * 6)

    assert {status for status, _ in results} == {200}, results
    assert sold(deal_id) == (0, 6)
