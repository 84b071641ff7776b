"""The courier's store in money: a hand-made month adds up as worked out by hand (tests/earnings.py),
Shanghai month and day boundaries, refunds, discounts, categories with and without a rule."""
from __future__ import annotations

from app.extensions import db
from app.models import Coupon, utcnow
from app.services.earnings import money, rules
from tests.assertions import assert_error
from tests.earnings import EXPECTED, EXPECTED_BY_CATEGORY, make_month, set_rates

EARNINGS = "/api/v1/courier/earnings"
FIELDS = ("category", "units", "free_units", "sales_fen", "rate_bp", "commission_fen")


def by_category(answer: dict) -> list[tuple]:
    return [tuple(row[name] for name in FIELDS) for row in answer["by_category"]]


def test_a_hand_made_month_adds_up_as_worked_out_by_hand(client, make):
    month = make_month(make)

    answer = client.get(f"{EARNINGS}?month=2026-03", headers=make.courier_headers(month.courier))

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert {key: body[key] for key in EXPECTED} == EXPECTED
    assert by_category(body) == EXPECTED_BY_CATEGORY


def test_orders_handed_over_either_side_of_a_shanghai_midnight_fall_in_the_shanghai_month(client, make):
    month = make_month(make)
    headers = make.courier_headers(month.courier)

    february = client.get(f"{EARNINGS}?month=2026-02", headers=headers).get_json()
    april = client.get(f"{EARNINGS}?month=2026-04", headers=headers).get_json()

    assert (february["orders"], february["sales_fen"], february["commission_fen"]) == (1, 1000, 50)
    assert (april["orders"], april["sales_fen"], april["commission_fen"]) == (1, 1000, 50)
    first_day = client.get(f"{EARNINGS}/day?date=2026-03-01", headers=headers).get_json()
    assert (first_day["date"], first_day["orders"], first_day["sales_fen"], first_day["commission_fen"]) == \
        ("2026-03-01", 1, 3500, 88 + 175)


def test_a_category_without_a_rule_earns_the_default_rate_and_a_rule_removed_falls_back_to_it(client, make):
    month = make_month(make)
    headers = make.courier_headers(month.courier)

    set_rates(0, 生鲜=None)
    body = client.get(f"{EARNINGS}?month=2026-03", headers=headers).get_json()

    assert [(row["category"], row["rate_bp"], row["commission_fen"]) for row in body["by_category"]] == \
        [("日用", 1000, 347), ("生鲜", 0, 0), ("零食", 0, 0)]
    assert body["commission_fen"] == 347 and body["sales_fen"] == EXPECTED["sales_fen"]


def test_this_month_and_today_count_what_the_couriers_store_brought_in_now(client, make):
    shop = make.shop()
    tea = make.product(category="茶饮", price_fen=1500)
    set_rates(1000)
    template = make.coupon_template([shop.home], discount_fen=300, threshold_fen=1000)
    coupon = make.claimed_coupon(shop.headers, template)
    order = make.placed_order(shop.headers, shop.store_session_id, [(tea, 2)], coupon_id=coupon["id"])
    courier_headers = make.courier_headers(shop.courier)
    handed = client.post(f"/api/v1/courier/pickups/{order['id']}/handover",
                         json={"pickup_code": order["pickup_code"]}, headers=courier_headers)
    assert handed.status_code == 200, handed.get_json()

    month = client.get(EARNINGS, headers=courier_headers).get_json()
    today = client.get(f"{EARNINGS}/day", headers=courier_headers).get_json()

    for figures in (month, today):
        assert (figures["orders"], figures["sales_fen"], figures["commission_fen"], figures["coupon_claims"]) == \
            (1, 2700, 270, 1)
        assert by_category(figures) == [("茶饮", 2, 0, 2700, 1000, 270)]


def test_a_claim_is_the_couriers_whose_store_the_shopper_is_in_and_nobodys_without_a_store(client, make):
    shop = make.shop()
    elsewhere = make.compound()
    other = make.courier(compounds_=[shop.home, elsewhere])
    template = make.coupon_template([shop.home], per_shopper_limit=3)
    make.store_session(shop.headers, other, elsewhere)  # latest session, but not where the coupon is for

    through_shop = make.claimed_coupon(shop.headers, template)
    make.store_session(shop.headers, other, shop.home)
    through_other = make.claimed_coupon(shop.headers, template)
    _, resident = make.shopper(home=shop.home)
    no_store = make.claimed_coupon(resident, template)

    couriers = [db.session.get(Coupon, body["id"]).courier_id for body in (through_shop, through_other, no_store)]
    assert couriers == [shop.courier.id, other.id, None]


