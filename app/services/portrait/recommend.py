"""Recommended for you: the storefront's ranking for one shopper, a pure function.

A product's score estimates how likely this shopper buys it next: the share of their units
its category takes, times its popularity inside that category (units, not spend: a pricey
category takes much of the spend but is bought less often). For a newcomer both come from
the compound's portrait (the city's when the compound has no orders yet); as the shopper's own
orders grow, their own category shares and own products weigh more (n / (n + OWN_HALF_WEIGHT)).
Items they bought recently and items today's van has run out of are not pushed.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

OWN_HALF_WEIGHT = 3  # orders at which the shopper's own history weighs as much as the compound
PRIOR_UNITS = 5.0  # how many units of city-wide popularity smooth the compound's within a category
UNSEEN_CATEGORY_SHARE = 0.001  # a category nobody here buys still ranks, last


@dataclass(frozen=True)
class History:
    """One shopper's own orders: how many, units by product, and the products bought too
    recently to push again."""

    orders: int = 0
    product_units: dict[int, int] = field(default_factory=dict)
    recent: frozenset[int] = frozenset()


def own_weight(history: History) -> float:
    return history.orders / (history.orders + OWN_HALF_WEIGHT)


def rank(categories: dict[int, str], compound_units: dict[int, int], city_units: dict[int, int], own: History,
         left_on_van: dict[int, int] | None = None, size: int = 10) -> list[int]:
    """The `size` best product ids among `categories` (product id -> category) for this
    shopper, from units by product of the compound (its portrait), of the city and their own."""
    base = compound_units or city_units
    weight = own_weight(own)
    base_share, own_share = category_shares(categories, base), category_shares(categories, own.product_units)
    pop = within_category(categories, base, within_category(categories, city_units))
    own_pop = within_category(categories, own.product_units, pop, prior_units=0.0)
    scores = {}
    for product_id, category in categories.items():
        if product_id in own.recent or (left_on_van is not None and left_on_van.get(product_id, 0) <= 0):
            continue
        share = (1 - weight) * base_share.get(category, UNSEEN_CATEGORY_SHARE) + weight * own_share.get(category, 0.0)
        scores[product_id] = share * ((1 - weight) * pop[product_id] + weight * own_pop[product_id])
    return sorted(scores, key=lambda pid: (-scores[pid], pid))[:size]


def category_shares(categories: dict[int, str], units: dict[int, int]) -> dict[str, float]:
    """Each category's share of the units."""
    by_category = defaultdict(int)
    for product_id, count in units.items():
        if product_id in categories:
            by_category[categories[product_id]] += count
    total = sum(by_category.values())
    return {category: count / total for category, count in by_category.items()} if total else {}


def within_category(categories: dict[int, str], units: dict[int, int], prior: dict[int, float] | None = None,
                    *, prior_units: float = PRIOR_UNITS) -> dict[int, float]:
    """Each product's share of its category's units, smoothed toward `prior` (uniform when None)
    with `prior_units` pseudo-units; where the category has no units the prior itself."""
    members = defaultdict(list)
    for product_id, category in categories.items():
        members[category].append(product_id)
    found = {}
    for products in members.values():
        total = sum(units.get(p, 0) for p in products)
        for p in products:
            fallback = prior[p] if prior is not None else 1 / len(products)
            found[p] = (units.get(p, 0) + prior_units * fallback) / (total + prior_units) if total + prior_units \
                else fallback
    return found
