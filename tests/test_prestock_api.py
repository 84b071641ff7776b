"""Pre-stocking the van through the API: the courier's loading list from past sales, next-run
orders and round prizes; ops reviewing it and setting the margin (audited); confirming it as the van load."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, CompoundPortrait, VanLoadItem, utcnow
from tests.assertions import assert_error
from tests.groups import hood  # noqa: F401  (fixture: a compound, its courier, a product, marketing)
from tests.prestock import CONFIRM, PRESTOCK, sold, sold_every_day, today
from tests.van import VAN_LOAD, load_van


def margin(client, headers, percent, minimum=0):
    answer = client.put("/api/v1/console/prestock/margin", json={"percent": percent, "minimum": minimum},
                        headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["margin"]


def test_the_loading_list_follows_what_sold_on_the_route(client, make):
    home, other = make.compound(), make.compound()
    courier = make.courier(compounds_=[home, other])
    milk, tea = make.product(name="牛奶"), make.product()
    shopper_id, _ = make.shopper()
    margin(client, make.staff_headers("ops"), 0)
    sold_every_day(shopper_id, courier, home, [(milk, 2)], 28, today())
    sold_every_day(shopper_id, courier, other, [(milk, 1)], 28, today())
    sold(shopper_id, courier, home, [(tea, 9)], today() - timedelta(days=1), status="cancelled")

    body = client.get(PRESTOCK, query_string={"date": today().isoformat()},
                      headers=make.courier_headers(courier)).get_json()

    assert body["date"] == today().isoformat() and body["reviewed"] is False
    assert [(i["product_id"], i["name"], i["quantity"], i["by_compound"]) for i in body["items"]] == \
        [(milk.id, "牛奶", 3, {str(home.id): 2, str(other.id): 1})]


def test_a_compound_without_history_is_stocked_from_its_portrait(client, make):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    milk = make.product()
    margin(client, make.staff_headers("ops"), 0)
    db.session.add(CompoundPortrait(compound_id=home.id, as_of=utcnow(), body={
        "days": 90, "orders": 150, "top_products": [{"product_id": milk.id, "name": milk.name, "units": 180}]}))
    db.session.commit()

    items = client.get(PRESTOCK, headers=make.courier_headers(courier)).get_json()["items"]

    assert [(i["product_id"], i["quantity"], i["by_compound"]) for i in items] == \
        [(milk.id, 2, {str(home.id): 2})]  # 180 units over 90 days: 2 a day


def test_orders_for_the_next_run_and_the_days_item_prizes_are_on_the_list(client, make):
    shop = make.shop()
    tea = make.product(orderable_off_van=True)
    cup = make.product()
    load_van(client, make.courier_headers(shop.courier), [(cup, 1)])  # tea is not on today's van
    make.placed_order(shop.headers, shop.store_session_id, [(tea, 2)])
    make.campaign([shop.home], prizes=[{"kind": "item", "product_id": cup.id, "per_round": 3,
                                        "win_probability": 0.5}], rounds_per_compound_per_day=2)

    items = client.get(PRESTOCK, headers=make.courier_headers(shop.courier)).get_json()["items"]

    assert {i["product_id"]: i["quantity"] for i in items} == {tea.id: 2, cup.id: 6}


def test_confirmed_group_orders_are_on_the_list_and_held_ones_are_not(client, make, hood):
    margin(client, make.staff_headers("ops"), 0)
    confirmed = hood.open_deal(min_households=2)
    for quantity in (2, 1):
        assert hood.join(confirmed["id"], hood.neighbour()[1], quantity=quantity).status_code == 201
    other = make.product(price_fen=3000)
    waiting = hood.open_deal(product_id=other.id, min_households=3)
    assert hood.join(waiting["id"], hood.neighbour()[1]).status_code == 201  # held: the group may fail

    items = client.get(PRESTOCK, headers=make.courier_headers(hood.courier)).get_json()["items"]

    assert [(i["product_id"], i["quantity"], i["by_compound"]) for i in items] == \
        [(hood.product.id, 3, {str(hood.home.id): 3})]


def test_ops_adjust_the_list_and_the_courier_sees_the_adjusted_one_audited(client, make):
    courier = make.courier()
    milk, bread = make.product(), make.product()
    shopper_id, _ = make.shopper()
    sold_every_day(shopper_id, courier, courier.compounds[0], [(milk, 4)], 28, today())
    ops = make.staff_headers("ops")
    tomorrow = (today() + timedelta(days=1)).isoformat()
    path = f"/api/v1/console/couriers/{courier.id}/prestock"

    saved = client.put(path, json={"date": tomorrow, "items": [{"product_id": milk.id, "quantity": 7},
                                                              {"product_id": bread.id, "quantity": 2}]},
                       headers=ops)
    assert saved.status_code == 200, saved.get_json()

    seen = client.get(PRESTOCK, query_string={"date": tomorrow}, headers=make.courier_headers(courier)).get_json()
    assert seen["reviewed"] is True
    assert {i["product_id"]: (i["quantity"], i["by_compound"]) for i in seen["items"]} == \
        {milk.id: (7, {str(courier.compounds[0].id): 7}), bread.id: (2, {})}
    assert client.get(path, query_string={"date": tomorrow}, headers=ops).get_json() == seen
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "prestock.review")).one()
    assert entry.target_id == courier.id and entry.details["date"] == tomorrow


def test_confirming_sets_that_days_van_load_and_confirming_again_gives_the_same_load(client, make):
    courier = make.courier()
    milk = make.product()
    shopper_id, _ = make.shopper()
    margin(client, make.staff_headers("ops"), 0)
    sold_every_day(shopper_id, courier, courier.compounds[0], [(milk, 5)], 28, today())
    headers = make.courier_headers(courier)

    first = client.post(CONFIRM, json={"date": today().isoformat()}, headers=headers)
    shopper_id_2, _ = make.shopper()
    sold(shopper_id_2, courier, courier.compounds[0], [(milk, 30)], today() - timedelta(days=1))  # would move it
    again = client.post(CONFIRM, json={"date": today().isoformat()}, headers=headers)

    assert first.status_code == again.status_code == 200, first.get_json()
    assert first.get_json() == again.get_json()
    assert [(i["product_id"], i["quantity"]) for i in first.get_json()["van_load"]["items"]] == [(milk.id, 5)]
    assert client.get(VAN_LOAD, headers=headers).get_json() == first.get_json()


def test_the_courier_confirms_an_edited_list_for_tomorrow(client, make):
    courier = make.courier()
    milk = make.product()
    tomorrow = today() + timedelta(days=1)

    answer = client.post(CONFIRM, json={"date": tomorrow.isoformat(),
                                        "items": [{"product_id": milk.id, "quantity": 4}]},
                         headers=make.courier_headers(courier))

    assert answer.get_json()["van_load"] == {"date": tomorrow.isoformat(), "items": [
        {"product_id": milk.id, "name": milk.name, "quantity": 4, "reserved": 0}]}
    assert db.session.scalars(select(VanLoadItem.day)).all() == [tomorrow]


def test_confirming_never_goes_below_what_is_reserved_and_never_loads_a_past_day(client, make):
    shop = make.shop()
    milk = make.product()
    headers = make.courier_headers(shop.courier)
    load_van(client, headers, [(milk, 3)])
    make.placed_order(shop.headers, shop.store_session_id, [(milk, 2)])

    short = client.post(CONFIRM, json={"date": today().isoformat(), "items": [{"product_id": milk.id, "quantity": 1}]},
                        headers=headers)
    assert_error(short, 409, "below_reserved")
    past = client.post(CONFIRM, json={"date": (today() - timedelta(days=1)).isoformat()}, headers=headers)
    assert "date" in assert_error(past, 422, "invalid_request")["fields"]
    assert client.get(VAN_LOAD, headers=headers).get_json()["van_load"]["items"][0]["quantity"] == 3


def test_bad_dates_and_lists_are_refused_naming_the_field(client, make):
    headers = make.courier_headers(make.courier())
    for query in ({"date": "2026-13-01"}, {"date": "0001-01-01"}, {"date": "tomorrow"}):
        assert "date" in assert_error(client.get(PRESTOCK, query_string=query, headers=headers),
                                      422, "invalid_request")["fields"]
    for body in ({}, {"date": today().isoformat(), "items": [{"product_id": 999_999, "quantity": 1}]},
                 {"date": today().isoformat(), "items": "milk"}):
        assert_error(client.post(CONFIRM, json=body, headers=headers), 422, "invalid_request")


def test_the_margin_is_stored_audited_and_only_ops_set_it(client, make):
    ops = make.staff_headers("ops")
    assert client.get("/api/v1/console/prestock/margin", headers=ops).get_json() == \
        {"margin": {"percent": 10, "minimum": 0}}

    assert margin(client, ops, 25, 2) == {"percent": 25, "minimum": 2}

    assert client.get("/api/v1/console/prestock/margin", headers=ops).get_json()["margin"]["percent"] == 25
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "prestock.margin")).one()
    assert entry.details["after"] == {"percent": 25, "minimum": 2}
    assert_error(client.put("/api/v1/console/prestock/margin", json={"percent": 5, "minimum": 0},
                            headers=make.staff_headers("marketing")), 403, "forbidden")
    assert_error(client.put("/api/v1/console/prestock/margin", json={"percent": -1, "minimum": 0}, headers=ops),
                 422, "invalid_request")


def test_only_the_courier_and_ops_see_a_loading_list(client, make):
    courier = make.courier()
    path = f"/api/v1/console/couriers/{courier.id}/prestock"
    assert_error(client.get(PRESTOCK, headers=make.shopper()[1]), 401, "unauthorized")
    assert_error(client.get(path, headers=make.staff_headers("marketing")), 403, "forbidden")
    assert_error(client.get("/api/v1/console/couriers/999999/prestock", headers=make.staff_headers("ops")),
                 404, "not_found")
