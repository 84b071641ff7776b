"""A hand-made month of one courier's store (March 2026, Asia/Shanghai), shared by the earnings tests.

Rules: 日用 10 %, 生鲜 5 %, 零食 none (the default, 3 %). What happens (Shanghai times):
- A  03-01 00:30 (still 02-28 in UTC): 2 apples (1000) + 1 soap (2000), coupon −500 shared 250/250
- B  03-31 23:59: 3 chips (333), no discount
- G  03-15: 1 chips + 1 soap, handed over, then 333 fen paid back after sale (set directly: no
  flow today refunds a handed-over order), shared 48/285
- a won apple handed over 03-20 (an item, no sales), in a round opened 03-10
- not counted: an order handed over 04-01 00:00:30 (March 31 in UTC), one handed over 02-28 23:59,
  a paid order refunded, a cancelled one, another courier's order
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update

from app.extensions import db
from app.models import Coupon, Order, ShakeRound
from app.services.earnings import rules
from app.services.store import order_states, orders, pickups

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = date(2026, 3, 1)

# What the month comes to, worked out by hand (see the module's docstring).
EXPECTED_BY_CATEGORY = [
    # category, units, free_units, sales_fen, rate_bp, commission_fen
    ("日用", 2, 0, 1750 + 1715, 1000, 175 + 172),
    ("生鲜", 2, 1, 1750, 500, 88),
    ("零食", 4, 0, 999 + 285, 300, 30 + 9),
]
EXPECTED = {"month": "2026-03", "orders": 3, "sales_fen": 6499, "commission_fen": 474, "free_items": 1,
            "coupon_claims": 1, "shake_wins": 1}


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@dataclass
class Month:
    courier: object
    apple: object
    soap: object
    chips: object
    order_ids: dict


def hand_over(courier, order: dict, when: datetime) -> None:
    handover = pickups.hand_over(db.session, courier.id, order["id"], order["pickup_code"], when)
    assert handover.completed_now, handover
    db.session.commit()


RATES_FROM = datetime(2026, 1, 1, tzinfo=SHANGHAI)  # before the hand-made month: its rates apply to it


def set_rates(default_bp: int | None = 300, **by_category: int) -> None:
    rules.set_rate(db.session, None, default_bp, RATES_FROM)
    for category, rate in by_category.items():
        rules.set_rate(db.session, category, rate, RATES_FROM)
    db.session.commit()


def make_month(make) -> Month:
    """The month above, through the API and the services a courier's day goes through."""
    shop = make.shop()
    apple = make.product(name="苹果", category="生鲜", price_fen=1000)
    soap = make.product(name="香皂", category="日用", price_fen=2000)
    chips = make.product(name="薯片", category="零食", price_fen=333)
    set_rates(300, 日用=1000, 生鲜=500)
    place = lambda items, **kw: make.placed_order(shop.headers, shop.store_session_id, items, **kw)  # noqa: E731

    coupon = make.claimed_coupon(shop.headers, make.coupon_template([shop.home], discount_fen=500, threshold_fen=3000))
    db.session.execute(update(Coupon).where(Coupon.id == coupon["id"]).values(created_at=shanghai("2026-03-01T00:10")))
    ids = {}
    a = place([(apple, 2), (soap, 1)], coupon_id=coupon["id"])
    hand_over(shop.courier, a, shanghai("2026-03-01T00:30"))
    b = place([(chips, 3)])
    hand_over(shop.courier, b, shanghai("2026-03-31T23:59"))
    g = place([(chips, 1), (soap, 1)])
    hand_over(shop.courier, g, shanghai("2026-03-15T12:00"))
    db.session.execute(update(Order).where(Order.id == g["id"]).values(refunded_fen=333))
    hand_over(shop.courier, place([(apple, 1)]), shanghai("2026-04-01T00:00:30"))
    hand_over(shop.courier, place([(apple, 1)]), shanghai("2026-02-28T23:59"))
    refunded_and_cancelled(shop, place, apple)
    won = won_item(make, shop, apple)
    hand_over(shop.courier, won, shanghai("2026-03-20T18:00"))
    others_order(make, shop, apple)
    ids.update(a=a["id"], b=b["id"], g=g["id"], won=won["id"])
    return Month(shop.courier, apple, soap, chips, ids)


def refunded_and_cancelled(shop, place, apple) -> None:
    """A paid order refunded in full before handover, and a reserved order cancelled."""
    paid = db.session.get(Order, place([(apple, 3)])["id"])
    db.session.execute(update(Order).where(Order.id == paid.id)
                       .values(status="pending_payment", pay_method="wechat"))
    for move in ("pay", "refund", "refunded"):
        assert order_states.move(db.session, paid, move)
    db.session.execute(update(Order).where(Order.id == paid.id).values(refunded_fen=paid.total_fen))
    orders.cancel_order(db.session, place([(apple, 2)])["id"])
    db.session.commit()


def won_item(make, shop, apple) -> dict:
    """An apple won in a round the courier's arrival opened (moved to 03-10, so all stock is released)."""
    make.campaign([shop.home], prizes=[{"kind": "item", "product_id": apple.id, "per_round": 1,
                                        "win_probability": 1.0}])
    answer = make.arrival(shop.courier, shop.home)
    assert answer.status_code == 201, answer.get_json()
    round_id = answer.get_json()["rounds"][0]["id"]
    db.session.execute(update(ShakeRound).where(ShakeRound.id == round_id).values(opens_at=shanghai("2026-03-10T10:00")))
    db.session.commit()
    shaken = make.shake(round_id, shop.headers).get_json()
    assert shaken["result"] == "win", shaken
    make.settle()
    return shaken["prize"]["order"]


def others_order(make, shop, apple) -> None:
    """Another courier serving the same compound, with an order handed over in March."""
    other = make.courier(compounds_=[shop.home])
    session_id = make.store_session(shop.headers, other)
    order = make.placed_order(shop.headers, session_id, [(apple, 5)])
    hand_over(other, order, shanghai("2026-03-12T09:00"))