def test_only_the_courier_reads_his_earnings_and_a_bad_month_or_day_is_named(client, make):
    courier_headers = make.courier_headers(make.courier())
    assert_error(client.get(EARNINGS), 401, "unauthorized")
    assert_error(client.get(EARNINGS, headers=make.shopper()[1]), 401, "unauthorized")
    assert_error(client.get(EARNINGS, headers=make.staff_headers("admin")), 401, "unauthorized")
    for month in ("2026-13", "2026-3", "march", "1999-12", "2026-03-01", ""):
        error = assert_error(client.get(f"{EARNINGS}?month={month}", headers=courier_headers), 422, "invalid_request")
        assert "month" in error["fields"], (month, error)
    assert "date" in assert_error(client.get(f"{EARNINGS}/day?date=2026-02-30", headers=courier_headers),
                                  422, "invalid_request")["fields"]
    empty = client.get(f"{EARNINGS}?month=2030-01", headers=courier_headers).get_json()
    assert empty == {"month": "2030-01", "orders": 0, "sales_fen": 0, "commission_fen": 0, "by_category": [],
                     "free_items": 0, "coupon_claims": 0, "shake_wins": 0}


def test_a_discount_is_shared_in_whole_fen_that_add_up_and_never_exceed_a_line():
    assert money.pro_rata(500, [2000, 2000]) == [250, 250]
    assert money.pro_rata(333, [333, 2000]) == [48, 285]
    for amount, weights in ((1, [1, 1, 1]), (2, [1, 1, 1]), (400, [7, 13, 400, 1]), (421, [7, 13, 400, 1]), (5, [0, 5, 0])):
        shares = money.pro_rata(amount, weights)
        assert sum(shares) == amount and all(0 <= s <= w for s, w in zip(shares, weights)), (amount, shares)
    assert money.pro_rata(0, [5, 5]) == [0, 0] and money.pro_rata(5, [0, 0]) == [0, 0]


def test_commission_rounds_half_up_to_the_fen():
    assert [money.commission_fen(sales, 500) for sales in (1749, 1750, 1751, 0)] == [87, 88, 88, 0]
    assert money.commission_fen(999, 300) == 30 and money.commission_fen(1, 10_000) == 1


def test_a_new_rate_applies_from_its_day_and_leaves_earlier_handovers_at_the_old_one(client, make):
    month = make_month(make)
    set_rates(300, 日用=1000, 生鲜=500)
    headers = make.courier_headers(month.courier)
    before = client.get(EARNINGS, query_string={"month": "2026-03"}, headers=headers).get_json()
    ops = make.staff_headers("ops")

    raised = client.put("/api/v1/console/commission-rules", json={"category": "日用", "rate_bp": 2000},
                        headers=ops)
    after = client.get(EARNINGS, query_string={"month": "2026-03"}, headers=headers).get_json()

    assert raised.status_code == 200 and after == before  # handed over before the change: paid as then
    assert rules.rate_history(db.session).of("日用", utcnow()) == 2000
    too_early = client.put("/api/v1/console/commission-rules",
                           json={"category": "日用", "rate_bp": 0, "effective_from": "2026-03-01"}, headers=ops)
    assert too_early.status_code == 422  # before that rate's last change (set just now)
    ahead = client.put("/api/v1/console/commission-rules",
                       json={"rate_bp": 100, "effective_from": "2099-01-01"}, headers=ops)
    assert ahead.status_code == 422 and "effective_from" in ahead.get_json()["error"]["fields"]

    backdated = client.put("/api/v1/console/commission-rules",  # ops correct a rate before paying out
                           json={"category": "生鲜", "rate_bp": 0, "effective_from": "2026-03-01"}, headers=ops)
    corrected = client.get(EARNINGS, query_string={"month": "2026-03"}, headers=headers).get_json()
    assert backdated.status_code == 200
    fresh = {row["category"]: row for row in corrected["by_category"]}["生鲜"]
    assert fresh["rate_bp"] == 0 and fresh["commission_fen"] == 0
    assert corrected["commission_fen"] < before["commission_fen"] and corrected["sales_fen"] == before["sales_fen"]
