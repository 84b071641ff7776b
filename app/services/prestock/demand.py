"""The suggested van load for one courier and day, as a pure function of what was sold before.

Expected units of each product in each compound on the route: the same weekday of the last
weeks (recent weeks weigh more) blended with the last week's level scaled by the compound's
weekday rhythm; where a compound's history is thin, its portrait's top products fill in.
Firm demand (orders waiting for the next run, shake prizes the day's rounds will hand out)
is added as it is; the ops team's safety margin goes on the expected part only.
No database here: `app/services/prestock/inputs.py` loads what this needs.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from math import floor

# (compound_id, product_id) -> {day: units sold}, days before the day suggested for.
Sales = Mapping[tuple[int, int], Mapping[date, int]]
# (compound_id, product_id) -> units certain to leave the van that day.
Firm = Mapping[tuple[int, int], int]

HISTORY_DAYS = 56               # what the loader reads: 8 weeks
SAME_WEEKDAY_WEIGHTS = (4, 3, 2, 1)  # 1, 2, 3, 4 weeks ago
SAME_WEEKDAY_SHARE = 0.3        # the rest is the recent level x the compound's weekday factor
LEVEL_DAYS = 28                 # the recent level: units a day over the last four weeks
WEEKDAY_FACTOR_BOUNDS = (0.5, 2.0)
SETTLED_HISTORY_DAYS = 28       # below this a compound's own figures are blended with its portrait
CARRY_FROM = 0.4                # a part of a unit this big or more is carried as a whole unit
PORTRAIT_DAYS = 90              # the window a portrait's `top_products` units cover, unless it says


@dataclass(frozen=True)
class Margin:
    """The ops team's safety margin: `percent` more than expected, and at least `minimum` more
    units of any product expected to sell at least one."""

    percent: int = 0
    minimum: int = 0


@dataclass(frozen=True)
class DemandInputs:
    """Everything the suggestion is computed from; `sales` and the firm demand keyed by (compound, product)."""

    day: date
    compound_ids: tuple[int, ...]
    sales: Sales
    margin: Margin = Margin()
    next_run_orders: Firm = field(default_factory=dict)
    prizes: Firm = field(default_factory=dict)
    wishes: Firm = field(default_factory=dict)  # wishes planned for the day (issue 16's shopping plan)
    portraits: Mapping[int, Mapping] = field(default_factory=dict)  # compound_id -> API.md portrait


@dataclass(frozen=True)
class SuggestedLine:
    product_id: int
    quantity: int
    by_compound: dict[int, int]
    expected: float  # the forecast before margin and firm demand, for ops reading the page


def days_before(day: date, days: int) -> list[date]:
    return [day - timedelta(days=n) for n in range(1, days + 1)]


def weekday_factor(compound_daily: Mapping[date, int], day: date) -> float:
    """How much busier the compound is on `day`'s weekday than on an average day (bounded)."""
    window = days_before(day, HISTORY_DAYS)
    total = sum(compound_daily.get(d, 0) for d in window)
    if total == 0:
        return 1.0
    same = sum(compound_daily.get(d, 0) for d in window if d.weekday() == day.weekday())
    factor = (same / (HISTORY_DAYS // 7)) / (total / HISTORY_DAYS)
    low, high = WEEKDAY_FACTOR_BOUNDS
    return min(high, max(low, factor))


def expected_units(daily: Mapping[date, int], day: date, factor: float) -> float:
    """One product in one compound: weighted same-weekday units blended with the recent level."""
    weights = SAME_WEEKDAY_WEIGHTS
    same_weekday = sum(w * daily.get(day - timedelta(weeks=n), 0) for n, w in enumerate(weights, 1)) / sum(weights)
    level = sum(daily.get(d, 0) for d in days_before(day, LEVEL_DAYS)) / LEVEL_DAYS
    return SAME_WEEKDAY_SHARE * same_weekday + (1 - SAME_WEEKDAY_SHARE) * level * factor


def history_days(compound_daily: Mapping[date, int], day: date) -> int:
    """Days since the compound's first sale in the window (0: none)."""
    sold_on = [d for d, units in compound_daily.items() if units and d < day]
    return (day - min(sold_on)).days if sold_on else 0


def portrait_rates(portrait: Mapping | None) -> dict[int, float]:
    """{product_id: units a day} from a portrait's top products over its window."""
    if not portrait:
        return {}
    days = portrait.get("days") or PORTRAIT_DAYS
    return {int(top["product_id"]): top["units"] / days for top in portrait.get("top_products", [])}


def compound_forecast(inputs: DemandInputs, compound_id: int,
                      products: Mapping[int, Mapping[date, int]]) -> dict[int, float]:
    """{product_id: expected units} in one compound: its own history, its portrait where that is thin."""
    compound_daily: dict[date, int] = defaultdict(int)
    for daily in products.values():
        for d, units in daily.items():
            compound_daily[d] += units
    trust = min(1.0, history_days(compound_daily, inputs.day) / SETTLED_HISTORY_DAYS)
    factor = trust * weekday_factor(compound_daily, inputs.day) + (1 - trust)  # a few days say no rhythm
    own = {pid: expected_units(daily, inputs.day, factor) for pid, daily in products.items()}
    prior = portrait_rates(inputs.portraits.get(compound_id))
    if trust >= 1.0 or not prior:
        return own
    return {pid: trust * own.get(pid, 0.0) + (1 - trust) * prior.get(pid, 0.0) * factor
            for pid in own.keys() | prior.keys()}


def with_margin(expected: float, margin: Margin) -> int:
    """Units to carry for `expected` units of forecast demand (a fraction from CARRY_FROM up is one more)."""
    carried = floor(expected * (1 + margin.percent / 100) + 1 - CARRY_FROM)
    if carried >= 1:
        carried = max(carried, floor(expected + 1 - CARRY_FROM) + margin.minimum)
    return carried


def split_by_compound(total: int, firm: Mapping[int, int], expected: Mapping[int, float]) -> dict[int, int]:
    """The product's `total` over compounds: each its firm units, the rest by expected share
    (largest remainder), so the parts add up to the total."""
    parts = dict(firm)
    rest = total - sum(firm.values())
    weight = sum(expected.values())
    if rest > 0 and weight > 0:
        shares = {c: rest * e / weight for c, e in expected.items()}
        floors = {c: floor(s) for c, s in shares.items()}
        left = rest - sum(floors.values())
        for c in sorted(shares, key=lambda c: (floors[c] - shares[c], c))[:left]:
            floors[c] += 1
        for c, units in floors.items():
            parts[c] = parts.get(c, 0) + units
    return {c: units for c, units in sorted(parts.items()) if units > 0}


def firm_demand(inputs: DemandInputs) -> dict[tuple[int, int], int]:
    firm: dict[tuple[int, int], int] = defaultdict(int)
    for source in (inputs.next_run_orders, inputs.prizes, inputs.wishes):
        for key, units in source.items():
            if key[0] in inputs.compound_ids and units > 0:
                firm[key] += units
    return firm


def suggest_load(inputs: DemandInputs) -> list[SuggestedLine]:
    """The suggested van load: one line per product worth carrying, by product id."""
    by_compound: dict[int, dict[int, Mapping[date, int]]] = defaultdict(dict)
    for (compound_id, product_id), daily in inputs.sales.items():
        if compound_id in inputs.compound_ids:
            by_compound[compound_id][product_id] = daily
    expected: dict[int, dict[int, float]] = defaultdict(dict)  # product -> compound -> units
    for compound_id in inputs.compound_ids:
        for product_id, units in compound_forecast(inputs, compound_id, by_compound[compound_id]).items():
            if units > 0:
                expected[product_id][compound_id] = units
    firm: dict[int, dict[int, int]] = defaultdict(dict)
    for (compound_id, product_id), units in firm_demand(inputs).items():
        firm[product_id][compound_id] = units
    lines = []
    for product_id in sorted(expected.keys() | firm.keys()):
        forecast = sum(expected[product_id].values())
        total = with_margin(forecast, inputs.margin) + sum(firm[product_id].values())
        if total > 0:
            lines.append(SuggestedLine(product_id, total,
                                       split_by_compound(total, firm[product_id], expected[product_id]),
                                       round(forecast, 2)))
    return lines
