"""The storefront: what a compound sees in a courier's store (货找人)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import Order, ShakeRound, StoreSession
from app.services.places.live import local_midnight
from tests.factories import now

ITEM_FIELDS = {"product_id", "name", "image_url", "price_fen", "deal_price_fen", "discount_pct", "on_van",
               "watching", "bought_today"}


@pytest.fixture
def town(make):
    """Two compounds of one city on one courier's route, and a shopper at home in the first."""
    home, neighbour = make.compound(), make.compound()
    courier = make.courier(compounds_=[home, neighbour], avatar_url="https://img.test/courier.png")
    shopper_id, headers = make.shopper(home=home)
    return home, neighbour, courier, headers


def storefront(client, make, headers, courier, compound=None):
    session_id = make.store_session(headers, courier, compound)
    answer = client.get(f"/api/v1/store-sessions/{session_id}/storefront", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def ids(items):
    return [item["product_id"] for item in items]


def test_storefront_has_every_section(client, make, town):
    home, _, courier, headers = town
    front = storefront(client, make, headers, courier)
    assert set(front) == {"courier", "compound", "coupons", "hot_items", "staff_exclusives",
                          "discount_ranking", "recommended", "live", "shake", "group_deals"}


def test_storefront_header_names_the_courier_and_compound(client, make, town):
    home, _, courier, headers = town
    front = storefront(client, make, headers, courier)
    assert front["courier"] == {"id": courier.id, "name": courier.name,
                                "avatar_url": "https://img.test/courier.png"}
    assert front["compound"] == {"id": home.id, "name": home.name}


def test_storefront_shake_is_null_without_an_open_round(client, make, town):
    home, _, courier, headers = town
    make.campaign([home])  # live, but no van has arrived: no round
    assert storefront(client, make, headers, courier)["shake"] is None


def test_storefront_shake_names_the_round_open_in_the_compound(client, make, town):
    home, neighbour, courier, headers = town
    make.campaign([home, neighbour], window_seconds=90)
    arrival = make.arrival(courier, home)
    assert arrival.status_code == 201, arrival.get_json()
    [opened] = arrival.get_json()["rounds"]
    shake = storefront(client, make, headers, courier)["shake"]
    assert shake == {"round_id": opened["id"], "closes_at": shake["closes_at"]}
    assert datetime.fromisoformat(shake["closes_at"]) == datetime.fromisoformat(opened["closes_at"])
    assert storefront(client, make, headers, courier, neighbour)["shake"] is None


def test_storefront_shake_is_null_once_the_round_has_closed(client, make, town):
    home, _, courier, headers = town
    make.campaign([home])
    make.arrival(courier, home)
    db.session.execute(update(ShakeRound).values(closes_at=now() - timedelta(seconds=1)))
    db.session.commit()
    assert storefront(client, make, headers, courier)["shake"] is None


# --- coupons -----------------------------------------------------------------------------


def test_coupons_are_those_of_the_compound_only(client, make, town):
    home, neighbour, courier, headers = town
    mine = make.coupon_template([home], title="本小区券")
    shared = make.coupon_template([home, neighbour], title="两小区券", discount_fen=800)
    make.coupon_template([neighbour], title="隔壁券")
    coupons = storefront(client, make, headers, courier)["coupons"]
    assert sorted(c["id"] for c in coupons) == sorted([mine.id, shared.id])


def test_coupon_entries_show_remaining_and_claimed(client, make, town):
    home, _, courier, headers = town
    claimed = make.coupon_template([home], title="满50减10", discount_fen=1000, threshold_fen=5000, total=10)
    untouched = make.coupon_template([home], title="满30减5", total=7)
    make.claimed_coupon(headers, claimed)
    coupons = {c["id"]: c for c in storefront(client, make, headers, courier)["coupons"]}
    entry = coupons[claimed.id]
    assert {"id", "title", "discount_fen", "threshold_fen", "remaining", "claimed"} <= set(entry)
    assert (entry["title"], entry["discount_fen"], entry["threshold_fen"]) == ("满50减10", 1000, 5000)
    assert (entry["remaining"], entry["claimed"]) == (9, True)
    assert (coupons[untouched.id]["remaining"], coupons[untouched.id]["claimed"]) == (7, False)


def test_claimed_is_per_shopper(client, make, town):
    home, _, courier, headers = town
    template = make.coupon_template([home], total=5)
    _, other = make.shopper(home=home)
    make.claimed_coupon(other, template)
    [entry] = storefront(client, make, headers, courier)["coupons"]
    assert (entry["remaining"], entry["claimed"]) == (4, False)


def test_expired_and_future_coupon_templates_are_not_shown(client, make, town):
    home, _, courier, headers = town
    current = make.coupon_template([home])
    make.coupon_template([home], valid_from=now() - timedelta(days=2), valid_until=now() - timedelta(days=1))
    make.coupon_template([home], valid_from=now() + timedelta(days=1), valid_until=now() + timedelta(days=2))
    assert [c["id"] for c in storefront(client, make, headers, courier)["coupons"]] == [current.id]


# --- hot items ---------------------------------------------------------------------------


def test_hot_items_are_best_sellers_of_this_compound(client, make, town):
    home, neighbour, courier, headers = town
    top, second, elsewhere = make.product(), make.product(), make.product()
    _, buyer = make.shopper(home=home)
    _, neighbour_buyer = make.shopper(home=neighbour)
    buyer_session = make.store_session(buyer, courier)
    make.placed_order(buyer, buyer_session, [(top, 3), (second, 1)])
    make.placed_order(buyer, buyer_session, [(second, 1)])
    make.placed_order(neighbour_buyer, make.store_session(neighbour_buyer, courier), [(elsewhere, 20)])
    hot = storefront(client, make, headers, courier)["hot_items"]
    assert ids(hot) == [top.id, second.id]


def test_hot_items_carry_the_compound_deal_price(client, make, town):
    home, _, courier, headers = town
    on_deal, full_price = make.product(price_fen=1000), make.product(price_fen=2000)
    make.deal(on_deal, [home], 750)
    _, buyer = make.shopper(home=home)
    make.placed_order(buyer, make.store_session(buyer, courier), [(on_deal, 2), (full_price, 1)])
    hot = storefront(client, make, headers, courier)["hot_items"]
    assert hot[0] == {"product_id": on_deal.id, "name": on_deal.name, "image_url": None,
                      "price_fen": 1000, "deal_price_fen": 750, "discount_pct": 25,
                      "on_van": None, "watching": 0, "bought_today": 1}  # nobody views it; the buyer's order
    assert (hot[1]["product_id"], hot[1]["deal_price_fen"], hot[1]["discount_pct"]) == (full_price.id, None, 0)


def test_compound_without_orders_falls_back_to_its_citys_best_sellers(client, make, town):
    home, neighbour, courier, headers = town
    city_hit, other_city_hit = make.product(), make.product()
    far_away = make.compound(city="北京")
    far_courier = make.courier(compounds_=[far_away])
    _, neighbour_buyer = make.shopper(home=neighbour)
    _, far_buyer = make.shopper(home=far_away)
    make.placed_order(neighbour_buyer, make.store_session(neighbour_buyer, courier), [(city_hit, 1)])
    make.placed_order(far_buyer, make.store_session(far_buyer, far_courier), [(other_city_hit, 9)])
    assert ids(storefront(client, make, headers, courier)["hot_items"]) == [city_hit.id]


def test_without_any_orders_hot_items_fall_back_to_the_compound_deals(client, make, town):
    home, neighbour, courier, headers = town
    deal_product, staff_product, neighbour_product = make.product(), make.product(), make.product()
    make.deal(deal_product, [home], 500)
    make.deal(staff_product, [home], 400, kind="staff")
    make.deal(neighbour_product, [neighbour], 300)
    assert ids(storefront(client, make, headers, courier)["hot_items"]) == [deal_product.id]


def test_hot_items_are_empty_with_no_orders_and_no_deals(client, make, town):
    _, _, courier, headers = town
    assert storefront(client, make, headers, courier)["hot_items"] == []


# --- staff exclusives and discount ranking -----------------------------------------------


def test_staff_exclusives_list_only_staff_deals(client, make, town):
    home, neighbour, courier, headers = town
    staff_item, public_item, clearance_item, other_staff = (make.product(price_fen=1000) for _ in range(4))
    make.deal(staff_item, [home], 600, kind="staff")
    make.deal(public_item, [home], 800)
    make.deal(clearance_item, [home], 300, kind="clearance")
    make.deal(other_staff, [neighbour], 500, kind="staff")
    front = storefront(client, make, headers, courier)
    assert front["staff_exclusives"] == [{"product_id": staff_item.id, "name": staff_item.name, "image_url": None,
                                          "price_fen": 1000, "deal_price_fen": 600, "discount_pct": 40,
                                          "on_van": None, "watching": 0, "bought_today": 0}]
    assert staff_item.id not in ids(front["discount_ranking"])


def test_discount_ranking_is_ordered_by_discount_pct(client, make, town):
    home, neighbour, courier, headers = town
    ten, fifty, thirty, clearance = (make.product(price_fen=1000) for _ in range(4))
    make.deal(ten, [home], 900)
    make.deal(fifty, [home], 500)
    make.deal(thirty, [home], 700)
    make.deal(clearance, [home], 200, kind="clearance")
    make.deal(make.product(price_fen=1000), [neighbour], 100)
    ranking = storefront(client, make, headers, courier)["discount_ranking"]
    assert ids(ranking) == [clearance.id, fifty.id, thirty.id, ten.id]
    assert [item["discount_pct"] for item in ranking] == [80, 50, 30, 10]
    assert all(set(item) == ITEM_FIELDS for item in ranking)


def test_the_best_of_several_deals_is_the_price_shown(client, make, town):
    home, _, courier, headers = town
    product = make.product(price_fen=2000)
    make.deal(product, [home], 1800)
    make.deal(product, [home], 1500, kind="clearance")
    [item] = storefront(client, make, headers, courier)["discount_ranking"]
    assert (item["deal_price_fen"], item["discount_pct"]) == (1500, 25)


def test_expired_and_future_deals_are_excluded(client, make, town):
    home, _, courier, headers = town
    running, expired, future, open_ended = (make.product(price_fen=1000) for _ in range(4))
    make.deal(running, [home], 800, starts_at=now() - timedelta(days=1), ends_at=now() + timedelta(days=1))
    make.deal(expired, [home], 500, starts_at=now() - timedelta(days=2), ends_at=now() - timedelta(days=1))
    make.deal(future, [home], 500, starts_at=now() + timedelta(days=1))
    make.deal(open_ended, [home], 900)
    make.deal(expired, [home], 100, kind="staff", ends_at=now() - timedelta(minutes=1))
    make.deal(future, [home], 100, kind="staff", starts_at=now() + timedelta(minutes=5))
    front = storefront(client, make, headers, courier)
    assert ids(front["discount_ranking"]) == [running.id, open_ended.id]
    assert sorted(ids(front["hot_items"])) == sorted([running.id, open_ended.id])
    assert front["staff_exclusives"] == []


# --- live --------------------------------------------------------------------------------


def test_live_counts_watching_and_buying_shoppers_of_the_compound(client, make, town):
    home, neighbour, courier, headers = town
    product = make.product()
    _, watcher = make.shopper(home=home)
    _, buyer = make.shopper(home=home)
    _, neighbour_buyer = make.shopper(home=neighbour)
    make.store_session(watcher, courier)
    make.store_session(watcher, courier)  # the same shopper twice counts once
    buyer_session = make.store_session(buyer, courier)
    make.placed_order(buyer, buyer_session, [(product, 1)])
    make.placed_order(buyer, buyer_session, [(product, 2)])
    make.placed_order(neighbour_buyer, make.store_session(neighbour_buyer, courier), [(product, 1)])
    live = storefront(client, make, headers, courier)["live"]
    assert live == {"watching": 3, "buying": 1}


def test_old_visits_and_orders_before_shanghai_midnight_are_not_live(client, make, town):
    home, _, courier, headers = town
    _, earlier = make.shopper(home=home)
    order = make.placed_order(earlier, make.store_session(earlier, courier), [(make.product(), 1)])
    before_midnight = local_midnight(now()) - timedelta(minutes=1)
    db.session.execute(update(StoreSession).values(created_at=now() - timedelta(minutes=16)))
    db.session.execute(update(Order).where(Order.id == order["id"]).values(created_at=before_midnight))
    db.session.commit()
    assert storefront(client, make, headers, courier)["live"] == {"watching": 1, "buying": 0}


def test_orders_older_than_thirty_days_are_not_hot(client, make, town):
    home, _, courier, headers = town
    stale, fresh = make.product(), make.product()
    _, buyer = make.shopper(home=home)
    session_id = make.store_session(buyer, courier)
    old = make.placed_order(buyer, session_id, [(stale, 9)])
    make.placed_order(buyer, session_id, [(fresh, 1)])
    db.session.execute(update(Order).where(Order.id == old["id"]).values(created_at=now() - timedelta(days=31)))
    db.session.commit()
    assert ids(storefront(client, make, headers, courier)["hot_items"]) == [fresh.id]


def test_items_carry_todays_buyers_here(client, make, town):
    home, neighbour, courier, headers = town
    milk = make.product()
    make.deal(milk, [home, neighbour], 500)
    for _ in range(2):
        _, buyer = make.shopper(home=home)
        make.placed_order(buyer, make.store_session(buyer, courier), [(milk, 3)])
    _, cancelled = make.shopper(home=home)
    order = make.placed_order(cancelled, make.store_session(cancelled, courier), [(milk, 1)])
    assert client.post(f"/api/v1/orders/{order['id']}/cancel", headers=cancelled).status_code == 200
    _, elsewhere = make.shopper(home=neighbour)
    make.placed_order(elsewhere, make.store_session(elsewhere, courier, neighbour), [(milk, 1)])

    item = next(i for i in storefront(client, make, headers, courier)["hot_items"] if i["product_id"] == milk.id)
    assert item["bought_today"] == 2  # shoppers, not units; a cancelled order and another compound's aside
    assert item["watching"] == 0  # entering a store is not viewing this product (test_popularity.py)
