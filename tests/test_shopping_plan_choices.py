"""The plan's choices on hand-made cases: a pure function, no database."""
from __future__ import annotations

from datetime import date

from app.services.shopping_plan.plan import Event, Offer, plan_offer, plan_wish, typical_offer

TODAY = date(2027, 5, 20)
SIX18 = Event(1, "618", date(2027, 6, 1), date(2027, 6, 18), {"母婴": 20, "生鲜": 5})
DOUBLE11 = Event(2, "双11", date(2027, 11, 1), date(2027, 11, 11), {"母婴": 30, "*": 10})
MILK = Offer(10, "奶粉", "母婴", list_price_fen=30000, today_price_fen=30000)


def test_waits_for_the_event_with_the_best_expected_price_before_need_by():
    plan = plan_offer(MILK, [SIX18, DOUBLE11], TODAY, need_by=date(2027, 12, 31))
    assert (plan.buy_on, plan.event_id, plan.expected_price_fen, plan.saving_fen) == \
        (date(2027, 11, 1), 2, 21000, 9000)


def test_an_event_starting_after_need_by_is_out_of_reach():
    plan = plan_offer(MILK, [SIX18, DOUBLE11], TODAY, need_by=date(2027, 10, 31))
    assert (plan.buy_on, plan.event_id, plan.expected_price_fen, plan.saving_fen) == \
        (date(2027, 6, 1), 1, 24000, 6000)


def test_no_event_before_need_by_means_buy_today_at_todays_price():
    plan = plan_offer(MILK, [SIX18, DOUBLE11], TODAY, need_by=date(2027, 5, 31))
    assert (plan.buy_on, plan.event_id, plan.expected_price_fen, plan.saving_fen) == (TODAY, None, 30000, 0)


def test_a_coupon_price_today_that_beats_the_event_means_buy_now():
    couponed = Offer(10, "奶粉", "母婴", 30000, today_price_fen=23500, today_source="coupon")
    plan = plan_offer(couponed, [SIX18], TODAY, need_by=date(2027, 7, 1))  # 618 expects 24000
    assert (plan.buy_on, plan.event_id, plan.expected_price_fen, plan.saving_fen) == (TODAY, None, 23500, 0)


def test_a_group_price_today_equal_to_the_event_is_not_worth_waiting_for():
    grouped = Offer(10, "奶粉", "母婴", 30000, today_price_fen=24000, today_source="group")
    assert plan_offer(grouped, [SIX18], TODAY, need_by=date(2027, 7, 1)).event_id is None
    dearer = Offer(10, "奶粉", "母婴", 30000, today_price_fen=24001, today_source="group")
    plan = plan_offer(dearer, [SIX18], TODAY, need_by=date(2027, 7, 1))
    assert (plan.event_id, plan.saving_fen) == (1, 1)


def test_a_running_event_is_bought_today_and_a_finished_one_is_ignored():
    running = Event(3, "年中", date(2027, 5, 15), date(2027, 5, 25), {"母婴": 15})
    over = Event(4, "五一", date(2027, 4, 28), date(2027, 5, 5), {"母婴": 50})
    plan = plan_offer(MILK, [running, over], TODAY, need_by=date(2027, 5, 31))
    assert (plan.buy_on, plan.event_id, plan.expected_price_fen, plan.saving_fen) == (TODAY, 3, 25500, 4500)


def test_a_category_the_event_does_not_name_takes_its_star_discount_or_none():
    rice = Offer(11, "大米", "粮油", 10000, 10000)
    assert plan_offer(rice, [SIX18], TODAY, date(2027, 12, 31)).event_id is None  # no 粮油, no "*"
    plan = plan_offer(rice, [DOUBLE11], TODAY, date(2027, 12, 31))
    assert (plan.event_id, plan.expected_price_fen) == (2, 9000)


def test_of_equal_expected_prices_the_earlier_event_wins():
    early = Event(5, "早", date(2027, 6, 1), date(2027, 6, 2), {"母婴": 30})
    plan = plan_offer(MILK, [DOUBLE11, early], TODAY, date(2027, 12, 31))
    assert (plan.event_id, plan.buy_on) == (5, date(2027, 6, 1))


def test_a_category_wish_plans_the_cheapest_item_within_budget_else_the_cheapest():
    cheap = Offer(21, "纸尿裤S", "母婴", 9000, 8000)
    dear = Offer(22, "纸尿裤L", "母婴", 15000, 15000)
    assert typical_offer([dear, cheap], budget_fen=20000).product_id == 21
    assert typical_offer([dear, cheap], budget_fen=5000).product_id == 21  # none within: the cheapest
    assert typical_offer([], None) is None
    plan = plan_wish([dear, cheap], [SIX18], TODAY, date(2027, 7, 1), budget_fen=7000)
    assert (plan.product_id, plan.event_id, plan.expected_price_fen, plan.within_budget) == (21, 1, 7200, False)
    assert plan_wish([], [SIX18], TODAY, date(2027, 7, 1)) is None
