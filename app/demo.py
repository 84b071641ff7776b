"""Demo data: three compounds in Pudong, two couriers, a shelf of products, deals and coupons.

Seeding is idempotent: a second run finds the demo staff account and changes nothing.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Courier, Shopper, Staff, utcnow
from app.services import campaigns
from app.services.accounts import staff
from app.services.couriers import registry
from app.services.places import compounds
from app.services.places.addresses import add_address
from app.services.store import catalog, coupons, orders
from app.services.shopping_plan.calendar import create_event
from app.services.shopping_plan.wishes import local_today
from app.services.store.storefront import open_store_session

DEMO_PASSWORD = "xiaoge-demo"
COMPOUNDS = [
    dict(name="阳光花园", city="上海", district="浦东新区", lat=31.2304, lng=121.5470, radius_m=350,
         aliases=["阳光小区", "Sunshine Garden"]),
    dict(name="翠湖天地", city="上海", district="浦东新区", lat=31.2231, lng=121.5532, radius_m=300,
         aliases=["翠湖"]),
    dict(name="金桥新城", city="上海", district="浦东新区", lat=31.2601, lng=121.5923, radius_m=500,
         aliases=[]),
]
PRODUCTS = [  # name, category, list price (fen), deal price, deal kind
    ("农夫山泉 550ml×24", "饮料", 3990, 2990, "compound"),
    ("蒙牛纯牛奶 250ml×16", "乳品", 5990, 4590, "compound"),
    ("五常大米 5kg", "粮油", 8990, 6990, "staff"),
    ("鲁花花生油 5L", "粮油", 15990, 11990, "staff"),
    ("维达抽纸 3层×24包", "日用", 6990, 3990, "clearance"),
    ("海天生抽 1.28L", "调味", 2290, None, None),
    ("三只松鼠 坚果礼盒", "零食", 12900, 8900, "compound"),
    ("新鲜鸡蛋 30枚", "生鲜", 2680, 1980, "compound"),
]

# The year's shopping events: name, (month, day) first and last, percent off expected by category.
YEAR_CALENDAR = [
    ("年货节", (1, 10), (1, 25), {"粮油": 15, "零食": 25, "酒水": 20, "饮料": 10, "保健": 15, "调味": 10}),
    ("38女神节", (3, 1), (3, 8), {"个护": 25, "保健": 15, "零食": 10}),
    ("618", (6, 1), (6, 18), {"母婴": 20, "乳品": 15, "日用": 20, "个护": 20, "饮料": 15, "*": 10}),
    ("99大促", (9, 1), (9, 9), {"生鲜": 10, "粮油": 10, "日用": 15, "零食": 15}),
    ("双11", (10, 20), (11, 11), {"母婴": 30, "乳品": 20, "日用": 25, "个护": 25, "保健": 20, "酒水": 20, "*": 15}),
    ("双12", (12, 1), (12, 12), {"零食": 15, "日用": 15, "饮料": 10}),
]


def coming_year(today: date) -> list[tuple[str, date, date, dict]]:
    """The calendar's events over the next 12 months: each at its next dates not yet over, by date."""
    events = []
    for name, (m1, d1), (m2, d2), pct in YEAR_CALENDAR:
        year = today.year if date(today.year, m2, d2) >= today else today.year + 1
        events.append((name, date(year, m1, d1), date(year, m2, d2), pct))
    return sorted(events, key=lambda event: event[1])


def seed_demo(session: Session) -> list[str]:
    """Create the demo world unless it exists; return lines worth printing."""
    if session.scalar(select(Staff.id).where(Staff.username == "admin")):
        return ["demo data present already"]
    for username, role in (("admin", "admin"), ("marketing", "marketing"), ("ops", "ops")):
        staff.create_staff(session, username, DEMO_PASSWORD, role)
    places = [compounds.create_compound(session, **fields) for fields in COMPOUNDS]
    wang = registry.create_courier(session, employee_no="E1001", name="王小哥", password=DEMO_PASSWORD,
                                   compound_ids=[places[0].id, places[1].id])
    registry.create_courier(session, employee_no="E1002", name="李小哥", password=DEMO_PASSWORD,
                            compound_ids=[places[2].id])
    now = utcnow()
    products = []
    for name, category, price, deal_price, kind in PRODUCTS:
        product = catalog.create_product(session, name=name, category=category, price_fen=price)
        products.append(product)
        if deal_price is not None:
            clearance = {"quantity": 30, "ends_at": now + timedelta(days=7)} if kind == "clearance" else {}
            catalog.create_deal(session, product_id=product.id, compound_ids=[p.id for p in places],
                                deal_price_fen=deal_price, kind=kind, **clearance)
    coupons.create_coupon_template(session, title="满30减5", discount_fen=500, threshold_fen=3000,
                                   total=200, per_shopper_limit=1, compound_ids=[p.id for p in places],
                                   valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=30))
    coupons.create_coupon_template(session, title="阳光花园邻里券 满99减20", discount_fen=2000,
                                   threshold_fen=9900, total=50, per_shopper_limit=2,
                                   compound_ids=[places[0].id], valid_from=now - timedelta(hours=1),
                                   valid_until=now + timedelta(days=30))
    seed_neighbours_orders(session, wang, places[0], products)
    seed_shake_campaign(session, places, products[7])
    for name, starts_on, ends_on, pct in coming_year(local_today(now)):
        create_event(session, name=name, starts_on=starts_on, ends_on=ends_on, expected_discount_pct=pct)
    return [f"seeded {len(places)} compounds, 2 couriers, {len(products)} products, 2 coupon templates, "
            f"1 live shake campaign, {len(YEAR_CALENDAR)} promotions of the coming year"]


def seed_shake_campaign(session: Session, places, eggs) -> None:
    """A month-long campaign: every arrival opens a 2-minute round of coupons and eggs."""
    now = utcnow()
    prize_coupon = coupons.create_coupon_template(
        session, title="摇一摇 满20减8", discount_fen=800, threshold_fen=2000, total=100_000, per_shopper_limit=1,
        compound_ids=[p.id for p in places], valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=30))
    campaigns.create_campaign(
        session, title="到车摇一摇", compound_ids=[p.id for p in places], starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=30), window_seconds=120, shakes_per_shopper=3, wins_per_shopper=1,
        prizes=[{"kind": "coupon", "coupon_template_id": prize_coupon.id, "per_round": 20, "win_probability": 0.4},
                {"kind": "item", "product_id": eggs.id, "per_round": 5, "win_probability": 0.2}])


def seed_neighbours_orders(session: Session, courier: Courier, compound, products) -> None:
    """A few neighbours' past orders, so 阳光花园 has best-sellers of its own."""
    for n, picks in enumerate([(0, 1, 7), (0, 7), (1, 6), (0,)]):
        shopper = Shopper(openid=f"demo-neighbour-{n}", session_key="", nickname=f"邻居{n + 1}")
        session.add(shopper)
        session.flush()
        add_address(session, shopper.id, recipient=f"邻居{n + 1}", phone="13800000000",
                    detail=f"{compound.name} {n + 1}栋", compound_id=compound.id)
        store_session = open_store_session(session, shopper.id, courier.courier_code, compound.id)
        orders.place_order(session, store_session,
                           [{"product_id": products[i].id, "quantity": 1 + n % 2} for i in picks], utcnow())
