"""Ordering clearance: each line takes its units from the deal's quantity or is not at the clearance
price; cancels give them back; the storefront shows the section and marks each item's kind."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.extensions import db
from app.models import Deal
from tests.clearance import cancel_by_ops, order, sold, tissue_on_clearance


def storefront(client, shop):
    answer = client.get(f"/api/v1/store-sessions/{shop.store_session_id}/storefront", headers=shop.headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def unit_prices(order_body) -> dict[int, int]:
    return {line["product_id"]: line["unit_price_fen"] for line in order_body["items"]}


def test_an_order_takes_its_units_at_the_clearance_price(client, make):
    shop, tissue, deal = tissue_on_clearance(make, 5)

    answer = order(client, shop.headers, shop.store_session_id, [(tissue, 2)], "take-1")

    assert answer.status_code == 201, answer.get_json()
    assert unit_prices(answer.get_json()["order"]) == {tissue.id: 400}
    assert sold(deal.id) == (2, 5)


def test_a_line_the_clearance_cannot_cover_is_priced_without_it(client, make):
    shop, tissue, clearance = tissue_on_clearance(make, 3)
    make.deal(tissue, [shop.home], 800)  # the compound price stays when the clearance is short

    short = order(client, shop.headers, shop.store_session_id, [(tissue, 4)], "short-1")
    fits = order(client, shop.headers, shop.store_session_id, [(tissue, 3)], "fits-1")
    after = order(client, shop.headers, shop.store_session_id, [(tissue, 1)], "after-1")

    assert unit_prices(short.get_json()["order"]) == {tissue.id: 800}
    assert unit_prices(fits.get_json()["order"]) == {tissue.id: 400}
    assert unit_prices(after.get_json()["order"]) == {tissue.id: 800}
    assert sold(clearance.id) == (3, 3)


def test_the_last_unit_stamps_the_sell_out_and_a_cancel_gives_the_units_back_once(client, make):
    shop, tissue, deal = tissue_on_clearance(make, 2)
    placed = order(client, shop.headers, shop.store_session_id, [(tissue, 2)], "last-1").get_json()["order"]
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).sold_out_at is not None
    assert storefront(client, shop)["clearance"] == []  # gone: no longer offered

    cancel_by_ops(client, make, placed["id"])
    cancel_by_ops(client, make, placed["id"])  # a repeat gives nothing more

    assert sold(deal.id) == (0, 2)
    assert db.session.get(Deal, deal.id).sold_out_at is None
    assert [item["clearance_left"] for item in storefront(client, shop)["clearance"]] == [2]


def test_a_shopper_cancel_of_a_clearance_order_gives_its_units_back(client, make):
    shop, tissue, deal = tissue_on_clearance(make, 4)
    placed = order(client, shop.headers, shop.store_session_id, [(tissue, 3)], "mine-1").get_json()["order"]

    answer = client.post(f"/api/v1/orders/{placed['id']}/cancel", headers=shop.headers)

    assert answer.status_code == 200 and answer.get_json()["order"]["status"] == "cancelled"
    assert sold(deal.id) == (0, 4)


def test_a_refused_order_takes_no_clearance_units(client, make):
    shop, tissue, deal = tissue_on_clearance(make, 4)
    answer = order(client, shop.headers, shop.store_session_id, [(tissue, 2)], "coupon-1")
    assert answer.status_code == 201
    body = {"store_session_id": shop.store_session_id, "items": [{"product_id": tissue.id, "quantity": 1}],
            "coupon_id": 999_999}
    refused = client.post("/api/v1/orders", json=body,
                          headers={**shop.headers, "Idempotency-Key": "bad-coupon"})

    assert refused.status_code == 422
    assert sold(deal.id) == (2, 4)


def test_the_storefront_shows_the_clearance_section_ending_soonest_first(client, make):
    shop = make.shop()
    soon, later, plain = (make.product(price_fen=1000) for _ in range(3))
    now = datetime.now(timezone.utc)
    make.deal(later, [shop.home], 500, kind="clearance", quantity=9, ends_at=now + timedelta(days=3))
    make.deal(soon, [shop.home], 700, kind="clearance", quantity=4, ends_at=now + timedelta(hours=5))
    make.deal(plain, [shop.home], 900)
    make.deal(make.product(), [make.compound()], 100, kind="clearance")  # another compound's

    front = storefront(client, shop)

    section = front["clearance"]
    assert [item["product_id"] for item in section] == [soon.id, later.id]
    assert [(item["kind"], item["clearance_left"], item["deal_price_fen"]) for item in section] == [
        ("clearance", 4, 700), ("clearance", 9, 500)]
    ends = datetime.fromisoformat(section[0]["clearance_ends_at"])
    assert abs(ends - (now + timedelta(hours=5))) < timedelta(seconds=1)
    kinds = {item["product_id"]: item["kind"] for item in front["discount_ranking"]}
    assert kinds == {soon.id: "clearance", later.id: "clearance", plain.id: "compound"}


def test_an_ended_clearance_is_off_the_storefront_and_not_charged(client, make):
    shop = make.shop()
    tissue = make.product(price_fen=1000)
    now = datetime.now(timezone.utc)
    deal = make.deal(tissue, [shop.home], 400, kind="clearance", quantity=4,
                     starts_at=now - timedelta(days=2), ends_at=now - timedelta(minutes=1))

    assert storefront(client, shop)["clearance"] == []
    placed = order(client, shop.headers, shop.store_session_id, [(tissue, 1)], "ended-1").get_json()["order"]
    assert unit_prices(placed) == {tissue.id: 1000}
    assert sold(deal.id) == (0, 4)
    items = {item["product_id"]: item["kind"] for item in storefront(client, shop)["hot_items"]}
    assert items == {tissue.id: None}  # at list price: no kind
