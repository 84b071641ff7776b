"""The web console: ops set a courier's van load today, and allow a product off the van."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Product
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)
from tests.van import VAN_LOAD, load_van, quantity_and_reserved


def test_ops_load_a_couriers_van_from_the_console(console, client, make):
    courier = make.courier()
    milk, eggs = make.product(name="牛奶"), make.product(name="鸡蛋")
    ops = console("ops")
    path = f"/console/couriers/{courier.id}/van-load"
    assert f'href="{path}"' in text(ops.get(f"/console/couriers/{courier.id}"))

    added = ops.post(path, {"add_product_id": str(milk.id), "add_quantity": "12"})
    assert added.status_code == 302, text(added)
    changed = ops.post(path, {f"q-{milk.id}": "7", "add_product_id": str(eggs.id), "add_quantity": "3"})
    assert changed.status_code == 302, text(changed)

    page = text(ops.get(path))
    assert "牛奶" in page and 'value="7"' in page and "鸡蛋" in page
    load = client.get(VAN_LOAD, headers=make.courier_headers(courier)).get_json()["van_load"]
    assert {i["product_id"]: i["quantity"] for i in load["items"]} == {milk.id: 7, eggs.id: 3}
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "van_load.set")) == 2


def test_the_console_refuses_a_van_load_below_what_is_reserved_and_says_why(console, client, make):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    milk = make.product(name="牛奶")
    load_van(client, make.courier_headers(courier), [(milk, 5)])
    headers = make.shopper(home=home)[1]
    make.placed_order(headers, make.store_session(headers, courier), [(milk, 4)])
    ops = console("ops")
    path = f"/console/couriers/{courier.id}/van-load"

    refused = ops.post(path, {f"q-{milk.id}": "2"})
    nonsense = ops.post(path, {f"q-{milk.id}": "lots"})

    assert refused.status_code == 409 and "already reserved" in text(refused)
    assert nonsense.status_code == 422
    assert quantity_and_reserved(milk) == (5, 4)
    assert console("marketing").get(path).status_code == 403


def test_the_product_form_allows_a_product_off_the_van(console):
    ops = console("ops")
    assert ops.post("/console/products", {"name": "下趟茶叶", "category": "茶", "price_fen": "30",
                                          "orderable_off_van": "1"}).status_code == 302
    plain = {"name": "车上牛奶", "category": "奶", "price_fen": "5"}
    assert ops.post("/console/products", plain).status_code == 302

    flags = dict(db.session.execute(select(Product.name, Product.orderable_off_van)).all())
    assert flags == {"下趟茶叶": True, "车上牛奶": False}
    assert "下一趟 next run" in text(ops.get("/console/products"))
