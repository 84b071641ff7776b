"""When to buy what a shopper wishes for: a pure function of today's offers and the calendar.

Buy today if today's price for this shopper (deal, coupon, open group deal) is no dearer than
the best price the calendar expects before their need-by date; else wait for the event with
the best expected price (the earliest of equals), saving the difference. A category wish is
planned for the category's cheapest item at today's price within the budget (the cheapest of
all when none is within it).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

ANY_CATEGORY = "*"  # an event's discount for categories it does not name


@dataclass(frozen=True)
class Offer:
    """One product as this shopper can buy it today."""

    product_id: int
    name: str
    category: str
    list_price_fen: int
    today_price_fen: int
    today_source: str = "list"  # list, deal, coupon or group: what gives today's price


@dataclass(frozen=True)
class Event:
    """A promotion of the calendar: Asia/Shanghai days, both included; percent off the list price by category."""

    id: int
    name: str
    starts_on: date
    ends_on: date
    discount_pct: Mapping[str, int]

    def pct_for(self, category: str) -> int:
        return int(self.discount_pct.get(category, self.discount_pct.get(ANY_CATEGORY, 0)))


@dataclass(frozen=True)
class Plan:
    """API.md's plan (buy_on, event_id, expected_price_fen, saving_fen) and what it was made for."""

    buy_on: date
    event_id: int | None
    expected_price_fen: int
    saving_fen: int  # against buying today
    product_id: int
    today_price_fen: int
    within_budget: bool


def expected_price(event: Event, offer: Offer) -> int:
    """The list price less the event's expected discount for the offer's category, to the fen."""
    return round(offer.list_price_fen * (100 - event.pct_for(offer.category)) / 100)


def events_in_reach(events: Iterable[Event], today: date, need_by: date) -> list[Event]:
    """Events still to come or running, that start on or before the need-by date."""
    return [e for e in events if e.ends_on >= today and e.starts_on <= need_by]


def plan_offer(offer: Offer, events: Iterable[Event], today: date, need_by: date,
               budget_fen: int | None = None) -> Plan:
    """The plan for one product: today, or the event with the best expected price."""
    best: tuple[int, date, int] | None = None  # (expected price, starts_on, event id)
    for event in events_in_reach(events, today, need_by):
        candidate = (expected_price(event, offer), event.starts_on, event.id)
        if best is None or candidate < best:
            best = candidate
    if best is None or offer.today_price_fen <= best[0]:
        price, buy_on, event_id = offer.today_price_fen, today, None
    else:
        price, buy_on, event_id = best[0], max(best[1], today), best[2]
    return Plan(buy_on=buy_on, event_id=event_id, expected_price_fen=price,
                saving_fen=offer.today_price_fen - price, product_id=offer.product_id,
                today_price_fen=offer.today_price_fen,
                within_budget=budget_fen is None or price <= budget_fen)


def typical_offer(offers: Sequence[Offer], budget_fen: int | None) -> Offer | None:
    """A category's item to plan for: the cheapest today within budget, else the cheapest today."""
    if not offers:
        return None
    affordable = [o for o in offers if budget_fen is None or o.today_price_fen <= budget_fen]
    return min(affordable or offers, key=lambda o: (o.today_price_fen, o.product_id))


def plan_wish(offers: Sequence[Offer], events: Iterable[Event], today: date, need_by: date,
              budget_fen: int | None = None) -> Plan | None:
    """The plan for a wish: one offer for a product wish, the category's for a category wish;
    None when there is nothing to buy (an empty category)."""
    offer = typical_offer(offers, budget_fen)
    if offer is None:
        return None
    return plan_offer(offer, events, today, need_by, budget_fen)
