"""Bounded work per request: compound search and address matching load only what they answer,
lists come a page at a time, and a shopper's open orders and addresses are capped."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Address, Compound, Order
from app.services.places import compounds
from tests.assertions import assert_error, assert_invalid
from tests.concurrency import at_once, error_code
from tests.test_shakes import release_all_stock

ADDRESSES = "/api/v1/me/addresses"


@pytest.fixture
def loaded_compounds():
    """How many Compound rows the ORM builds meanwhile (each one a row brought into Python)."""
    loaded: list[int] = []

    def count(target, _context):
        loaded.append(target.id)

    event.listen(Compound, "load", count)
    yield loaded
    event.remove(Compound, "load", count)


def many_compounds(count: int, **fields) -> list[Compound]:
    """`count` compounds named 阳光花园N期 within a few hundred metres of (31.2, 121.5)."""
    made = [compounds.create_compound(db.session, name=f"阳光花园{n}期", city="上海", lat=31.2 + n / 100_000,
                                      lng=121.5 + n / 100_000, radius_m=300, **fields) for n in range(count)]
    db.session.commit()
    db.session.expunge_all()  # what a request then loads is counted afresh
    return made


# --- compound search and address matching ------------------------------------------------


@pytest.mark.parametrize("query", ["q=阳光", "lat=31.2&lng=121.5", "q=花园&lat=31.2&lng=121.5"])
def test_compound_search_brings_only_the_answer_into_python(client, make, loaded_compounds, query):
    _, headers = make.shopper()
    many_compounds(120)
    loaded_compounds.clear()

    answer = client.get(f"/api/v1/compounds?{query}", headers=headers)

    assert answer.status_code == 200, answer.get_json()
    assert len(answer.get_json()["compounds"]) == compounds.SEARCH_LIMIT
    assert len(set(loaded_compounds)) <= compounds.SEARCH_LIMIT


def test_compound_search_by_position_answers_the_nearest_first(client, make):
    _, headers = make.shopper()
    many_compounds(30)

    hits = client.get("/api/v1/compounds?lat=31.2&lng=121.5&limit=5", headers=headers).get_json()["compounds"]

    assert [hit["name"] for hit in hits] == [f"阳光花园{n}期" for n in range(5)]
    assert [hit["distance_m"] for hit in hits] == sorted(hit["distance_m"] for hit in hits)


def test_compound_search_reaches_past_the_nearby_boxes_when_little_is_near(client, make):
    _, headers = make.shopper()
    far = make.compound(name="远郊苑", lat=32.2, lng=122.5)  # about 145 km away

    hits = client.get("/api/v1/compounds?lat=31.2&lng=121.5", headers=headers).get_json()["compounds"]

    assert [hit["id"] for hit in hits] == [far.id] and 140_000 < hits[0]["distance_m"] < 150_000


def test_compound_search_takes_wildcards_in_the_query_literally(client, make):
    _, headers = make.shopper()
    odd = make.compound(name="100%花园", aliases=["A_B苑"])
    make.compound(name="阳光苑")

    for query in ("%", "_"):
        hits = client.get("/api/v1/compounds", query_string={"q": query}, headers=headers).get_json()["compounds"]
        assert [hit["id"] for hit in hits] == [odd.id], query


@pytest.mark.one_database
@pytest.mark.parametrize("limit", ["0", "51", "many"])
def test_compound_search_limit_is_capped(client, make, limit):
    _, headers = make.shopper()
    assert_invalid(client.get(f"/api/v1/compounds?limit={limit}", headers=headers), "limit")


def test_an_address_is_matched_to_its_compound_without_loading_the_others(client, make, loaded_compounds):
    _, headers = make.shopper()
    many_compounds(80)
    loaded_compounds.clear()

    answer = client.post(ADDRESSES, json={"recipient": "李四", "phone": "13900000000",
                                          "detail": "浦东 阳光花园42期 3栋"}, headers=headers)

    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["address"]["compound"]["name"] == "阳光花园42期"
    assert len(set(loaded_compounds)) <= 1


def test_a_one_letter_alias_anywhere_in_the_address_is_matched(client, make):
    _, headers = make.shopper()
    tiny = make.compound(name="X花园", aliases=["Q"])

    answer = client.post(ADDRESSES, json={"recipient": "李四", "phone": "13900000000",
                                          "detail": "q 区 5 号"}, headers=headers)

    assert answer.get_json()["address"]["compound"]["id"] == tiny.id


# --- lists a page at a time --------------------------------------------------------------


def shop(make):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    _, headers = make.shopper(home=home)
    return home, courier, headers, make.store_session(headers, courier)


def pages(client, path, headers, key, limit):
    """Every page of a list, following next_cursor: [[ids of page 1], [ids of page 2], ...]."""
    seen, query = [], {"limit": limit}
    while True:
        answer = client.get(path, query_string=query, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        seen.append([row["id"] for row in body[key]])
        if "next_cursor" not in body:
            return seen
        query = {"limit": limit, "cursor": body["next_cursor"]}


def test_my_orders_come_newest_first_a_page_at_a_time(client, make):
    _, _, headers, session_id = shop(make)
    product = make.product()
    placed = [make.placed_order(headers, session_id, [(product, 1)])["id"] for _ in range(3)]

    assert pages(client, "/api/v1/me/orders", headers, "orders", 2) == [placed[:0:-1], [placed[0]]]


def test_my_coupons_come_newest_first_a_page_at_a_time(client, make):
    home, _, headers, _ = shop(make)
    template = make.coupon_template([home], per_shopper_limit=3)
    claimed = [make.claimed_coupon(headers, template)["id"] for _ in range(3)]

    assert pages(client, "/api/v1/me/coupons", headers, "coupons", 2) == [claimed[:0:-1], [claimed[0]]]


def test_the_pick_list_comes_oldest_first_a_page_at_a_time(client, make):
    _, courier, headers, session_id = shop(make)
    product = make.product()
    placed = [make.placed_order(headers, session_id, [(product, 1)])["id"] for _ in range(3)]

    courier_headers = make.courier_headers(courier)
    assert pages(client, "/api/v1/courier/pickups", courier_headers, "orders", 2) == [placed[:2], placed[2:]]


def test_my_wins_come_newest_first_a_page_at_a_time(client, make):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    make.campaign([home], wins_per_shopper=3)
    _, headers = make.shopper(home=home)
    round_id = make.arrival(courier, home).get_json()["rounds"][0]["id"]
    release_all_stock(round_id)
    won = [make.shake(round_id, headers, shake_id=f"s{n}").get_json() for n in range(3)]
    assert [w["result"] for w in won] == ["win"] * 3, won
    won = [w["shake_id"] for w in won]

    wins, query = [], {"limit": 2}
    while True:
        body = client.get("/api/v1/me/wins", query_string=query, headers=headers).get_json()
        wins.append([w["shake_id"] for w in body["wins"]])
        if "next_cursor" not in body:
            break
        query = {"limit": 2, "cursor": body["next_cursor"]}
    assert wins == [won[:0:-1], [won[0]]]


@pytest.mark.one_database
@pytest.mark.parametrize("path", ["/api/v1/me/orders", "/api/v1/me/coupons", "/api/v1/me/wins"])
@pytest.mark.parametrize("query, field", [("limit=101", "limit"), ("limit=0", "limit"), ("cursor=abc", "cursor"),
                                          ("cursor=-1", "cursor")])
def test_list_pages_are_at_most_a_hundred_and_cursors_are_checked(client, make, path, query, field):
    _, headers = make.shopper()
    assert_invalid(client.get(f"{path}?{query}", headers=headers), field)


# --- caps --------------------------------------------------------------------------------


def post_order(client, headers, session_id, product, key):
    return client.post("/api/v1/orders", json={"store_session_id": session_id,
                                               "items": [{"product_id": product.id, "quantity": 1}]},
                       headers={**headers, "Idempotency-Key": key})


def test_one_open_order_past_the_cap_is_too_many_open_orders_until_one_is_picked_up(app, client, make):
    _, courier, headers, session_id = shop(make)
    product = make.product()
    cap = app.config["SHOPPER_OPEN_ORDERS_MAX"]
    placed = [make.placed_order(headers, session_id, [(product, 1)]) for _ in range(cap)]

    refused = post_order(client, headers, session_id, product, "one-more")

    assert_error(refused, 409, "too_many_open_orders")
    handed = client.post(f"/api/v1/courier/pickups/{placed[0]['id']}/handover",
                         json={"pickup_code": placed[0]["pickup_code"]}, headers=make.courier_headers(courier))
    assert handed.status_code == 200
    assert post_order(client, headers, session_id, product, "after-pickup").status_code == 201


def test_won_items_waiting_at_the_van_do_not_count_as_open_orders(app, client, make):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    make.campaign([home], prizes=[{"kind": "item", "product_id": make.product().id, "per_round": 3,
                                   "win_probability": 1.0}])
    _, headers = make.shopper(home=home)
    round_id = make.arrival(courier, home).get_json()["rounds"][0]["id"]
    assert make.shake(round_id, headers).get_json()["result"] == "win"
    session_id = make.store_session(headers, courier)
    product = make.product()

    for n in range(app.config["SHOPPER_OPEN_ORDERS_MAX"]):
        assert post_order(client, headers, session_id, product, f"k{n}").status_code == 201


def test_concurrent_orders_of_one_shopper_stop_at_the_cap(app, make):
    _, _, headers, session_id = shop(make)
    product = make.product()
    body = {"store_session_id": session_id, "items": [{"product_id": product.id, "quantity": 1}]}
    cap = app.config["SHOPPER_OPEN_ORDERS_MAX"]

    results = at_once(app, [lambda client, n=n: client.post(
        "/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": f"burst-{n}"}) for n in range(cap + 5)])

    assert Counter((status, error_code((status, body))) for status, body in results) == Counter(
        {(201, None): cap, (409, "too_many_open_orders"): 5}), results
    assert db.session.scalar(select(func.count()).select_from(Order)) == cap


def address(n: int) -> dict:
    return {"recipient": "李四", "phone": "13900000000", "detail": f"某路{n}号"}


def test_an_address_past_the_cap_is_too_many_addresses(app, client, make):
    _, headers = make.shopper()
    cap = app.config["SHOPPER_ADDRESSES_MAX"]
    for n in range(cap):
        assert client.post(ADDRESSES, json=address(n), headers=headers).status_code == 201

    assert_error(client.post(ADDRESSES, json=address(cap), headers=headers), 409, "too_many_addresses")
    assert len(client.get(ADDRESSES, headers=headers).get_json()["addresses"]) == cap


def test_concurrent_addresses_of_one_shopper_stop_at_the_cap(app, make):
    shopper_id, headers = make.shopper()
    cap = app.config["SHOPPER_ADDRESSES_MAX"]

    results = at_once(app, [lambda client, n=n: client.post(ADDRESSES, json=address(n), headers=headers)
                            for n in range(cap + 5)])

    assert Counter((status, error_code((status, body))) for status, body in results) == Counter(
        {(201, None): cap, (409, "too_many_addresses"): 5}), results
    assert db.session.scalar(select(func.count()).select_from(Address)
                             .where(Address.shopper_id == shopper_id)) == cap
    assert db.session.scalar(select(func.count()).select_from(Address)
                             .where(Address.shopper_id == shopper_id, Address.is_default.is_(True))) == 1


def test_a_compound_renamed_by_ops_is_found_and_matched_by_its_new_names(client, make):
    compound = make.compound(name="旧名苑", aliases=["旧别名"])
    edited = client.patch(f"/api/v1/console/compounds/{compound.id}", json={"name": "新名苑", "aliases": ["新别名"]},
                          headers=make.staff_headers("ops"))
    assert edited.status_code == 200, edited.get_json()
    _, headers = make.shopper()

    assert [c["id"] for c in client.get("/api/v1/compounds?q=新名", headers=headers).get_json()["compounds"]] \
        == [compound.id]
    assert client.get("/api/v1/compounds?q=旧名", headers=headers).get_json()["compounds"] == []
    answer = client.post(ADDRESSES, json={"recipient": "李四", "phone": "13900000000", "detail": "新别名 3栋"},
                         headers=headers)
    assert answer.get_json()["address"]["compound"]["id"] == compound.id
