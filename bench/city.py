"""A synthetic city for the offline benchmarks of issue 15 (bench.recommend, bench.prestock).

    city = build_city(seed=7)          # deterministic from the seed, a few seconds
    load_into(db.session, city)        # the app's tables, ids as in `city`

Compounds have kinds (families with babies, elderly, young renters, mixed) that set their
category weights, price sensitivity and hours; each shopper's taste is their compound's with
personal noise, plus a few favourite products they buy again. Products are Zipf-popular
inside their category. Shoppers join over the year (so some are newcomers in the last weeks),
order at their own rate with weekday and time-of-day rhythms, 1-4 lines an order.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# category -> (products, lowest and highest list price in fen); the demo's categories and more.
CATEGORIES = {
    "生鲜": (12, 800, 4_000),
    "乳品": (8, 1_500, 7_000),
    "粮油": (8, 2_000, 16_000),
    "饮料": (10, 300, 5_000),
    "零食": (12, 500, 13_000),
    "日用": (10, 1_000, 7_000),
    "调味": (6, 500, 3_000),
    "母婴": (10, 3_000, 25_000),
    "酒水": (6, 3_000, 30_000),
    "保健": (6, 5_000, 20_000),
    "个护": (8, 1_500, 9_000),
}

# kind -> category weights (missing: 0.2), price sensitivity (0: indifferent), hour weights
# (local hours 7-22), orders a week of an average shopper.
KINDS = {
    "families": dict(
        tastes={"母婴": 3.0, "乳品": 2.2, "生鲜": 1.8, "零食": 1.0, "日用": 1.2, "粮油": 0.8, "个护": 0.8},
        price_sensitivity=0.3, hours={8: 1, 10: 2, 12: 1, 17: 2, 19: 3, 20: 3, 21: 2}, weekly=0.9),
    "elderly": dict(
        tastes={"生鲜": 3.0, "粮油": 2.0, "调味": 1.6, "保健": 1.6, "乳品": 1.0, "日用": 0.8},
        price_sensitivity=1.3, hours={7: 3, 8: 4, 9: 3, 10: 2, 15: 1, 16: 1}, weekly=0.8),
    "renters": dict(
        tastes={"饮料": 2.6, "零食": 2.6, "酒水": 1.6, "个护": 1.4, "日用": 0.8, "乳品": 0.5},
        price_sensitivity=0.6, hours={12: 1, 19: 2, 20: 3, 21: 4, 22: 3}, weekly=0.6),
    "mixed": dict(
        tastes={"生鲜": 1.4, "乳品": 1.0, "粮油": 1.0, "饮料": 1.0, "零食": 1.0, "日用": 1.0, "调味": 0.8},
        price_sensitivity=0.6, hours={9: 1, 11: 1, 17: 2, 19: 2, 20: 2}, weekly=0.7),
}
WEEKDAY = (1.0, 0.9, 0.9, 1.0, 1.2, 1.5, 1.4)  # Monday first: weekends busier
LINES = (1, 2, 3, 4)
LINE_WEIGHTS = (0.45, 0.3, 0.17, 0.08)


@dataclass(frozen=True)
class CityProduct:
    id: int
    name: str
    category: str
    price_fen: int


@dataclass(frozen=True)
class CityCompound:
    id: int
    name: str
    city: str
    tastes: dict[str, float]  # category -> weight, summing to 1
    kind: str = "mixed"
    price_sensitivity: float = 0.6


@dataclass(frozen=True)
class CityShopper:
    id: int
    compound_id: int
    joined: date | None = None


@dataclass(frozen=True)
class CityCourier:
    id: int
    compound_ids: tuple[int, ...]


@dataclass(frozen=True)
class CityOrder:
    id: int
    shopper_id: int
    compound_id: int
    courier_id: int
    at: datetime  # UTC
    lines: tuple[tuple[int, int], ...]  # (product_id, quantity)


@dataclass
class City:
    products: list[CityProduct]
    compounds: list[CityCompound]
    shoppers: list[CityShopper]
    couriers: list[CityCourier]
    orders: list[CityOrder]  # sorted by `at`
    start: date
    days: int
    by_id: dict[int, CityProduct] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.by_id = {p.id: p for p in self.products}

    def total_fen(self, order: CityOrder) -> int:
        return sum(self.by_id[product_id].price_fen * quantity for product_id, quantity in order.lines)


def build_city(seed: int = 7, compounds: int = 24, shoppers_per_compound: int = 60,
               days: int = 365, start: date = date(2025, 12, 1)) -> City:
    rng = random.Random(seed)
    products = _products(rng)
    by_category: dict[str, list[CityProduct]] = {}
    for product in products:
        by_category.setdefault(product.category, []).append(product)
    kinds = list(KINDS)
    places = []
    for n in range(compounds):
        kind = kinds[n % len(kinds)]
        spec = KINDS[kind]
        raw = {c: spec["tastes"].get(c, 0.2) * rng.uniform(0.75, 1.3) for c in CATEGORIES}
        places.append(CityCompound(id=n + 1, name=f"合成小区{n + 1:02d}", city="上海", tastes=_normalised(raw),
                                   kind=kind, price_sensitivity=spec["price_sensitivity"]))
    couriers = [CityCourier(id=n // 3 + 1, compound_ids=tuple(c.id for c in places[n:n + 3]))
                for n in range(0, compounds, 3)]
    courier_of = {cid: courier.id for courier in couriers for cid in courier.compound_ids}
    shoppers, orders = [], []
    for place in places:
        for _ in range(shoppers_per_compound):
            shopper = CityShopper(id=len(shoppers) + 1, compound_id=place.id,
                                  joined=start + timedelta(days=_join_day(rng, days)))
            shoppers.append(shopper)
            orders.extend(_orders_of(rng, shopper, place, by_category, courier_of[place.id], start, days))
    orders.sort(key=lambda o: (o.at, o.shopper_id))
    orders = [CityOrder(id=n + 1, shopper_id=o.shopper_id, compound_id=o.compound_id, courier_id=o.courier_id,
                        at=o.at, lines=o.lines) for n, o in enumerate(orders)]
    return City(products=products, compounds=places, shoppers=shoppers, couriers=couriers, orders=orders,
                start=start, days=days)


def _products(rng: random.Random) -> list[CityProduct]:
    products = []
    for category, (count, low, high) in CATEGORIES.items():
        for n in range(count):
            price = round(math.exp(rng.uniform(math.log(low), math.log(high))) / 10) * 10
            products.append(CityProduct(id=len(products) + 1, name=f"{category}{n + 1:02d}", category=category,
                                        price_fen=price))
    return products


def _normalised(weights: dict) -> dict:
    total = sum(weights.values())
    return {key: value / total for key, value in weights.items()}


def _join_day(rng: random.Random, days: int) -> int:
    """Half the shoppers were there from the start; the rest join evenly over the year."""
    return 0 if rng.random() < 0.5 else rng.randrange(days)


def _orders_of(rng, shopper, place, by_category, courier_id, start, days) -> list[CityOrder]:
    spec = KINDS[place.kind]
    tastes = _normalised({c: w * math.exp(rng.gauss(0, 0.5)) for c, w in place.tastes.items()})
    # Product choice: Zipf popularity inside the category, cheaper ones for price-sensitive compounds.
    choice = {}
    for category, items in by_category.items():
        median = sorted(p.price_fen for p in items)[len(items) // 2]
        choice[category] = (items, [(1 / (rank + 1)) * (p.price_fen / median) ** -place.price_sensitivity
                                    for rank, p in enumerate(items)])
    categories, category_weights = list(tastes), list(tastes.values())
    favourites = [_pick(rng, choice, categories, category_weights) for _ in range(3)]
    weekly = spec["weekly"] * rng.gammavariate(1.5, 1 / 1.5)
    hours, hour_weights = list(spec["hours"]), list(spec["hours"].values())
    orders = []
    day = (shopper.joined - start).days
    while True:
        day += rng.expovariate(weekly / 7) if weekly > 0 else days
        if day >= days:
            return orders
        local_day = start + timedelta(days=int(day))
        if rng.random() > WEEKDAY[local_day.weekday()] / max(WEEKDAY):
            continue
        local = datetime(local_day.year, local_day.month, local_day.day, rng.choices(hours, hour_weights)[0],
                         rng.randrange(60), rng.randrange(60), tzinfo=SHANGHAI)
        lines: dict[int, int] = {}
        for _ in range(rng.choices(LINES, LINE_WEIGHTS)[0]):
            product = rng.choice(favourites) if rng.random() < 0.35 else _pick(rng, choice, categories,
                                                                               category_weights)
            lines[product.id] = lines.get(product.id, 0) + (1 if rng.random() < 0.8 else 2)
        orders.append(CityOrder(id=0, shopper_id=shopper.id, compound_id=place.id, courier_id=courier_id,
                                at=local.astimezone(timezone.utc), lines=tuple(lines.items())))


def _pick(rng, choice, categories, category_weights) -> CityProduct:
    items, weights = choice[rng.choices(categories, category_weights)[0]]
    return rng.choices(items, weights)[0]


def load_into(session, city: City) -> None:
    """Write the city through the app's models, ids as in `city` (bulk inserts), and flush.

    On PostgreSQL the id sequences are moved past the inserted ids afterwards."""
    from sqlalchemy import insert, text

    from app.models import Compound, Courier, Order, OrderItem, Product, Shopper
    from app.models.courier import courier_compounds

    created = datetime.combine(city.start, datetime.min.time(), tzinfo=timezone.utc) - timedelta(days=1)
    session.execute(insert(Product), [dict(id=p.id, name=p.name, category=p.category, price_fen=p.price_fen,
                                           created_at=created) for p in city.products])
    session.execute(insert(Compound), [
        dict(id=c.id, name=c.name, city=c.city, district="合成区", lat=31.2 + c.id / 1000, lng=121.5, radius_m=400,
             aliases=[], created_at=created) for c in city.compounds])
    session.execute(insert(Courier), [
        dict(id=c.id, employee_no=f"CITY{c.id:04d}", name=f"合成小哥{c.id}", password_hash="-",
             courier_code=f"city-courier-{c.id}", created_at=created, token_version=0) for c in city.couriers])
    session.execute(insert(courier_compounds), [dict(courier_id=c.id, compound_id=cid)
                                                for c in city.couriers for cid in c.compound_ids])
    session.execute(insert(Shopper), [
        dict(id=s.id, openid=f"city-shopper-{s.id}", session_key="", created_at=created) for s in city.shoppers])
    order_rows, item_rows = [], []
    for order in city.orders:
        total = city.total_fen(order)
        order_rows.append(dict(id=order.id, shopper_id=order.shopper_id, courier_id=order.courier_id,
                               compound_id=order.compound_id, source="store", status="completed",
                               subtotal_fen=total, discount_fen=0, total_fen=total,
                               pickup_code=f"{order.id % 1_000_000:06d}", pay_method="at_van",
                               completed_at=order.at, created_at=order.at))
        item_rows.extend(dict(order_id=order.id, product_id=product_id, quantity=quantity,
                              unit_price_fen=city.by_id[product_id].price_fen)
                         for product_id, quantity in order.lines)
    for start in range(0, len(order_rows), 5000):
        session.execute(insert(Order), order_rows[start:start + 5000])
    for start in range(0, len(item_rows), 5000):
        session.execute(insert(OrderItem), item_rows[start:start + 5000])
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        for table in ("products", "compounds", "couriers", "shoppers", "orders", "order_items"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
