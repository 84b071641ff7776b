"""Orders: priced at the compound's deals, coupons redeemed once, placed once per Idempotency-Key."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Coupon, IdempotentAnswer, Order
from tests.assertions import assert_error
from tests.factories import now

ORDERS = "/api/v1/orders"


@pytest.fixture
def shop(make):
    built = make.shop()
    return built.home, built.courier, built.headers, built.store_session_id


def post_order(client, headers, session_id, items, key="key-1", coupon_id=None):
    body = {"store_session_id": session_id,
            "items": [{"product_id": p.id, "quantity": q} for p, q in items]}
    if coupon_id is not None:
        body["coupon_id"] = coupon_id
    return client.post(ORDERS, json=body, headers={**headers, "Idempotency-Key": key})


def order_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Order))


# --- pricing -----------------------------------------------------------------------------


def test_order_answer_has_the_api_md_shape(client, make, shop):
    _, _, headers, session_id = shop
    product = make.product(price_fen=1200)
    answer = post_order(client, headers, session_id, [(product, 2)])
    assert answer.status_code == 201, answer.get_json()
    order = answer.get_json()["order"]
    assert {"id", "status", "total_fen", "pickup_code", "items"} <= set(order)
    assert order["status"] == "reserved"
    assert order["total_fen"] == 2400
    assert len(order["pickup_code"]) == 6 and order["pickup_code"].isdigit()
    assert order["items"] == [{"product_id": product.id, "name": product.name, "quantity": 2,
                               "unit_price_fen": 1200, "next_run": False}]


def test_order_is_priced_at_the_compound_deal_price(client, make, shop):
    home, _, headers, session_id = shop
    elsewhere = make.compound()
    on_deal, full_price = make.product(price_fen=1000), make.product(price_fen=500)
    make.deal(on_deal, [home], 800)
    make.deal(on_deal, [elsewhere], 600)
    make.deal(full_price, [home], 100, ends_at=now() - timedelta(minutes=1))
    order = post_order(client, headers, session_id, [(on_deal, 3), (full_price, 1)]).get_json()["order"]
    prices = {item["product_id"]: item["unit_price_fen"] for item in order["items"]}
    assert prices == {on_deal.id: 800, full_price.id: 500}
    assert order["total_fen"] == 3 * 800 + 500


def test_repeated_product_lines_are_merged(client, make, shop):
    _, _, headers, session_id = shop
    product = make.product(price_fen=300)
    order = post_order(client, headers, session_id, [(product, 1), (product, 2)]).get_json()["order"]
    assert [(i["product_id"], i["quantity"]) for i in order["items"]] == [(product.id, 3)]
    assert order["total_fen"] == 900


# --- coupons -----------------------------------------------------------------------------


def test_coupon_meeting_its_threshold_is_applied(client, make, shop):
    home, _, headers, session_id = shop
    product = make.product(price_fen=1600)
    coupon = make.claimed_coupon(headers, make.coupon_template([home], discount_fen=500, threshold_fen=3000))
    answer = post_order(client, headers, session_id, [(product, 2)], coupon_id=coupon["id"])
    assert answer.status_code == 201, answer.get_json()
    order = answer.get_json()["order"]
    assert (order["subtotal_fen"], order["discount_fen"], order["total_fen"]) == (3200, 500, 2700)
    wallet = client.get("/api/v1/me/coupons", headers=headers).get_json()["coupons"]
    assert [c["status"] for c in wallet] == ["used"]


def test_coupon_below_its_threshold_is_refused_and_stays_unused(client, make, shop):
    home, _, headers, session_id = shop
    product = make.product(price_fen=1000)
    coupon = make.claimed_coupon(headers, make.coupon_template([home], discount_fen=500, threshold_fen=3000))
    answer = post_order(client, headers, session_id, [(product, 2)], coupon_id=coupon["id"])
    assert answer.status_code == 409, answer.get_json()
    assert order_count() == 0
    assert db.session.get(Coupon, coupon["id"]).status == "unused"


def test_a_coupon_cannot_be_used_twice(client, make, shop):
    home, _, headers, session_id = shop
    product = make.product(price_fen=4000)
    coupon = make.claimed_coupon(headers, make.coupon_template([home]))
    first = post_order(client, headers, session_id, [(product, 1)], key="first", coupon_id=coupon["id"])
    assert first.status_code == 201, first.get_json()
    second = post_order(client, headers, session_id, [(product, 1)], key="second", coupon_id=coupon["id"])
    assert second.status_code == 409, second.get_json()
    assert second.get_json()["error"]["code"] == "coupon_unusable"
    assert order_count() == 1


def test_someone_elses_coupon_is_refused(client, make, shop):
    home, _, headers, session_id = shop
    _, other = make.shopper(home=home)
    theirs = make.claimed_coupon(other, make.coupon_template([home]))
    answer = post_order(client, headers, session_id, [(make.product(price_fen=5000), 1)], coupon_id=theirs["id"])
    assert_error(answer, 422, "invalid_request")
    assert order_count() == 0
    assert db.session.get(Coupon, theirs["id"]).status == "unused"


# --- idempotency -------------------------------------------------------------------------


def test_same_idempotency_key_replays_the_first_answer_with_200(client, make, shop):
    _, _, headers, session_id = shop
    product = make.product()
    first = post_order(client, headers, session_id, [(product, 1)], key="retry-me")
    again = post_order(client, headers, session_id, [(product, 1)], key="retry-me")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert order_count() == 1


def test_same_key_with_another_body_still_replays_the_first_answer(client, make, shop):
    _, _, headers, session_id = shop
    first = post_order(client, headers, session_id, [(make.product(), 1)], key="k")
    again = post_order(client, headers, session_id, [(make.product(), 5)], key="k")
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert order_count() == 1


def test_a_refusal_is_replayed_too(client, make, shop):
    _, _, headers, session_id = shop
    refused = client.post(ORDERS, json={"store_session_id": session_id,
                                        "items": [{"product_id": 424242, "quantity": 1}]},
                          headers={**headers, "Idempotency-Key": "bad"})
    assert refused.status_code == 422
    product = make.product()
    again = post_order(client, headers, session_id, [(product, 1)], key="bad")
    assert (again.status_code, again.get_json()) == (422, refused.get_json())
    assert order_count() == 0


def test_idempotency_keys_belong_to_their_shopper(client, make, shop):
    home, courier, headers, session_id = shop
    _, other = make.shopper(home=home)
    other_session = make.store_session(other, courier)
    product = make.product()
    mine = post_order(client, headers, session_id, [(product, 1)], key="shared")
    theirs = post_order(client, other, other_session, [(product, 1)], key="shared")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.get_json()["order"]["id"] != theirs.get_json()["order"]["id"]
    assert order_count() == 2


@pytest.mark.one_database
def test_missing_idempotency_key_is_invalid_request(client, make, shop):
    _, _, headers, session_id = shop
    answer = client.post(ORDERS, json={"store_session_id": session_id,
                                       "items": [{"product_id": make.product().id, "quantity": 1}]},
                         headers=headers)
    assert_error(answer, 422, "invalid_request")
    assert "Idempotency-Key" in answer.get_json()["error"]["fields"]
    assert order_count() == 0
    assert db.session.scalar(select(func.count()).select_from(IdempotentAnswer)) == 0


# --- refusals ----------------------------------------------------------------------------


def test_another_shoppers_store_session_is_not_found(client, make, shop):
    home, courier, _, session_id = shop
    _, stranger = make.shopper(home=home)
    assert_error(post_order(client, stranger, session_id, [(make.product(), 1)]), 404, "not_found")
    assert order_count() == 0


def test_unknown_product_is_invalid_request(client, make, shop):
    _, _, headers, session_id = shop
    known = make.product()
    answer = client.post(ORDERS, json={"store_session_id": session_id,
                                       "items": [{"product_id": known.id, "quantity": 1},
                                                 {"product_id": 999_999, "quantity": 1}]},
                         headers={**headers, "Idempotency-Key": "unknown-product"})
    assert_error(answer, 422, "invalid_request")
    assert "items" in answer.get_json()["error"]["fields"]
    assert order_count() == 0


@pytest.mark.parametrize("quantity", [0, -1, 100])
@pytest.mark.one_database
def test_quantity_out_of_range_is_invalid_request(client, make, shop, quantity):
    _, _, headers, session_id = shop
    answer = client.post(ORDERS, json={"store_session_id": session_id,
                                       "items": [{"product_id": make.product().id, "quantity": quantity}]},
                         headers={**headers, "Idempotency-Key": f"q{quantity}"})
    assert_error(answer, 422, "invalid_request")
    assert "items.0.quantity" in answer.get_json()["error"]["fields"]
    assert order_count() == 0


@pytest.mark.one_database
def test_empty_items_is_invalid_request(client, shop):
    _, _, headers, session_id = shop
    answer = client.post(ORDERS, json={"store_session_id": session_id, "items": []},
                         headers={**headers, "Idempotency-Key": "empty"})
    assert_error(answer, 422, "invalid_request")
    assert "items" in answer.get_json()["error"]["fields"]


# --- my orders ---------------------------------------------------------------------------


def test_my_orders_lists_only_mine_newest_first(client, make, shop):
    home, courier, headers, session_id = shop
    _, other = make.shopper(home=home)
    product = make.product(price_fen=700)
    older = make.placed_order(headers, session_id, [(product, 1)])
    newer = make.placed_order(headers, session_id, [(product, 2)])
    make.placed_order(other, make.store_session(other, courier), [(product, 1)])
    answer = client.get("/api/v1/me/orders", headers=headers)
    assert answer.status_code == 200
    listed = answer.get_json()["orders"]
    assert [o["id"] for o in listed] == [newer["id"], older["id"]]
    assert listed[0] == newer


def test_my_orders_is_empty_before_any_order(client, make):
    _, headers = make.shopper()
    assert client.get("/api/v1/me/orders", headers=headers).get_json() == {"orders": []}
