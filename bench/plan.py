"""The shopping plan measured on the synthetic city (issue 16): `python -m bench.plan [--seed 7]`.

On bench/city.py's city, as of the day after its year of orders: the coming year's calendar of
app/demo.py (年货节, 38, 618, 99, 双11, 双12 with discounts by category); today's prices with a
share of products on a compound deal, some shoppers holding a coupon, a few open group deals
per compound; 0-3 wishes per shopper drawn from their compound's tastes (a product, or a
category with a budget), each needed 1-52 weeks ahead. Every wish is planned by the app's pure
`plan_wish` with today's offers priced as the app's loader prices them (`with_best_coupon`).
Printed: the plan's total saving against buying every wish at once today, and how many wishes
wait for which event. Under a second or two: no database (the loader is tested in tests/).
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import timedelta
from collections import Counter, defaultdict

from app.demo import coming_year
from app.services.shopping_plan.offers import with_best_coupon
from app.services.shopping_plan.plan import Event, Offer, plan_wish
from bench.city import build_city

DEAL_SHARE = 0.25            # products on a compound deal today, 5-30 % off
COUPON_HOLDERS = 0.2         # shoppers holding a 满50减8 coupon usable today
COUPON = (800, 5000)         # (discount_fen, threshold_fen)
GROUP_DEALS_PER_COMPOUND = 3 # open group deals, 15-30 % off
CATEGORY_WISH_SHARE = 0.3    # wishes for "any item of a category", with a budget


def todays_offers(city, compound_id, coupons, deals, groups) -> dict[int, Offer]:
    offers = {}
    for product in city.products:
        choices = [(product.price_fen, "list")]
        deal = deals.get((compound_id, product.id))
        if deal is not None:
            choices.append((deal, "deal"))
        choices.append((with_best_coupon(min(choices)[0], coupons), "coupon"))
        if (compound_id, product.id) in groups:
            choices.append((groups[compound_id, product.id], "group"))
        price, source = min(choices, key=lambda choice: choice[0])
        offers[product.id] = Offer(product.id, product.name, product.category, product.price_fen, price, source)
    return offers


def draw_world(rng, city):
    deals, groups = {}, {}
    for place in city.compounds:
        for product in city.products:
            if rng.random() < DEAL_SHARE:
                deals[place.id, product.id] = round(product.price_fen * (1 - rng.uniform(0.05, 0.30)))
        for product in rng.sample(city.products, GROUP_DEALS_PER_COMPOUND):
            groups[place.id, product.id] = round(product.price_fen * (1 - rng.uniform(0.15, 0.30)))
    return deals, groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    rng = random.Random(args.seed)
    city = build_city(seed=args.seed)
    today = city.start + timedelta(days=city.days)
    events = [Event(n + 1, name, s, e, pct) for n, (name, s, e, pct) in enumerate(coming_year(today))]
    deals, groups = draw_world(rng, city)
    by_category = defaultdict(list)
    for product in city.products:
        by_category[product.category].append(product)
    places = {c.id: c for c in city.compounds}
    wishes = waited = 0
    today_total = planned_total = saving = 0
    waiting, now_reasons = Counter(), Counter()
    for shopper in city.shoppers:
        place = places[shopper.compound_id]
        coupons = [COUPON] if rng.random() < COUPON_HOLDERS else []
        offers = todays_offers(city, place.id, coupons, deals, groups)
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            category = rng.choices(list(place.tastes), weights=list(place.tastes.values()))[0]
            need_by = today + timedelta(days=rng.randint(7, 364))
            if rng.random() < CATEGORY_WISH_SHARE:
                prices = sorted(p.price_fen for p in by_category[category])
                budget = prices[len(prices) // 2]
                choices = [offers[p.id] for p in by_category[category]]
            else:
                budget, choices = None, [offers[rng.choice(by_category[category]).id]]
            plan = plan_wish(choices, events, today, need_by, budget)
            wishes += 1
            today_total += plan.today_price_fen
            planned_total += plan.expected_price_fen
            saving += plan.saving_fen
            if plan.event_id is None:
                reachable = any(e.starts_on <= need_by for e in events)
                now_reasons["no event expected to beat today's price" if reachable else "no event before need-by"] += 1
            else:
                waited += 1
                waiting[plan.event_id] += 1
    names = {e.id: (f"buy today, in {e.name} (running)" if e.starts_on <= today else
                    f"wait for {e.name} ({e.starts_on:%Y-%m-%d})") for e in events}
    print(f"synthetic city (seed {args.seed}): {len(city.compounds)} compounds, {len(city.shoppers)} shoppers, "
          f"{len(city.products)} products; today {today}; {wishes} wishes")
    print(f"buy every wish today: {today_total / 100:,.2f} yuan; as planned: {planned_total / 100:,.2f} yuan; "
          f"saving {saving / 100:,.2f} yuan ({100 * saving / today_total:.1f} %), "
          f"{saving / max(waited, 1) / 100:.2f} yuan a wish planned for an event")
    print("| plan | wishes |\n|---|---:|")
    for reason, count in sorted(now_reasons.items()):
        print(f"| buy today: {reason} | {count} |")
    for event_id, count in sorted(waiting.items()):
        print(f"| {names[event_id]} | {count} |")
    print(f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
