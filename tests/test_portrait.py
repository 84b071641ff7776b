"""The compound portrait: its figures on a small hand-made set, refreshes that read only the
new day's orders, the nightly claim, the console API and picking compounds by it."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, update

from app.actions.portraits import refresh_stale_portraits
from app.extensions import db
from app.models import CompoundDay, CompoundPortrait, OrderItem
from app.services.portrait import portraits, targeting
from tests.portraits import local, order_at

TODAY = date(2026, 12, 2)  # a Wednesday
NOW = local(TODAY, 15)
API_FIELDS = {"compound_id", "as_of", "orders", "households", "category_shares", "price_bands",
              "spend_per_household_fen", "repeat_rate", "top_products", "city_category_shares"}


@pytest.fixture
def shelf(make):
    """A compound with its courier, and three products in three categories and price bands."""
    home = make.compound()
    courier = make.courier(compounds_=[home])
    milk = make.product(name="牛奶", category="乳品", price_fen=500)
    diapers = make.product(name="纸尿裤", category="母婴", price_fen=8000)
    rice = make.product(name="大米", category="粮油", price_fen=20000)
    return home, courier, milk, diapers, rice


def test_the_portrait_adds_up_a_small_hand_made_set(make, shelf):
    home, courier, milk, diapers, rice = shelf
    ann, bob = make.shopper()[0], make.shopper()[0]
    yesterday = TODAY - timedelta(days=1)
    order_at(ann, home, courier, local(yesterday, 8), [(milk, 2)])
    order_at(ann, home, courier, local(TODAY, 20), [(diapers, 1)])
    order_at(bob, home, courier, local(TODAY, 9), [(rice, 1), (milk, 1)])
    order_at(bob, home, courier, local(TODAY, 10), [(rice, 5)], status="cancelled")  # not spend

    body = portraits.refresh_portrait(db.session, home.id, NOW).body

    assert (body["orders"], body["households"], body["spend_fen"]) == (3, 2, 29_500)
    assert body["category_shares"] == pytest.approx({"乳品": 1500 / 29500, "母婴": 8000 / 29500,
                                                      "粮油": 20000 / 29500})
    assert body["price_bands"] == [
        {"max_fen": 1000, "share": pytest.approx(1500 / 29500)}, {"max_fen": 3000, "share": 0.0},
        {"max_fen": 6000, "share": 0.0}, {"max_fen": 12000, "share": pytest.approx(8000 / 29500)},
        {"max_fen": None, "share": pytest.approx(20000 / 29500)}]
    assert body["spend_per_household_fen"] == 14_750
    assert body["repeat_rate"] == 0.5  # Ann ordered twice; Bob once (his cancelled order does not count)
    assert body["top_products"][0] == {"product_id": milk.id, "name": "牛奶", "units": 3}
    assert [body["hours"][h] for h in (8, 9, 20)] == [1, 1, 1] and sum(body["hours"]) == 3
    assert body["weekdays"] == [0, 1, 2, 0, 0, 0, 0]  # Tuesday, Wednesday


def test_repeat_rate_counts_households_ordering_more_than_once(make, shelf):
    home, courier, milk, *_ = shelf
    ann, bob, cai = (make.shopper()[0] for _ in range(3))
    for shopper, times in ((ann, 3), (bob, 1), (cai, 1)):
        for n in range(times):
            order_at(shopper, home, courier, local(TODAY - timedelta(days=n), 9), [(milk, 1)])

    body = portraits.refresh_portrait(db.session, home.id, NOW).body

    assert body["repeat_rate"] == pytest.approx(1 / 3)
    assert body["spend_per_household_fen"] == 5 * 500 // 3


def test_days_outside_the_window_are_left_out(make, shelf):
    home, courier, milk, diapers, _ = shelf
    shopper = make.shopper()[0]
    order_at(shopper, home, courier, local(TODAY - timedelta(days=90), 9), [(diapers, 1)])
    order_at(shopper, home, courier, local(TODAY - timedelta(days=89), 9), [(milk, 1)])

    body = portraits.refresh_portrait(db.session, home.id, NOW).body

    assert body["category_shares"] == {"乳品": 1.0}


def order_times_read_during(call) -> list[list[datetime]]:
    """The times bound into every statement reading the orders table while `call` runs."""
    seen = []

    def listener(state):
        compiled = state.statement.compile()
        if "FROM orders" in str(compiled):
            seen.append([v for v in compiled.params.values() if isinstance(v, datetime)])

    event.listen(db.session, "do_orm_execute", listener)
    try:
        call()
    finally:
        event.remove(db.session, "do_orm_execute", listener)
    return seen


def test_a_refresh_reads_only_the_days_not_aggregated_yet(make, shelf):
    home, courier, milk, diapers, _ = shelf
    shopper = make.shopper()[0]
    old = order_at(shopper, home, courier, local(TODAY - timedelta(days=5), 9), [(milk, 1)])
    portraits.refresh_portrait(db.session, home.id, local(TODAY - timedelta(days=1), 12))
    db.session.commit()
    # Changed behind the aggregates' back: an old day is not read again, so this stays unseen.
    db.session.execute(update(OrderItem).where(OrderItem.order_id == old.id).values(quantity=7))
    order_at(shopper, home, courier, local(TODAY, 9), [(diapers, 1)])

    reads = order_times_read_during(lambda: portraits.refresh_portrait(db.session, home.id, NOW))
    body = db.session.get(CompoundPortrait, home.id).body

    assert body["product_units"] == {str(milk.id): 1, str(diapers.id): 1}
    # Yesterday (finished since the last refresh) and today: nothing before.
    assert [min(times) for times in reads] == [local(TODAY - timedelta(days=1), 0), local(TODAY, 0)]
    assert db.session.query(CompoundDay).filter_by(compound_id=home.id).count() == 2  # one row a day with orders


def test_the_nightly_round_refreshes_each_stale_compound_once(app, make, shelf):
    home, courier, milk, *_ = shelf
    other = make.compound()
    order_at(make.shopper()[0], home, courier, local(TODAY, 9), [(milk, 2)])

    with app.app_context():
        first = refresh_stale_portraits(NOW)
        again = refresh_stale_portraits(NOW + timedelta(hours=1))
        tomorrow = refresh_stale_portraits(NOW + timedelta(days=1))

    assert sorted(first) == sorted([home.id, other.id]) and again == []
    assert sorted(tomorrow) == sorted([home.id, other.id])
    assert db.session.get(CompoundPortrait, home.id).body["orders"] == 1


def test_a_claimed_compound_is_not_claimed_again_until_its_hold_ends(make, shelf):
    home = shelf[0]
    hold = timedelta(minutes=10)
    claimed = portraits.claim_stale(db.session, NOW, hold)
    db.session.commit()
    assert claimed == home.id
    assert portraits.claim_stale(db.session, NOW, hold) is None  # the only compound, held
    assert portraits.claim_stale(db.session, NOW + hold + timedelta(seconds=1), hold) == home.id


def test_the_console_reads_and_refreshes_a_portrait(client, make, shelf):
    home, courier, milk, *_ = shelf
    neighbour = make.compound()
    order_at(make.shopper()[0], neighbour, courier, local(TODAY, 9), [(shelf[4], 1)])
    client.post(f"/api/v1/console/compounds/{neighbour.id}/portrait/refresh",
                headers=make.staff_headers("ops"))
    order_at(make.shopper()[0], home, courier, NOW - timedelta(minutes=5), [(milk, 2)])

    answer = client.post(f"/api/v1/console/compounds/{home.id}/portrait/refresh",
                         headers=make.staff_headers("marketing"))

    assert answer.status_code == 200, answer.get_json()
    portrait = answer.get_json()["portrait"]
    assert API_FIELDS <= set(portrait) and "product_units" not in portrait
    assert portrait["category_shares"] == {"乳品": 1.0}
    assert portrait["city_category_shares"] == {"乳品": pytest.approx(1000 / 21000),
                                                "粮油": pytest.approx(20000 / 21000)}
    read = client.get(f"/api/v1/console/compounds/{home.id}/portrait", headers=make.staff_headers("ops"))
    assert read.get_json()["portrait"] == portrait


def test_a_portrait_never_computed_is_computed_on_first_read(client, make, shelf):
    answer = client.get(f"/api/v1/console/compounds/{shelf[0].id}/portrait", headers=make.staff_headers("ops"))
    assert answer.status_code == 200
    assert answer.get_json()["portrait"]["orders"] == 0


@pytest.mark.parametrize("path", ["portrait", "portrait/refresh"])
def test_portraits_are_for_marketing_and_ops_of_compounds_that_exist(client, make, shelf, path):
    method = client.get if path == "portrait" else client.post
    assert method(f"/api/v1/console/compounds/{shelf[0].id}/{path}").status_code == 401
    shopper_headers = make.shopper()[1]
    assert method(f"/api/v1/console/compounds/{shelf[0].id}/{path}", headers=shopper_headers).status_code == 401
    missing = method(f"/api/v1/console/compounds/999999/{path}", headers=make.staff_headers("marketing"))
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_marketing_picks_compounds_by_category_share_and_price_sensitivity(client, make, shelf):
    home, courier, milk, diapers, rice = shelf
    babies, thrifty = make.compound(), make.compound()
    courier_b = make.courier(compounds_=[babies, thrifty])
    order_at(make.shopper()[0], babies, courier_b, NOW, [(diapers, 1), (milk, 1)])
    order_at(make.shopper()[0], thrifty, courier_b, NOW, [(milk, 10), (diapers, 1)])
    order_at(make.shopper()[0], home, courier, NOW, [(rice, 1)])
    for compound in (home, babies, thrifty):
        portraits.refresh_portrait(db.session, compound.id, NOW)
    db.session.commit()
    headers = make.staff_headers("marketing")

    by_baby = client.get("/api/v1/console/compounds/by-portrait?category=母婴&min_share=0.5", headers=headers)
    cheap = client.get("/api/v1/console/compounds/by-portrait?price_sensitive=true&cheap_min_share=0.3",
                       headers=headers)

    assert [c["compound_id"] for c in by_baby.get_json()["compounds"]] == [babies.id, thrifty.id]
    assert [c["compound_id"] for c in cheap.get_json()["compounds"]] == [thrifty.id]
    assert targeting.price_sensitive_compound_ids(db.session, min_share=0.3) == [thrifty.id]
    assert targeting.price_sensitive_compound_ids(db.session) == []  # 5000 / 13000 is under half


@pytest.mark.parametrize("query", ["min_share=2", "min_share=abc", "price_sensitive=maybe", "cheap_min_share=-1"])
def test_bad_targeting_queries_are_refused(client, make, query):
    answer = client.get(f"/api/v1/console/compounds/by-portrait?{query}", headers=make.staff_headers("marketing"))
    assert answer.status_code == 422
