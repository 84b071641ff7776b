"""Offline check of "recommended for you" (issue 15) on the synthetic city (bench/city.py).

    .venv/bin/python -m bench.recommend [--seed 7] [--holdout-days 28]

Loads the city's orders before the last weeks into an in-memory SQLite database (the app's
models), refreshes every compound's portrait with the app's code as of the cut-off, then for
each shopper who ordered in the held-out weeks ranks 10 products four ways: the app's own
ranking (app/services/portrait/personal.recommended_ids), the city's best-sellers, the
compound's best-sellers, random. A hit is a ranked product the shopper bought in the held-out
weeks; prints hit-rate@10 and NDCG@10 for cold-start shoppers (at most one order before the
cut-off) and for all.
"""
from __future__ import annotations

import argparse
import math
import platform
import random
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timedelta

from app import create_app
from app.extensions import db
from app.models import Base
from app.services.portrait.days import day_start
from app.services.portrait.personal import recommended_ids
from app.services.portrait.portraits import WINDOW_DAYS, refresh_portrait
from bench.city import build_city, load_into

K = 10


def ndcg(ranked: list[int], relevant: set[int]) -> float:
    gain = sum(1 / math.log2(n + 2) for n, pid in enumerate(ranked[:K]) if pid in relevant)
    ideal = sum(1 / math.log2(n + 2) for n in range(min(len(relevant), K)))
    return gain / ideal if ideal else 0.0


def best_sellers(orders) -> list[int]:
    units = Counter()
    for order in orders:
        for product_id, quantity in order.lines:
            units[product_id] += quantity
    return [pid for pid, _ in sorted(units.items(), key=lambda kv: (-kv[1], kv[0]))[:K]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--holdout-days", type=int, default=28)
    args = parser.parse_args()
    started = time.perf_counter()
    city = build_city(seed=args.seed)
    cutoff = day_start(city.start + timedelta(days=city.days - args.holdout_days))
    train = [o for o in city.orders if o.at < cutoff]
    held = [o for o in city.orders if o.at >= cutoff]
    window = [o for o in train if o.at >= cutoff - timedelta(days=WINDOW_DAYS)]
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": "sqlite://", "ROUND_SWEEPER": False,
                      "SOCKETIO_ASYNC_MODE": "threading", "REDIS_URL": None, "PAYMENT_SETTLER": False})
    with app.app_context():
        Base.metadata.create_all(db.engine)
        load_into(db.session, replace(city, orders=train))
        for compound in city.compounds:
            refresh_portrait(db.session, compound.id, cutoff)
        db.session.commit()
        built = time.perf_counter() - started
        trained_orders = Counter(o.shopper_id for o in train)
        bought = defaultdict(set)
        for order in held:
            bought[order.shopper_id].update(pid for pid, _ in order.lines)
        compound_of = {s.id: s.compound_id for s in city.shoppers}
        city_top = best_sellers(window)
        by_compound = defaultdict(list)
        for order in window:
            by_compound[order.compound_id].append(order)
        compound_top = {cid: best_sellers(orders) for cid, orders in by_compound.items()}
        rng = random.Random(args.seed)
        product_ids = [p.id for p in city.products]
        rankers = {
            "portrait (the app's ranking)": lambda sid: recommended_ids(db.session, sid, compound_of[sid], cutoff,
                                                                        None, K),
            "global best-sellers": lambda sid: city_top,
            "compound best-sellers": lambda sid: compound_top.get(compound_of[sid], city_top),
            "random": lambda sid: rng.sample(product_ids, K),
        }
        scores = {name: {"cold": [], "all": []} for name in rankers}
        for shopper_id in sorted(bought):
            cold = trained_orders[shopper_id] <= 1
            for name, ranker in rankers.items():
                ranked = ranker(shopper_id)
                figures = (1.0 if set(ranked) & bought[shopper_id] else 0.0, ndcg(ranked, bought[shopper_id]))
                scores[name]["all"].append(figures)
                if cold:
                    scores[name]["cold"].append(figures)
    elapsed = time.perf_counter() - started
    print_table(scores, city, train, held, built, elapsed)


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def print_table(scores, city, train, held, built, elapsed) -> None:
    cold_n, all_n = (len(scores["random"][group]) for group in ("cold", "all"))
    print(f"synthetic city: {len(city.compounds)} compounds, {len(city.shoppers)} shoppers, {len(city.products)} "
          f"products, {len(train)} orders before the cut-off, {len(held)} in the held-out weeks")
    print(f"shoppers ranked: {all_n} (cold-start, <= 1 order before: {cold_n})")
    print(f"{'ranking':32s} {'cold hit@10':>11s} {'cold NDCG@10':>12s} {'all hit@10':>10s} {'all NDCG@10':>11s}")
    for name, groups in scores.items():
        cold, every = groups["cold"], groups["all"]
        print(f"{name:32s} {mean(h for h, _ in cold):11.3f} {mean(n for _, n in cold):12.3f} "
              f"{mean(h for h, _ in every):10.3f} {mean(n for _, n in every):11.3f}")
    portrait, best = scores["portrait (the app's ranking)"]["cold"], scores["global best-sellers"]["cold"]
    for label, pick in (("hit-rate@10", 0), ("NDCG@10", 1)):
        ours, theirs = mean(f[pick] for f in portrait), mean(f[pick] for f in best)
        print(f"cold-start {label}: portrait {ours:.3f} vs global best-sellers {theirs:.3f}: "
              f"{ours - theirs:+.3f} ({100 * (ours / theirs - 1) if theirs else float('inf'):+.0f}%)")
    print(f"set-up {built:.1f} s, total {elapsed:.1f} s on {platform.machine()} {platform.python_implementation()} "
          f"{platform.python_version()}")


if __name__ == "__main__":
    main()
