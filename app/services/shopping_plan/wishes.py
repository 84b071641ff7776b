"""Shoppers' wishes (a product or a category, a budget, a need-by date) and their plans.

A wish's plan is computed from today's offers and the calendar (plan.plan_wish) and stored on
the wish when it is added and at each round of the planner (notices.py), so pre-stocking and the
portrait read plans without pricing anything; a shopper's list is planned afresh when read.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.models import Product, Wish, WishNotice
from app.services.errors import InvalidRequest, LimitReached, NotFound
from app.services.places.live import SHANGHAI
from app.services.shopping_plan.calendar import as_events, events
from app.services.shopping_plan.offers import shopping_compound_id, todays_offers
from app.services.shopping_plan.plan import Event, Offer, Plan, plan_wish

MAX_WISHES = 50  # open wishes per shopper
FURTHEST_NEED_BY = timedelta(days=2 * 366)


def local_today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


@dataclass(frozen=True)
class PlannedWish:
    """A wish with the plan made for it now (None: its category has no products), and names for a message."""

    wish: Wish
    plan: Plan | None
    product_name: str | None = None
    event_name: str | None = None


def add_wish(session: Session, shopper_id: int, *, need_by: date, now: datetime, product_id: int | None = None,
             category: str | None = None, budget_fen: int | None = None) -> PlannedWish:
    """Record the wish and its plan (stored); 422 for a product or category we do not sell or a
    need-by date in the past or more than two years ahead, 409 `limit_reached` past MAX_WISHES."""
    today = local_today(now)
    if (product_id is None) == (category is None):
        raise InvalidRequest({"product_id": "give a product_id or a category, not both"})
    if product_id is not None and session.get(Product, product_id) is None:
        raise InvalidRequest({"product_id": f"unknown product id {product_id}"})
    if category is not None and session.scalar(select(Product.id).where(Product.category == category).limit(1)) is None:
        raise InvalidRequest({"category": f"no products in category {category!r}"})
    if need_by < today:
        raise InvalidRequest({"need_by": "must be today or later (Asia/Shanghai)"})
    if need_by > today + FURTHEST_NEED_BY:
        raise InvalidRequest({"need_by": "must be within two years"})
    if len(open_wishes(session, shopper_id, today)) >= MAX_WISHES:
        raise LimitReached(f"At most {MAX_WISHES} wishes at a time.")
    wish = Wish(shopper_id=shopper_id, product_id=product_id, category=category, budget_fen=budget_fen,
                need_by=need_by)
    session.add(wish)
    session.flush()
    planned = plan_shopper_wishes(session, shopper_id, [wish], now)[0]
    store_plan(planned, now)
    return planned


def open_wishes(session: Session, shopper_id: int, today: date) -> list[Wish]:
    return list(session.scalars(select(Wish).where(Wish.shopper_id == shopper_id, Wish.need_by >= today)
                                .order_by(Wish.need_by, Wish.id)))


def shopper_wishes(session: Session, shopper_id: int, now: datetime) -> list[PlannedWish]:
    """The shopper's wishes, need-by date first (past ones too, until deleted), each planned now."""
    wishes = list(session.scalars(select(Wish).where(Wish.shopper_id == shopper_id)
                                  .order_by(Wish.need_by, Wish.id)))
    return plan_shopper_wishes(session, shopper_id, wishes, now)


def delete_wish(session: Session, shopper_id: int, wish_id: int) -> None:
    wish = session.get(Wish, wish_id)
    if wish is None or wish.shopper_id != shopper_id:
        raise NotFound("No such wish.")
    session.execute(delete(WishNotice).where(WishNotice.wish_id == wish_id))
    session.delete(wish)
    session.flush()


def plan_shopper_wishes(session: Session, shopper_id: int, wishes: Sequence[Wish], now: datetime,
                        calendar: Sequence[Event] | None = None) -> list[PlannedWish]:
    """Plans for one shopper's wishes: their compound, today's offers and the calendar read once."""
    if not wishes:
        return []
    today = local_today(now)
    compound_id = shopping_compound_id(session, shopper_id)
    for wish in wishes:
        wish.compound_id = compound_id
    product_ids = {w.product_id for w in wishes if w.product_id is not None}
    categories = {w.category for w in wishes if w.category is not None}
    products = list(session.scalars(select(Product).where(or_(Product.id.in_(product_ids),
                                                              Product.category.in_(categories)))
                                    .order_by(Product.id)))
    offers = todays_offers(session, shopper_id, compound_id, products, now)
    by_product = {o.product_id: o for o in offers}
    by_category: dict[str, list[Offer]] = defaultdict(list)
    for offer in offers:
        by_category[offer.category].append(offer)
    calendar = as_events(events(session, ending_from=today)) if calendar is None else calendar
    names = {e.id: e.name for e in calendar}
    planned = []
    for wish in wishes:
        choices = [by_product[wish.product_id]] if wish.product_id is not None else by_category[wish.category]
        plan = plan_wish(choices, calendar, today, wish.need_by, wish.budget_fen)
        planned.append(PlannedWish(wish, plan, by_product[plan.product_id].name if plan else None,
                                   names.get(plan.event_id) if plan else None))
    return planned


def store_plan(planned: PlannedWish, now: datetime) -> None:
    """Keep the plan on the wish (read by pre-stocking and the portrait)."""
    wish, plan = planned.wish, planned.plan
    wish.plan_buy_on = plan.buy_on if plan else None
    wish.plan_event_id = plan.event_id if plan else None
    wish.plan_product_id = plan.product_id if plan else None
    wish.plan_expected_price_fen = plan.expected_price_fen if plan else None
    wish.plan_saving_fen = plan.saving_fen if plan else None
    wish.planned_at = now
