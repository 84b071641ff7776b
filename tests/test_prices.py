"""One price per product per shopper: every storefront section shows what the order charges;
coupons stay in the compounds their template was offered to."""
from __future__ import annotations

from app.extensions import db
from app.models import Coupon, Order
from tests.assertions import assert_error


def storefront(client, headers, session_id):
    answer = client.get(f"/api/v1/store-sessions/{session_id}/storefront", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def shown_prices(front) -> dict[int, set[int]]:
    """Every price each product is shown at, across the storefront's sections."""
    prices: dict[int, set[int]] = {}
    for section in ("hot_items", "staff_exclusives", "discount_ranking"):
        for item in front[section]:
            shown = item["price_fen"] if item["deal_price_fen"] is None else item["deal_price_fen"]
            prices.setdefault(item["product_id"], set()).add(shown)
    return prices


def charged(order) -> dict[int, int]:
    return {item["product_id"]: item["unit_price_fen"] for item in order["items"]}


def shop_with_deals_of_every_kind(make):
    """A compound with a staff deal, a compound deal and a clearance, each product already sold there."""
    home = make.compound()
    courier = make.courier(compounds_=[home])
    staff_only, both, clearance = (make.product(price_fen=1000) for _ in range(3))
    make.deal(staff_only, [home], 600, kind="staff")
    make.deal(both, [home], 800)
    make.deal(both, [home], 700, kind="staff")
    make.deal(clearance, [home], 500, kind="clearance")
    _, buyer = make.shopper(home=home)
    make.placed_order(buyer, make.store_session(buyer, courier), [(staff_only, 3), (both, 2), (clearance, 1)])
    return home, courier, (staff_only, both, clearance)


def test_a_staff_deal_shows_in_hot_items_at_the_price_the_order_charges(client, make):
    home, courier, (staff_only, _, _) = shop_with_deals_of_every_kind(make)
    _, headers = make.shopper(home=home)
    session_id = make.store_session(headers, courier)

    hot = {item["product_id"]: item for item in storefront(client, headers, session_id)["hot_items"]}
    order = make.placed_order(headers, session_id, [(staff_only, 1)])

    assert hot[staff_only.id]["deal_price_fen"] == 600 and hot[staff_only.id]["discount_pct"] == 40
    assert charged(order) == {staff_only.id: 600}


def test_every_section_shows_each_product_at_one_price_and_the_order_charges_it(client, make):
    home, courier, products = shop_with_deals_of_every_kind(make)
    _, headers = make.shopper(home=home)
    session_id = make.store_session(headers, courier)

    prices = shown_prices(storefront(client, headers, session_id))
    order = make.placed_order(headers, session_id, [(p, 1) for p in products])

    assert all(len(shown) == 1 for shown in prices.values()), prices
    assert {pid: shown.pop() for pid, shown in prices.items()} == charged(order)
    assert charged(order) == {products[0].id: 600, products[1].id: 700, products[2].id: 500}


def test_the_cheaper_staff_price_of_a_product_makes_it_a_staff_exclusive_not_a_ranked_deal(client, make):
    home, courier, (_, both, _) = shop_with_deals_of_every_kind(make)
    _, headers = make.shopper(home=home)

    front = storefront(client, headers, make.store_session(headers, courier))

    assert [(i["product_id"], i["deal_price_fen"]) for i in front["staff_exclusives"]
            if i["product_id"] == both.id] == [(both.id, 700)]
    assert both.id not in [i["product_id"] for i in front["discount_ranking"]]


def test_staff_prices_are_not_for_a_shopper_who_has_moved_on_to_another_compound(client, make):
    home, courier, (staff_only, both, _) = shop_with_deals_of_every_kind(make)
    elsewhere = make.compound()
    _, headers = make.shopper()
    old_session = make.store_session(headers, courier, home)
    make.store_session(headers, make.courier(compounds_=[elsewhere]), elsewhere)  # now in another compound

    front = storefront(client, headers, old_session)
    order = make.placed_order(headers, old_session, [(staff_only, 1), (both, 1)])

    assert front["staff_exclusives"] == []
    assert charged(order) == {staff_only.id: 1000, both.id: 800}
    assert {pid: shown for pid, shown in shown_prices(front).items() if pid in charged(order)} \
        == {pid: {price} for pid, price in charged(order).items()}


def test_a_coupon_of_another_compound_is_refused_and_stays_unused(client, make):
    home, other = make.compound(), make.compound()
    courier = make.courier(compounds_=[home, other])
    _, headers = make.shopper(home=home)
    coupon = make.claimed_coupon(headers, make.coupon_template([home], discount_fen=500, threshold_fen=1000))
    session_elsewhere = make.store_session(headers, courier, other)
    body = {"store_session_id": session_elsewhere, "coupon_id": coupon["id"],
            "items": [{"product_id": make.product(price_fen=5000).id, "quantity": 1}]}

    answer = client.post("/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": "coupon-away"})

    assert_error(answer, 409, "coupon_not_valid_here")
    db.session.expire_all()
    assert db.session.get(Coupon, coupon["id"]).status == "unused"
    assert db.session.query(Order).count() == 0
