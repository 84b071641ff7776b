"""The web console's loading list page: ops review a courier's suggested list for a day, save it
(the courier then sees it), load the van with it, and set the margin; audited."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)
from tests.prestock import PRESTOCK, sold_every_day, today
from tests.van import VAN_LOAD


def test_ops_review_the_suggested_list_and_the_courier_sees_it(console, client, make):
    courier = make.courier()
    milk, eggs = make.product(name="牛奶"), make.product(name="鸡蛋")
    shopper_id, _ = make.shopper()
    sold_every_day(shopper_id, courier, courier.compounds[0], [(milk, 3)], 28, today())
    ops = console("ops")
    tomorrow = (today() + timedelta(days=1)).isoformat()
    path = f"/console/couriers/{courier.id}/prestock"
    assert f'href="{path}"' in text(ops.get(f"/console/couriers/{courier.id}"))

    page = text(ops.get(path, query_string={"date": tomorrow}))
    assert "牛奶" in page and courier.compounds[0].name in page and f'name="q-{milk.id}"' in page
    saved = ops.post(path, {"date": tomorrow, f"q-{milk.id}": "5", "add_product_id": str(eggs.id),
                            "add_quantity": "2"})
    assert saved.status_code == 302, text(saved)

    seen = client.get(PRESTOCK, query_string={"date": tomorrow}, headers=make.courier_headers(courier)).get_json()
    assert {i["product_id"]: i["quantity"] for i in seen["items"]} == {milk.id: 5, eggs.id: 2}
    assert "Reviewed" in text(ops.get(path, query_string={"date": tomorrow}))
    assert db.session.scalars(select(AuditEntry.action)).all() == ["prestock.review"]
    assert console("marketing").get(path).status_code == 403


def test_ops_load_the_van_from_the_list_and_set_the_margin(console, client, make):
    courier = make.courier()
    milk = make.product(name="牛奶")
    ops = console("ops")
    path = f"/console/couriers/{courier.id}/prestock"

    loaded = ops.post(path, {"date": today().isoformat(), f"q-{milk.id}": "4", "add_product_id": str(milk.id),
                             "add_quantity": "4", "confirm": "1"})
    margin = ops.post("/console/prestock/margin", {"percent": "20", "minimum": "1", "courier_id": str(courier.id),
                                                   "date": today().isoformat()})
    nonsense = ops.post(path, {"date": today().isoformat(), f"q-{milk.id}": "lots"})

    assert loaded.status_code == 302 and margin.status_code == 302 and nonsense.status_code == 422
    load = client.get(VAN_LOAD, headers=make.courier_headers(courier)).get_json()["van_load"]
    assert [(i["product_id"], i["quantity"]) for i in load["items"]] == [(milk.id, 4)]
    assert 'value="20"' in text(ops.get(path))
    assert sorted(db.session.scalars(select(AuditEntry.action)).all()) == ["prestock.confirm", "prestock.margin"]
