"""The data under test: a fresh PostgreSQL database and Redis, seeded through the app's own
services and models, and the correctness checks read back from the database afterwards.

One compound, one courier, N shoppers living there (default address in the compound, so
they join its room on connect), subscribed to the van-arrived message (`--subscribed`), and
a coupon prize. The socket phase's campaign exists from
the start; the HTTP phase's campaign is created later (`add_http_campaign`), so the second
arrival opens a round of its own with limits high enough that wrk's shakes are real draws.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import timedelta

import redis
from sqlalchemy import create_engine, func, select, text

from app import create_app
from app.extensions import db
from app.models import Address, Campaign, MessageSubscription, RoundPrize, RoundShopper, Shake, ShakeRound, Shopper, utcnow
from app.services import campaigns
from app.services.couriers import registry
from app.services.places import compounds
from app.services.store import coupons
from bench.procs import BIN, ROOT

WINDOW_SECONDS = 6 * 3600  # no round closes during a run


@dataclass
class Plan:
    shoppers: int
    shakes_per_shopper: int
    stock: int
    win_probability: float
    wins_per_shopper: int
    http_shakes_per_shopper: int
    subscribed: int | None = None  # shoppers subscribed to the van-arrived message; None: all


@dataclass
class Seeded:
    compound_id: int
    courier_token: str
    shopper_tokens: list[str]
    template_id: int
    socket_campaign_id: int


def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create the bench database; return its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def flush_redis(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def migrate(env: dict) -> None:
    """`flask --app wsgi db upgrade`, as a deployment does."""
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{done.stderr[-3000:]}")


def harness_app(database_url: str, secret_key: str):
    """The app, for seeding and reading back: same database and SECRET_KEY as the server."""
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret_key, "REDIS_URL": None,
                       "RATELIMIT_STORAGE_URI": "memory://", "ROUND_SWEEPER": False, "XIAOGE_DEMO": False})


def seed(app, plan: Plan) -> Seeded:
    now = utcnow()
    with app.app_context():
        home = compounds.create_compound(db.session, name="基准花园", city="上海", lat=31.23, lng=121.54,
                                         radius_m=500)
        courier = registry.create_courier(db.session, employee_no="BENCH1", name="压测小哥",
                                          password="bench-pass", compound_ids=[home.id])
        template = coupons.create_coupon_template(
            db.session, title="满30减5", discount_fen=500, threshold_fen=3000, total=10_000_000,
            per_shopper_limit=1000, compound_ids=[home.id], valid_from=now - timedelta(hours=1),
            valid_until=now + timedelta(days=2))
        campaign = new_campaign(home.id, template.id, plan, plan.shakes_per_shopper, "摇一摇·socket")
        shoppers = [Shopper(openid=f"bench-{n}", session_key="", nickname=f"住户{n}") for n in range(plan.shoppers)]
        db.session.add_all(shoppers)
        db.session.flush()
        db.session.add_all([Address(shopper_id=s.id, recipient="住户", phone="13800000000", detail="基准花园",
                                    compound_id=home.id, is_default=True) for s in shoppers])
        subscribe(app, shoppers, plan)
        tokens = app.extensions["xiaoge.tokens"]
        seeded = Seeded(home.id, tokens.issue("courier", courier.id, token_version=courier.token_version),
                        [tokens.issue("shopper", s.id) for s in shoppers], template.id, campaign.id)
        db.session.commit()
        db.session.remove()
    return seeded


def subscribe(app, shoppers: list[Shopper], plan: Plan) -> None:
    """The first `plan.subscribed` shoppers (all by default) accepted the van-arrived message,
    twice: one message for each of the run's two round-opening arrivals."""
    count = len(shoppers) if plan.subscribed is None else plan.subscribed
    template_id = app.config["WECHAT_TEMPLATE_VAN_ARRIVED"]
    db.session.add_all([MessageSubscription(shopper_id=s.id, template_id=template_id, sends_left=2, updated_at=utcnow())
                        for s in shoppers[:count]])


