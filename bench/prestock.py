"""Offline benchmark of the pre-stock suggestion: `python -m bench.prestock`.

Builds the synthetic city (bench/city.py), loads it into a SQLite database in memory through the
app's models, and for each courier and each day of the held-out last weeks computes the van load
the app would suggest (the app's own loader and suggest_load, fed only the orders before that day,
with the default safety margin) and the naive load, yesterday's sales. Against the day's orders
it prints the share of demand each load covers (sum of min(load, demand) / demand) and the share
of each load left unsold (sum of max(load - demand, 0) / load), per product on the courier's van.

`--offset-weeks 4` scores the four weeks before the held-out ones instead: the weeks the
method's constants and the default margin were chosen on.
"""
from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.models import Base
from app.services.prestock.demand import suggest_load
from app.services.prestock.inputs import daily_sales, demand_inputs
from app.services.prestock.plans import DEFAULT_MARGIN
from bench.city import build_city, load_into


@dataclass
class Score:
    covered: int = 0
    demand: int = 0
    left: int = 0
    loaded: int = 0

    def add(self, load: dict[int, int], demand: dict[int, int]) -> None:
        for product_id in load.keys() | demand.keys():
            carried, wanted = load.get(product_id, 0), demand.get(product_id, 0)
            self.covered += min(carried, wanted)
            self.left += max(carried - wanted, 0)
            self.demand += wanted
            self.loaded += carried

    @property
    def coverage(self) -> float:
        return self.covered / self.demand if self.demand else 0.0

    @property
    def unsold(self) -> float:
        return self.left / self.loaded if self.loaded else 0.0


def units_on(sales, compound_ids, day: date) -> dict[int, int]:
    """{product_id: units} the route's compounds ordered on `day`."""
    units: dict[int, int] = defaultdict(int)
    for (compound_id, product_id), days in sales.items():
        if compound_id in compound_ids and days.get(day):
            units[product_id] += days[day]
    return units


def run(seed: int, weeks: int, offset_weeks: int) -> tuple[Score, Score, int]:
    city = build_city(seed=seed)
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    sales = daily_sales((o.at, o.compound_id, product_id, units) for o in city.orders for product_id, units in o.lines)
    end = city.start + timedelta(days=city.days - 7 * offset_weeks)
    days = [end - timedelta(days=n) for n in range(7 * weeks, 0, -1)]
    suggested, naive = Score(), Score()
    with Session(engine) as session:
        load_into(session, city)
        session.commit()
        for courier in city.couriers:
            for day in days:
                lines = suggest_load(demand_inputs(session, courier.id, day, DEFAULT_MARGIN))
                demand = units_on(sales, courier.compound_ids, day)
                suggested.add({line.product_id: line.quantity for line in lines}, demand)
                naive.add(units_on(sales, courier.compound_ids, day - timedelta(days=1)), demand)
    return suggested, naive, len(city.couriers) * len(days)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--weeks", type=int, default=4, help="held-out weeks scored (default 4)")
    parser.add_argument("--offset-weeks", type=int, default=0,
                        help="score the weeks this many weeks before the last ones (4: the tuning weeks)")
    args = parser.parse_args()
    started = time.monotonic()
    suggested, naive, runs = run(args.seed, args.weeks, args.offset_weeks)
    print(f"pre-stock: {runs} courier-days (seed {args.seed}, {args.weeks} weeks, offset {args.offset_weeks}), "
          f"margin {DEFAULT_MARGIN.percent}% / min {DEFAULT_MARGIN.minimum}, {time.monotonic() - started:.1f} s")
    print("| load | demand covered | load left unsold | units loaded | units demanded |")
    print("|---|---:|---:|---:|---:|")
    for name, score in (("suggested (app)", suggested), ("yesterday's sales", naive)):
        print(f"| {name} | {score.coverage:.1%} | {score.unsold:.1%} | {score.loaded} | {score.demand} |")
    print(f"suggested vs naive: covers {100 * (suggested.coverage - naive.coverage):+.1f} points of demand, "
          f"leaves {100 * (suggested.unsold - naive.unsold):+.1f} points of the load unsold")
    if not (suggested.coverage > naive.coverage and suggested.unsold <= naive.unsold):
        raise SystemExit("the suggestion does not beat yesterday's sales")


if __name__ == "__main__":
    main()
