"""The van load (装车): the courier declares what today's van carries, ops can too; never below
what is reserved."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry
from tests.assertions import assert_error
from tests.van import VAN_LOAD, load_van


def shanghai_today() -> str:
    return datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()


def test_a_courier_declares_todays_van_load_and_reads_it_back(client, make):
    courier = make.courier()
    headers = make.courier_headers(courier)
    milk, eggs = make.product(), make.product()

    empty = {"van_load": {"date": shanghai_today(), "items": []}}
    assert client.get(VAN_LOAD, headers=headers).get_json() == empty
    load = load_van(client, headers, [(eggs, 12), (milk, 30)])

    assert load["date"] == shanghai_today()
    assert [(i["product_id"], i["quantity"], i["reserved"]) for i in load["items"]] == \
        sorted([(milk.id, 30, 0), (eggs.id, 12, 0)])
    assert client.get(VAN_LOAD, headers=headers).get_json()["van_load"] == load


def test_a_new_list_replaces_the_old_one_and_the_same_list_again_changes_nothing(client, make):
    courier = make.courier()
    headers = make.courier_headers(courier)
    milk, eggs, bread = make.product(), make.product(), make.product()
    load_van(client, headers, [(milk, 30), (eggs, 12)])

    first = load_van(client, headers, [(milk, 10), (bread, 5)])
    again = load_van(client, headers, [(milk, 10), (bread, 5)])

    assert first == again
    assert {i["product_id"]: i["quantity"] for i in again["items"]} == {milk.id: 10, bread.id: 5}


def test_each_courier_has_their_own_van(client, make):
    one, other = make.courier(), make.courier()
    milk = make.product()
    load_van(client, make.courier_headers(one), [(milk, 3)])

    assert client.get(VAN_LOAD, headers=make.courier_headers(other)).get_json()["van_load"]["items"] == []


def test_an_unknown_product_or_a_bad_quantity_is_refused_naming_the_field(client, make):
    headers = make.courier_headers(make.courier())
    milk = make.product()

    for items in ([{"product_id": 999_999, "quantity": 1}], [{"product_id": milk.id, "quantity": -1}],
                  [{"product_id": milk.id, "quantity": "3"}], [{"product_id": milk.id, "quantity": 1}] * 2):
        answer = client.put(VAN_LOAD, json={"items": items}, headers=headers)
        error = assert_error(answer, 422, "invalid_request")
        assert any(name.startswith("items") for name in error["fields"]), error
    assert_error(client.put(VAN_LOAD, json={"items": "milk"}, headers=headers), 422, "invalid_request")
    assert_error(client.put(VAN_LOAD, json=[1], headers=headers), 422, "invalid_request")


def test_only_couriers_and_ops_see_a_van_load(client, make):
    courier = make.courier()
    shopper_headers = make.shopper()[1]
    path = f"/api/v1/console/couriers/{courier.id}/van-load"

    assert_error(client.get(VAN_LOAD, headers=shopper_headers), 401, "unauthorized")
    assert_error(client.get(VAN_LOAD), 401)
    assert_error(client.get(path, headers=make.staff_headers("marketing")), 403, "forbidden")
    assert_error(client.get("/api/v1/console/couriers/999999/van-load", headers=make.staff_headers("ops")),
                 404, "not_found")


def test_ops_set_a_couriers_van_load_from_the_console_and_it_is_audited(client, make):
    courier = make.courier()
    milk = make.product()
    path = f"/api/v1/console/couriers/{courier.id}/van-load"
    ops = make.staff_headers("ops")

    answer = client.put(path, json={"items": [{"product_id": milk.id, "quantity": 8}]}, headers=ops)

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["van_load"]["items"] == [
        {"product_id": milk.id, "name": milk.name, "quantity": 8, "reserved": 0}]
    assert client.get(VAN_LOAD, headers=make.courier_headers(courier)).get_json() == answer.get_json()
    assert client.get(path, headers=ops).get_json() == answer.get_json()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "van_load.set")).one()
    assert (entry.target_type, entry.target_id) == ("courier", courier.id)
    assert entry.details["items"] == [{"product_id": milk.id, "quantity": 8}]


def test_ops_allow_a_product_off_the_van_in_the_product_api(client, make):
    ops = make.staff_headers("ops")
    body = make.product_body(orderable_off_van=True)
    created = client.post("/api/v1/console/products", headers=ops, json=body)
    assert created.status_code == 201 and created.get_json()["product"]["orderable_off_van"] is True
    product_id = created.get_json()["product"]["id"]

    path = f"/api/v1/console/products/{product_id}"
    edited = client.patch(path, headers=ops, json={"orderable_off_van": False})
    assert edited.get_json()["product"]["orderable_off_van"] is False
    untouched = client.patch(f"/api/v1/console/products/{product_id}", headers=ops, json={"price_fen": 1})
    assert untouched.get_json()["product"]["orderable_off_van"] is False
    error = assert_error(client.patch(f"/api/v1/console/products/{product_id}", headers=ops,
                                      json={"orderable_off_van": "yes"}), 422, "invalid_request")
    assert "orderable_off_van" in error["fields"]


def test_a_product_or_courier_on_a_van_load_cannot_be_deleted(client, make):
    courier = make.courier()
    milk = make.product()
    load_van(client, make.courier_headers(courier), [(milk, 2)])
    admin = make.staff_headers("admin")

    for path in (f"/api/v1/console/products/{milk.id}", f"/api/v1/console/couriers/{courier.id}"):
        error = assert_error(client.delete(path, headers=admin), 409, "in_use")
        assert error["used_by"] == ["van loads"], error
