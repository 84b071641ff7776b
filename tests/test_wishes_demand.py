"""Wishes aggregated per compound: the portrait's wishes_by_category, the loading list's wished-for units
on the day a plan says to buy (both databases)."""
from __future__ import annotations

from datetime import timedelta

from tests.prestock import PRESTOCK
from tests.shopping_plan import day, planning, today  # noqa: F401  (fixture)


def test_the_portrait_counts_the_compounds_open_wishes_by_category(client, make, planning):
    make.product(name="苹果", category="生鲜", price_fen=1000)
    planning.wish()
    planning.wish(product_id=None, category="母婴")
    planning.wish(product_id=None, category="生鲜")
    _, elsewhere = make.shopper(home=make.compound())
    planning.wish(headers=elsewhere)  # another compound's
    answer = client.get(f"/api/v1/console/compounds/{planning.shop.home.id}/portrait", headers=planning.marketing)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["portrait"]["wishes_by_category"] == {"母婴": 2, "生鲜": 1}


def test_wishes_planned_for_a_day_are_on_that_days_loading_list(client, make, planning):
    planning.event(starts_in=1, pct={"母婴": 20})  # tomorrow
    planning.wish()
    _, neighbour = make.shopper(home=planning.shop.home)
    planning.wish(headers=neighbour)
    planning.wish(headers=neighbour, need_in=0)  # needed today: no event before it, bought today
    courier = make.courier_headers(planning.shop.courier)
    tomorrow = client.get(PRESTOCK, query_string={"date": day(1)}, headers=courier).get_json()["items"]
    assert [(i["product_id"], i["quantity"], i["by_compound"]) for i in tomorrow] == \
        [(planning.product.id, 2, {str(planning.shop.home.id): 2})]
    on_today = client.get(PRESTOCK, query_string={"date": today().isoformat()}, headers=courier).get_json()["items"]
    assert [(i["product_id"], i["quantity"]) for i in on_today] == [(planning.product.id, 1)]
    later = (today() + timedelta(days=2)).isoformat()
    assert client.get(PRESTOCK, query_string={"date": later}, headers=courier).get_json()["items"] == []
