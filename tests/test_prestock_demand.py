"""The suggested van load as a pure function: weekday history, the recent level, thin history and
the portrait, firm demand, the ops team's margin, the split over compounds."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.services.prestock.demand import DemandInputs, Margin, split_by_compound, suggest_load, with_margin

pytestmark = pytest.mark.one_database  # no database at all

DAY = date(2026, 3, 14)  # a Saturday
A, B = 1, 2              # compounds
MILK, BEER = 10, 20      # products


def every_day(units: int, days: int = 56, weekday_units: int | None = None) -> dict[date, int]:
    """`units` a day over the days before DAY; `weekday_units` on DAY's weekday instead."""
    sales = {}
    for n in range(1, days + 1):
        d = DAY - timedelta(days=n)
        sales[d] = weekday_units if weekday_units is not None and d.weekday() == DAY.weekday() else units
    return sales


def lines_of(inputs) -> dict[int, tuple[int, dict[int, int]]]:
    return {line.product_id: (line.quantity, line.by_compound) for line in suggest_load(inputs)}


def test_a_steady_seller_is_suggested_at_its_daily_rate_split_by_compound():
    inputs = DemandInputs(day=DAY, compound_ids=(A, B), sales={(A, MILK): every_day(3), (B, MILK): every_day(1)})

    assert lines_of(inputs) == {MILK: (4, {A: 3, B: 1})}


def test_the_days_weekday_counts_saturday_sellers_get_more_on_saturday():
    flat = DemandInputs(day=DAY, compound_ids=(A,), sales={(A, BEER): every_day(2)})
    saturdays = DemandInputs(day=DAY, compound_ids=(A,), sales={(A, BEER): every_day(2, weekday_units=8)})
    monday = DemandInputs(day=DAY + timedelta(days=2), compound_ids=(A,),
                          sales={(A, BEER): every_day(2, weekday_units=8)})

    assert lines_of(flat)[BEER][0] == 2
    assert lines_of(saturdays)[BEER][0] >= 6
    assert lines_of(monday)[BEER][0] < lines_of(saturdays)[BEER][0]


def test_compounds_off_the_route_and_products_never_sold_are_not_suggested():
    inputs = DemandInputs(day=DAY, compound_ids=(A,), sales={(B, MILK): every_day(5), (A, BEER): {}})

    assert lines_of(inputs) == {}


def test_orders_for_the_next_run_and_round_prizes_are_added_as_they_are():
    inputs = DemandInputs(day=DAY, compound_ids=(A, B), sales={(A, MILK): every_day(2)},
                          next_run_orders={(A, MILK): 3, (B, BEER): 1}, prizes={(B, BEER): 4, (9, BEER): 50},
                          margin=Margin(percent=50, minimum=0))

    assert lines_of(inputs) == {MILK: (3 + 3, {A: 6}), BEER: (5, {B: 5})}  # the margin on the forecast only


def test_the_margin_adds_a_percentage_and_at_least_a_minimum():
    assert with_margin(10.0, Margin(0, 0)) == 10
    assert with_margin(10.0, Margin(20, 0)) == 12
    assert with_margin(10.0, Margin(5, 2)) == 12
    assert with_margin(0.2, Margin(0, 3)) == 0  # nothing expected: no minimum either
    assert with_margin(0.5, Margin(0, 0)) == 1  # from 0.4 of a unit up, one is carried


def test_a_new_compound_leans_on_its_portrait_until_its_own_history_settles():
    portrait = {"top_products": [{"product_id": MILK, "name": "milk", "units": 270}], "days": 90}  # 3 a day
    thin = {DAY - timedelta(days=n): 1 for n in range(1, 4)}  # three days of one a day
    new = DemandInputs(day=DAY, compound_ids=(A,), sales={}, portraits={A: portrait})
    young = DemandInputs(day=DAY, compound_ids=(A,), sales={(A, BEER): thin}, portraits={A: portrait})
    settled = DemandInputs(day=DAY, compound_ids=(A,), sales={(A, BEER): every_day(1)}, portraits={A: portrait})

    assert lines_of(new) == {MILK: (3, {A: 3})}
    assert 2 <= lines_of(young)[MILK][0] <= 3
    assert MILK not in lines_of(settled)


def test_split_by_compound_gives_firm_units_first_and_adds_up():
    assert split_by_compound(7, {B: 2}, {A: 1.0, B: 1.0}) == {A: 3, B: 4}
    assert sum(split_by_compound(10, {}, {A: 1.0, B: 1.0, 3: 1.0}).values()) == 10
    assert split_by_compound(3, {}, {}) == {}
