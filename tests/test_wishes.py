"""Wishes and their plans through the API: today's price from deals, coupons and group deals against
the calendar; the API's errors; "time to buy" told once (both databases)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app.extensions import db
from app.models import Wish
from tests.assertions import assert_error, assert_invalid
from tests.factories import now
from tests.messaging import PLAN, outbox, subscribe
from tests.shopping_plan import PROMOTIONS, WISHES, day, planning, replan, today  # noqa: F401  (fixture)


def plan_of(wish: dict) -> tuple:
    plan = wish["plan"]
    return plan["buy_on"], plan["event_id"], plan["expected_price_fen"], plan["saving_fen"]


def test_a_wish_waits_for_the_best_event_before_its_date(planning):
    planning.event(starts_in=5, pct={"母婴": 10}, name="年中")
    best = planning.event(starts_in=20, pct={"母婴": 25}, name="618")
    planning.event(starts_in=60, pct={"母婴": 40}, name="双11")  # after need_by: out of reach
    wish = planning.wish(need_in=30, budget_fen=25000)
    assert plan_of(wish) == (day(20), best["id"], 22500, 7500)
    assert (wish["product_id"], wish["category"], wish["budget_fen"], wish["need_by"]) == \
        (planning.product.id, None, 25000, day(30))
    assert (wish["plan"]["product_id"], wish["plan"]["today_price_fen"], wish["plan"]["within_budget"]) == \
        (planning.product.id, 30000, True)


def test_no_event_before_need_by_means_buy_today(planning):
    planning.event(starts_in=40)
    assert plan_of(planning.wish(need_in=30)) == (day(0), None, 30000, 0)


def test_a_deal_and_a_coupon_today_that_beat_the_calendar_mean_buy_now(client, make, planning):
    event = planning.event(starts_in=5, pct={"母婴": 20})  # expects 24000
    make.deal(planning.product, [planning.shop.home], 26000)
    assert plan_of(planning.wish()) == (day(5), event["id"], 24000, 2000)  # the deal alone: still wait
    template = make.coupon_template([planning.shop.home], discount_fen=2500, threshold_fen=20000)
    make.claimed_coupon(planning.shop.headers, template)
    wishes = planning.wishes()
    assert [plan_of(w) for w in wishes] == [(day(0), None, 23500, 0)]  # 26000 less the 2500 coupon
    assert wishes[0]["plan"]["today_price_fen"] == 23500


def test_an_open_group_deal_in_the_compound_counts_as_todays_price(client, make, planning):
    planning.event(starts_in=5, pct={"母婴": 20})
    body = {"product_id": planning.product.id, "compound_id": planning.shop.home.id, "group_price_fen": 21000,
            "min_households": 3, "deadline": (now() + timedelta(days=2)).isoformat()}
    assert client.post("/api/v1/console/group-deals", json=body, headers=planning.marketing).status_code == 201
    assert plan_of(planning.wish()) == (day(0), None, 21000, 0)
    elsewhere_id, elsewhere = make.shopper(home=make.compound())  # another compound: no group price
    assert plan_of(planning.wish(headers=elsewhere))[2] == 24000


def test_a_category_wish_is_planned_for_its_cheapest_item_within_budget(make, planning):
    cheaper = make.product(name="纸尿裤", category="母婴", price_fen=9000)
    planning.event(starts_in=5, pct={"母婴": 20})
    wish = planning.wish(product_id=None, category="母婴", budget_fen=10000)
    assert (wish["category"], wish["plan"]["product_id"]) == ("母婴", cheaper.id)
    assert plan_of(wish)[2:] == (7200, 1800)


def test_bad_wishes_are_refused_naming_the_field(client, make, planning):
    headers = planning.shop.headers
    need_by = day(10)
    assert_invalid(client.post(WISHES, json={"need_by": need_by}, headers=headers), "product_id")
    assert_invalid(client.post(WISHES, json={"product_id": planning.product.id, "category": "母婴",
                                             "need_by": need_by}, headers=headers), "product_id")
    assert_invalid(client.post(WISHES, json={"product_id": 99999999, "need_by": need_by}, headers=headers),
                   "product_id")
    assert_invalid(client.post(WISHES, json={"category": "没有的", "need_by": need_by}, headers=headers), "category")
    assert_invalid(client.post(WISHES, json={"product_id": planning.product.id, "need_by": day(-1)},
                               headers=headers), "need_by")
    assert_invalid(client.post(WISHES, json={"product_id": planning.product.id}, headers=headers), "need_by")
    assert_invalid(client.post(WISHES, json={"product_id": planning.product.id, "need_by": need_by,
                                             "budget_fen": -1}, headers=headers), "budget_fen")
    assert_invalid(client.post(WISHES, json={"product_id": "7", "need_by": need_by}, headers=headers), "product_id")
    assert_error(client.post(WISHES, json={"product_id": planning.product.id, "need_by": need_by}), 401,
                 "unauthorized")
    assert_error(client.post(WISHES, json={"product_id": planning.product.id, "need_by": need_by},
                             headers=planning.marketing), 401, "unauthorized")


def test_a_retried_wish_with_the_same_key_is_added_once_and_deleting_is_for_its_owner(client, make, planning):
    keyed = {**planning.shop.headers, "Idempotency-Key": "wish-1"}
    body = {"product_id": planning.product.id, "need_by": day(10)}
    first, again = client.post(WISHES, json=body, headers=keyed), client.post(WISHES, json=body, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    assert len(planning.wishes()) == 1
    wish_id = first.get_json()["wish"]["id"]
    _, stranger = make.shopper()
    assert_error(client.delete(f"{WISHES}/{wish_id}", headers=stranger), 404, "not_found")
    assert client.delete(f"{WISHES}/{wish_id}", headers=planning.shop.headers).status_code == 204
    assert planning.wishes() == []


def test_time_to_buy_is_told_once_when_the_awaited_event_starts(client, planning):
    subscribe([planning.shop.shopper_id], sends=5, template=PLAN)
    event = planning.event(starts_in=3)
    wish = planning.wish(need_in=20)
    assert plan_of(wish)[:2] == (day(3), event["id"])
    assert replan().told == []  # nothing has changed: still waiting
    moved = client.patch(f"{PROMOTIONS}/{event['id']}", json={"starts_on": day(0)}, headers=planning.marketing)
    assert moved.status_code == 200
    first, second = replan(), replan()
    assert first.told == [(wish["id"], f"event:{event['id']}")] and second.told == []
    sent = outbox(kind="send", template_id=PLAN)
    assert len(sent) == 1 and sent[0].shopper_id == planning.shop.shopper_id
    assert sent[0].data == {"thing1": planning.product.name, "thing2": "618", "amount3": "¥240.00"}
    db.session.execute(update(Wish).where(Wish.id == wish["id"]).values(plan_buy_on=today() + timedelta(days=3)))
    db.session.commit()  # as if a stale plan said to wait again: the same event is never told twice
    assert replan().told == [] and len(outbox(kind="send", template_id=PLAN)) == 1


def test_a_price_drop_that_beats_the_calendar_is_told_once(make, planning):
    subscribe([planning.shop.shopper_id], sends=5, template=PLAN)
    planning.event(starts_in=5, pct={"母婴": 20})
    wish = planning.wish()
    make.deal(planning.product, [planning.shop.home], 23000)
    assert replan().told == [(wish["id"], "price")]
    assert plan_of(planning.wishes()[0]) == (day(0), None, 23000, 0)
    assert replan().told == [] and len(outbox(kind="send", template_id=PLAN)) == 1


def test_a_shopper_without_a_send_left_is_not_told_and_not_told_later(client, planning):
    event = planning.event(starts_in=3)
    wish = planning.wish()
    client.patch(f"{PROMOTIONS}/{event['id']}", json={"starts_on": day(0)}, headers=planning.marketing)
    assert replan().not_subscribed == [(wish["id"], f"event:{event['id']}")]
    subscribe([planning.shop.shopper_id], sends=1, template=PLAN)
    assert replan().told == [] and outbox(kind="send", template_id=PLAN) == []
