"""Orders reserve from today's van load: all lines or none, never past it; cancels give back exactly that."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Order, VanHold
from tests.assertions import assert_error
from tests.van import VAN_LOAD, load_van, quantity_and_reserved

ORDERS = "/api/v1/orders"


@pytest.fixture
def shop(make):
    """A courier with a compound, a shopper there with an open store session, the courier's headers."""
    built = make.shop()
    return built.courier, make.courier_headers(built.courier), built.headers, built.store_session_id


def post_order(client, headers, session_id, items, key):
    body = {"store_session_id": session_id, "items": [{"product_id": p.id, "quantity": q} for p, q in items]}
    return client.post(ORDERS, json=body, headers={**headers, "Idempotency-Key": key})


def order_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Order))


def cancel(client, make, order_id):
    answer = client.post(f"/api/v1/console/orders/{order_id}/cancel", json={"reason": "shopper called"},
                         headers=make.staff_headers("ops"))
    assert answer.status_code == 200, answer.get_json()


def test_an_order_reserves_its_lines_from_the_van(client, make, shop):
    courier, courier_headers, headers, session_id = shop
    milk, eggs = make.product(), make.product()
    load_van(client, courier_headers, [(milk, 5), (eggs, 3)])

    assert post_order(client, headers, session_id, [(milk, 2), (eggs, 3)], "k1").status_code == 201

    assert quantity_and_reserved(milk) == (5, 2)
    assert quantity_and_reserved(eggs) == (3, 3)
    reserved = client.get(VAN_LOAD, headers=courier_headers).get_json()["van_load"]["items"]
    assert {i["product_id"]: i["reserved"] for i in reserved} == {milk.id: 2, eggs.id: 3}


def test_a_line_short_on_the_van_refuses_the_whole_order_and_keeps_nothing(client, make, shop):
    courier, courier_headers, headers, session_id = shop
    milk, eggs = make.product(), make.product()
    load_van(client, courier_headers, [(milk, 5), (eggs, 1)])

    answer = post_order(client, headers, session_id, [(milk, 2), (eggs, 2)], "k1")
    error = assert_error(answer, 409, "out_of_stock")

    assert error["product_id"] == eggs.id and eggs.name in error["message"]
    assert quantity_and_reserved(milk) == (5, 0)  # the line reserved first was given up with the order
    assert quantity_and_reserved(eggs) == (1, 0)
    assert order_count() == 0
    assert db.session.scalar(select(func.count()).select_from(VanHold)) == 0


def test_a_product_not_on_todays_van_is_out_of_stock(client, make, shop):
    courier, courier_headers, headers, session_id = shop
    milk, tea = make.product(), make.product()
    load_van(client, courier_headers, [(milk, 5)])

    error = assert_error(post_order(client, headers, session_id, [(tea, 1)], "k1"), 409, "out_of_stock")

    assert error["product_id"] == tea.id
    assert order_count() == 0


def test_ops_allow_a_product_off_the_van_for_the_next_run_and_it_reserves_nothing(client, make, shop):
    courier, courier_headers, headers, session_id = shop
    milk = make.product()
    tea = make.product(orderable_off_van=True)
    load_van(client, courier_headers, [(milk, 5)])

    assert post_order(client, headers, session_id, [(tea, 2), (milk, 1)], "k1").status_code == 201

    holds = {h.product_id: h for h in db.session.scalars(select(VanHold))}
    assert holds[tea.id].van_load_item_id is None and holds[tea.id].quantity == 2  # marked for the next run
    assert holds[milk.id].van_load_item_id is not None
    assert quantity_and_reserved(milk) == (5, 1)


def test_a_next_run_line_says_so_to_the_shopper_and_on_the_pick_list(client, make, shop):
    courier, courier_headers, headers, session_id = shop
    milk = make.product()
    tea = make.product(orderable_off_van=True)
    load_van(client, courier_headers, [(milk, 5)])
    order = post_order(client, headers, session_id, [(tea, 2), (milk, 1)], "k1").get_json()["order"]

    shown = client.get(f"{ORDERS}/{order['id']}", headers=headers).get_json()["order"]
    picks = client.get("/api/v1/courier/pickups", headers=courier_headers).get_json()["orders"]

    assert {line["product_id"]: line["next_run"] for line in shown["items"]} == {tea.id: True, milk.id: False}
    assert {line["product_id"]: line["next_run"] for line in picks[0]["items"]} == {tea.id: True, milk.id: False}


def test_a_cancel_gives_back_exactly_what_the_order_reserved_once(client, make, shop):
    courier, courier_headers, headers, session_id = shop
    milk = make.product()
    load_van(client, courier_headers, [(milk, 3)])
    order_id = post_order(client, headers, session_id, [(milk, 3)], "k1").get_json()["order"]["id"]
    assert_error(post_order(client, headers, session_id, [(milk, 1)], "k2"), 409, "out_of_stock")

    cancel(client, make, order_id)
    cancel(client, make, order_id)  # a repeated cancel gives nothing twice

    assert quantity_and_reserved(milk) == (3, 0)
    assert post_order(client, headers, session_id, [(milk, 3)], "k3").status_code == 201


def test_the_van_load_cannot_drop_below_what_is_reserved(client, make, shop):
    courier, courier_headers, headers, session_id = shop
    eggs, milk = make.product(), make.product()  # eggs first: its change is written before milk's refusal
    load_van(client, courier_headers, [(milk, 5), (eggs, 4)])
    post_order(client, headers, session_id, [(milk, 3)], "k1")

    lower = client.put(VAN_LOAD, headers=courier_headers, json={"items": [
        {"product_id": milk.id, "quantity": 2}, {"product_id": eggs.id, "quantity": 1}]})
    error = assert_error(lower, 409, "below_reserved")
    assert error["product_id"] == milk.id and error["reserved"] == 3
    assert_error(client.put(VAN_LOAD, json={"items": []}, headers=courier_headers), 409, "below_reserved")

    assert quantity_and_reserved(milk) == (5, 3)
    assert quantity_and_reserved(eggs) == (4, 0)  # nothing of the refused list was kept
    assert load_van(client, courier_headers, [(milk, 3)])["items"] == [
        {"product_id": milk.id, "name": milk.name, "quantity": 3, "reserved": 3}]


def test_without_a_van_load_today_orders_are_not_limited_by_the_van(client, make, shop):
    courier, courier_headers, headers, session_id = shop
    milk = make.product()

    assert post_order(client, headers, session_id, [(milk, 40)], "k1").status_code == 201
    assert db.session.scalar(select(func.count()).select_from(VanHold)) == 0
