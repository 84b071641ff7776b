"""Recommended for you: the pure ranking, and the storefront section built on it."""
from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import utcnow
from app.services.portrait import portraits
from app.services.portrait.recommend import History, rank
from tests.portraits import order_at
from tests.van import load_van

CATEGORIES = {1: "乳品", 2: "乳品", 3: "母婴", 4: "酒水", 5: "酒水"}


def test_a_newcomer_gets_the_compound_ranking():
    compound = {1: 30, 2: 10, 3: 20, 4: 1}
    assert rank(CATEGORIES, compound, {5: 100}, History(), size=3) == [1, 3, 2]


def test_a_compound_without_orders_falls_back_to_the_city():
    assert rank(CATEGORIES, {}, {4: 50, 5: 10, 1: 5}, History(), size=2) == [4, 5]


def test_own_history_outweighs_the_compound_as_it_grows():
    compound = {1: 30, 2: 10, 3: 20, 4: 1}
    few = History(orders=1, product_units={5: 1})
    many = History(orders=12, product_units={5: 12})
    assert rank(CATEGORIES, compound, {}, few, size=1) == [1]
    assert rank(CATEGORIES, compound, {}, many, size=1) == [5]


def test_recent_buys_and_items_the_van_ran_out_of_are_not_pushed():
    compound = {1: 30, 2: 10, 3: 20, 4: 1}
    own = History(orders=1, product_units={1: 1}, recent=frozenset({1}))
    assert 1 not in rank(CATEGORIES, compound, {}, own)
    assert rank(CATEGORIES, compound, {}, History(), left_on_van={1: 0, 2: 3, 3: 0}) == [2]
    assert 1 in rank(CATEGORIES, compound, {}, History(), left_on_van=None)


def test_the_storefront_recommends_what_the_compound_buys_less_what_the_shopper_just_bought(client, make):
    shop = make.shop()
    courier = shop.courier
    milk, diapers, wine = (make.product(category=c) for c in ("乳品", "母婴", "酒水"))
    neighbour = make.shopper()[0]
    now = utcnow()
    order_at(neighbour, shop.home, courier, now - timedelta(days=20), [(diapers, 5), (milk, 2)])
    order_at(shop.shopper_id, shop.home, courier, now - timedelta(days=2), [(milk, 1)])
    portraits.refresh_portrait(db.session, shop.home.id, now)
    db.session.commit()

    def recommended():
        answer = client.get(f"/api/v1/store-sessions/{shop.store_session_id}/storefront", headers=shop.headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["recommended"]

    items = recommended()
    assert [item["product_id"] for item in items] == [diapers.id]  # milk bought two days ago
    assert items[0]["price_fen"] == diapers.price_fen and items[0]["on_van"] is None
    load_van(client, make.courier_headers(courier), [(wine, 2)])
    assert recommended() == []  # the van carries no diapers today


def test_a_compound_without_sales_recommends_the_citys_best_sellers(client, make):
    shop = make.shop()  # a new compound: no portrait, no orders
    elsewhere = make.compound(city=shop.home.city)
    tea, rice = make.product(category="饮料"), make.product(category="粮油")
    order_at(make.shopper()[0], elsewhere, shop.courier, utcnow() - timedelta(days=3), [(tea, 4), (rice, 1)])

    answer = client.get(f"/api/v1/store-sessions/{shop.store_session_id}/storefront", headers=shop.headers)

    assert [item["product_id"] for item in answer.get_json()["recommended"]] == [tea.id, rice.id]