def new_campaign(compound_id: int, template_id: int, plan: Plan, shakes: int, title: str) -> Campaign:
    now = utcnow()
    return campaigns.create_campaign(
        db.session, title=title, compound_ids=[compound_id], starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1), window_seconds=WINDOW_SECONDS, shakes_per_shopper=shakes,
        wins_per_shopper=plan.wins_per_shopper,
        prizes=[{"kind": "coupon", "coupon_template_id": template_id, "per_round": plan.stock,
                 "win_probability": plan.win_probability}])


def add_http_campaign(app, seeded: Seeded, plan: Plan) -> int:
    """The HTTP phase's campaign: opened by the next arrival, the socket round still open."""
    with app.app_context():
        campaign = new_campaign(seeded.compound_id, seeded.template_id, plan, plan.http_shakes_per_shopper,
                                "摇一摇·http")
        db.session.commit()
        campaign_id = campaign.id
        db.session.remove()
    return campaign_id


def release_all_stock(app, round_id: int, stock: int) -> None:
    """Move the round's opening far enough back that pacing has released all its stock
    (closes_at untouched), so draws race for the whole stock, as at a round's end."""
    with app.app_context():
        shake_round = db.session.get(ShakeRound, round_id)
        ahead = shake_round.closes_at - utcnow()
        shake_round.opens_at = utcnow() - ahead * (10 * stock)
        db.session.commit()
        db.session.remove()


def correctness(app, rounds: dict[str, int]) -> dict:
    """Per round: stock vs awarded vs winning shakes, and per-shopper maxima vs the limits."""
    report = {}
    with app.app_context():
        for label, round_id in rounds.items():
            shake_round = db.session.get(ShakeRound, round_id)
            campaign = shake_round.campaign
            stock, awarded = db.session.execute(
                select(func.coalesce(func.sum(RoundPrize.stock), 0), func.coalesce(func.sum(RoundPrize.awarded), 0))
                .where(RoundPrize.round_id == round_id)).one()
            shakes, wins = db.session.execute(
                select(func.count(Shake.id), func.count(Shake.round_prize_id)).where(Shake.round_id == round_id)).one()
            coupons_given = db.session.scalar(select(func.count(Shake.coupon_id)).where(Shake.round_id == round_id))
            per_shopper = select(Shake.shopper_id, func.count().label("n"),
                                 func.count(Shake.round_prize_id).label("w")) \
                .where(Shake.round_id == round_id).group_by(Shake.shopper_id).subquery()
            max_rows_shakes, max_rows_wins = db.session.execute(
                select(func.coalesce(func.max(per_shopper.c.n), 0), func.coalesce(func.max(per_shopper.c.w), 0))).one()
            max_shakes, max_wins, sum_wins, over_shakes, over_wins = db.session.execute(
                select(func.coalesce(func.max(RoundShopper.shakes), 0), func.coalesce(func.max(RoundShopper.wins), 0),
                       func.coalesce(func.sum(RoundShopper.wins), 0),
                       func.count().filter(RoundShopper.shakes > campaign.shakes_per_shopper),
                       func.count().filter(RoundShopper.wins > campaign.wins_per_shopper))
                .where(RoundShopper.round_id == round_id)).one()
            report[label] = {
                "round_id": round_id, "stock": int(stock), "awarded": int(awarded), "winning_shakes": wins,
                "coupons_given": coupons_given, "shakes_recorded": shakes,
                "over_award": max(0, int(awarded) - int(stock), wins - int(stock), coupons_given - int(stock)),
                "counters_agree": int(awarded) == wins == int(sum_wins) == coupons_given,
                "shakes_limit": campaign.shakes_per_shopper, "max_shakes_per_shopper": max(max_shakes, max_rows_shakes),
                "wins_limit": campaign.wins_per_shopper, "max_wins_per_shopper": max(max_wins, max_rows_wins),
                "shoppers_over_shake_limit": over_shakes, "shoppers_over_win_limit": over_wins,
            }
        db.session.remove()
    return report


def dispose(app) -> None:
    with app.app_context():
        db.engine.dispose()
