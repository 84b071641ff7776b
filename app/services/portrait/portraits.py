"""A compound's portrait from its last days of daily figures, stored with its as_of; the
nightly claim that lets several workers refresh stale portraits without doing one twice."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.database import dialect_insert
from app.models import Compound, CompoundDay, CompoundPortrait, Product, utcnow
from app.services.errors import NotFound
from app.services.portrait.days import PRICE_BANDS_FEN, day_start, local_day, store_days
from app.services.portrait.wishes import open_wishes_by_category

WINDOW_DAYS = 90
TOP_PRODUCTS = 10


def refresh_portrait(session: Session, compound_id: int, now: datetime,
                     window_days: int = WINDOW_DAYS) -> CompoundPortrait:
    """Aggregate the finished days not aggregated yet (usually just yesterday) and today, then
    rebuild the portrait from the window's daily rows. Old days' orders are not read again."""
    if session.get(Compound, compound_id) is None:
        raise NotFound("No such compound.")
    portrait = portrait_row(session, compound_id)
    today = local_day(now)
    first = today - timedelta(days=window_days - 1)
    yesterday = today - timedelta(days=1)
    unfinished = first if portrait.finished_through is None else max(first, portrait.finished_through + timedelta(days=1))
    if unfinished <= yesterday:
        store_days(session, compound_id, unfinished, yesterday, now)
    store_days(session, compound_id, today, today, now)
    days = session.scalars(select(CompoundDay).where(
        CompoundDay.compound_id == compound_id, CompoundDay.day >= first, CompoundDay.day <= today)).all()
    portrait.finished_through = yesterday
    portrait.as_of = now
    portrait.body = portrait_body(session, compound_id, days, now, window_days)
    portrait.claimed_until = None
    session.flush()
    return portrait


def portrait_row(session: Session, compound_id: int) -> CompoundPortrait:
    """The compound's portrait row, made empty if it has none (two workers may both try)."""
    session.execute(dialect_insert(session)(CompoundPortrait).values(compound_id=compound_id)
                    .on_conflict_do_nothing(index_elements=["compound_id"]))
    return session.get(CompoundPortrait, compound_id, populate_existing=True)


def portrait_body(session: Session, compound_id: int, days, now: datetime, window_days: int) -> dict:
    """The portrait as API.md shows it (less the city's shares, added when read), with extras."""
    spend = sum(d.spend_fen for d in days)
    category_fen, product_units, shopper_orders = Counter(), Counter(), Counter()
    bands, hours, weekdays = [0] * len(PRICE_BANDS_FEN), [0] * 24, [0] * 7
    for d in days:
        category_fen.update(d.category_fen)
        product_units.update(d.product_units)
        shopper_orders.update(d.shopper_orders)
        bands = [a + b for a, b in zip(bands, d.band_fen)]
        hours = [a + b for a, b in zip(hours, d.hour_orders)]
        weekdays[d.day.weekday()] += d.orders
    households = len(shopper_orders)
    return {
        "compound_id": compound_id,
        "as_of": now.isoformat(),
        "days": window_days,
        "orders": sum(d.orders for d in days),
        "households": households,
        "spend_fen": spend,
        "category_fen": dict(category_fen),
        "category_shares": shares(category_fen),
        "price_bands": [{"max_fen": top, "share": fen / spend if spend else 0.0}
                        for top, fen in zip(PRICE_BANDS_FEN, bands)],
        "spend_per_household_fen": spend // households if households else 0,
        "repeat_rate": sum(1 for n in shopper_orders.values() if n > 1) / households if households else 0.0,
        "top_products": top_products(session, product_units),
        "hours": hours,
        "weekdays": weekdays,
        "claims": sum(d.claims for d in days),
        "wins": sum(d.wins for d in days),
        "visits": sum(d.visits for d in days),
        "product_units": dict(product_units),
    }


def shares(fen_by_key) -> dict[str, float]:
    total = sum(fen_by_key.values())
    return {key: value / total for key, value in sorted(fen_by_key.items())} if total else {}


def top_products(session: Session, product_units: Counter) -> list[dict]:
    top = sorted(product_units.items(), key=lambda kv: (-kv[1], int(kv[0])))[:TOP_PRODUCTS]
    names = dict(session.execute(select(Product.id, Product.name)
                                 .where(Product.id.in_([int(pid) for pid, _ in top]))).all())
    return [{"product_id": int(pid), "name": names.get(int(pid), ""), "units": units} for pid, units in top]


def stored_portrait(session: Session, compound_id: int) -> dict | None:
    """The stored portrait with the city's category shares beside it, or None if never computed."""
    if session.get(Compound, compound_id) is None:
        raise NotFound("No such compound.")
    portrait = session.get(CompoundPortrait, compound_id)
    if portrait is None or portrait.body is None:
        return None
    wished = open_wishes_by_category(session, [compound_id], local_day(utcnow())).get(compound_id, {})
    return {**portrait.body, "as_of": portrait.as_of, "city_category_shares": city_figures(session, compound_id)[0],
            "wishes_by_category": wished}


def current_portrait(session: Session, compound_id: int, now: datetime, window_days: int = WINDOW_DAYS) -> dict:
    """The stored portrait, computed first if it never was (the caller commits)."""
    found = stored_portrait(session, compound_id)
    if found is None:
        refresh_portrait(session, compound_id, now, window_days)
        found = stored_portrait(session, compound_id)
    return found


def city_figures(session: Session, compound_id: int) -> tuple[dict[str, float], dict[str, int]]:
    """The category shares of spend and units per product of every stored portrait in the
    compound's city (each compound as of its last refresh)."""
    city = select(Compound.city).where(Compound.id == compound_id).scalar_subquery()
    category_fen, product_units = Counter(), Counter()
    for body in session.scalars(select(CompoundPortrait.body).join(Compound, Compound.id == CompoundPortrait.compound_id)
                                .where(Compound.city == city, CompoundPortrait.body.is_not(None))):
        category_fen.update(body.get("category_fen", {}))
        product_units.update(body.get("product_units", {}))
    return shares(category_fen), dict(product_units)


def stored_bodies(session: Session, compound_ids=None) -> dict[int, dict]:
    """Every stored portrait's body (of these compounds, if given) by compound id."""
    query = select(CompoundPortrait.compound_id, CompoundPortrait.body).where(CompoundPortrait.body.is_not(None))
    if compound_ids is not None:
        query = query.where(CompoundPortrait.compound_id.in_(list(compound_ids)))
    return dict(session.execute(query).all())


def claim_stale(session: Session, now: datetime, hold: timedelta) -> int | None:
    """Claim one compound whose portrait is older than today (Asia/Shanghai) and not held by
    another worker, for `hold`; its id, or None when none is left. One conditional UPDATE: two
    workers never claim the same one."""
    session.execute(dialect_insert(session)(CompoundPortrait).from_select(
        ["compound_id"], select(Compound.id).where(~Compound.id.in_(select(CompoundPortrait.compound_id))))
        .on_conflict_do_nothing(index_elements=["compound_id"]))
    stale = (or_(CompoundPortrait.as_of.is_(None), CompoundPortrait.as_of < day_start(local_day(now))),
             or_(CompoundPortrait.claimed_until.is_(None), CompoundPortrait.claimed_until < now))
    for compound_id in session.scalars(select(CompoundPortrait.compound_id).where(*stale)
                                       .order_by(CompoundPortrait.compound_id).limit(20)):
        claimed = session.execute(update(CompoundPortrait).where(CompoundPortrait.compound_id == compound_id, *stale)
                                  .values(claimed_until=now + hold))
        if claimed.rowcount == 1:
            return compound_id
    return None
