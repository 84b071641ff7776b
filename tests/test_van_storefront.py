"""The storefront shows `on_van`: what is left to order from today's van of the store's courier."""
from __future__ import annotations

from sqlalchemy import event

from app.extensions import db
from tests.van import load_van


def storefront_items(client, headers, session_id) -> dict[int, dict]:
    answer = client.get(f"/api/v1/store-sessions/{session_id}/storefront", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    return {item["product_id"]: item for item in body["discount_ranking"] + body["staff_exclusives"]}


def shop_with_deals(make, count: int):
    """A courier's store in a compound whose `count` products are on a deal (so the storefront lists them)."""
    home = make.compound()
    courier = make.courier(compounds_=[home])
    headers = make.shopper(home=home)[1]
    products = [make.product(price_fen=1000) for _ in range(count)]
    for product in products:
        make.deal(product, [home], deal_price_fen=800)
    return courier, headers, make.store_session(headers, courier), products


def test_items_carry_what_is_left_on_todays_van(client, make):
    courier, headers, session_id, (milk, eggs, tea) = shop_with_deals(make, 3)
    load_van(client, make.courier_headers(courier), [(milk, 5), (eggs, 2)])
    make.placed_order(headers, session_id, [(milk, 3)])

    items = storefront_items(client, headers, session_id)

    assert {pid: item["on_van"] for pid, item in items.items()} == {milk.id: 2, eggs.id: 2, tea.id: 0}


def test_on_van_is_null_when_the_van_has_no_load_today(client, make):
    courier, headers, session_id, products = shop_with_deals(make, 2)

    items = storefront_items(client, headers, session_id)

    assert [items[p.id]["on_van"] for p in products] == [None, None]


def test_the_van_load_costs_the_storefront_one_query_however_long_it_is(app, client, make):
    courier, headers, session_id, products = shop_with_deals(make, 6)
    courier_headers = make.courier_headers(courier)
    app.extensions["xiaoge.standings"].clock = lambda: 0.0  # accounts, once read, stay cached

    def queries() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            storefront_items(client, headers, session_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    queries()
    without_load = queries()
    load_van(client, courier_headers, [(products[0], 1)])
    short_load = queries()
    load_van(client, courier_headers, [(p, 3) for p in products])

    assert short_load == without_load == queries()
