"""What a courier's suggested van load is computed from, read from the database in a few queries."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Campaign, CampaignPrize, Order, OrderItem, VanHold, Wish
from app.models.campaign import campaign_compounds
from app.models.courier import courier_compounds
from app.services.places.live import SHANGHAI
from app.services.portrait.portraits import stored_bodies
from app.services.prestock.demand import HISTORY_DAYS, DemandInputs, Margin

OPEN_STATUSES = ("reserved", "pending_payment", "paid")  # not yet handed over, not given up


def day_start(day: date) -> datetime:
    """Midnight starting `day` in Shanghai (an aware time: compared with UTC columns)."""
    return datetime.combine(day, time(), tzinfo=SHANGHAI)


def route_of(session: Session, courier_id: int) -> tuple[int, ...]:
    return tuple(session.scalars(select(courier_compounds.c.compound_id)
                                 .where(courier_compounds.c.courier_id == courier_id)
                                 .order_by(courier_compounds.c.compound_id)))


def daily_sales(rows: Iterable[tuple[datetime, int, int, int]]) -> dict[tuple[int, int], dict[date, int]]:
    """{(compound_id, product_id): {Shanghai day: units}} from (at, compound_id, product_id, units) rows."""
    sales: dict[tuple[int, int], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for at, compound_id, product_id, units in rows:
        sales[compound_id, product_id][at.astimezone(SHANGHAI).date()] += units
    return {key: dict(days) for key, days in sales.items()}


def sales_before(session: Session, courier_id: int, compound_ids, day: date):
    """What shoppers ordered in the courier's stores on the route in the HISTORY_DAYS before `day`
    (store orders, not shake wins; cancelled ones are not demand)."""
    return daily_sales(session.execute(
        select(Order.created_at, Order.compound_id, OrderItem.product_id, OrderItem.quantity)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(Order.courier_id == courier_id, Order.compound_id.in_(compound_ids), Order.source == "store",
               Order.status != "cancelled", Order.created_at >= day_start(day - timedelta(days=HISTORY_DAYS)),
               Order.created_at < day_start(day))))


def next_run_orders(session: Session, courier_id: int) -> dict[tuple[int, int], int]:
    """Open order lines the van must bring on its next run: those held without a van load item,
    and confirmed group orders (a group's goods come once it succeeds: they reserve nothing)."""
    waiting: dict[tuple[int, int], int] = defaultdict(int)
    for compound_id, product_id, units in session.execute(
            select(Order.compound_id, VanHold.product_id, func.sum(VanHold.quantity))
            .join(Order, Order.id == VanHold.order_id)
            .where(Order.courier_id == courier_id, VanHold.van_load_item_id.is_(None), VanHold.quantity > 0,
                   Order.status.in_(OPEN_STATUSES))
            .group_by(Order.compound_id, VanHold.product_id)):
        waiting[compound_id, product_id] += int(units)
    for compound_id, product_id, units in session.execute(
            select(Order.compound_id, OrderItem.product_id, func.sum(OrderItem.quantity))
            .join(OrderItem, OrderItem.order_id == Order.id)
            .where(Order.courier_id == courier_id, Order.source == "group", Order.held.is_(False),
                   Order.status.in_(OPEN_STATUSES))
            .group_by(Order.compound_id, OrderItem.product_id)):
        waiting[compound_id, product_id] += int(units)
    return dict(waiting)


def campaign_prizes(session: Session, compound_ids, day: date) -> dict[tuple[int, int], int]:
    """Item prizes the day's rounds can hand out in each compound: per round x rounds a day, of
    campaigns live that day (no more than a prize's total has left)."""
    start, end = day_start(day), day_start(day + timedelta(days=1))
    prizes: dict[tuple[int, int], int] = defaultdict(int)
    for compound_id, prize, rounds in session.execute(
            select(campaign_compounds.c.compound_id, CampaignPrize, Campaign.rounds_per_compound_per_day)
            .join(Campaign, Campaign.id == campaign_compounds.c.campaign_id)
            .join(CampaignPrize, CampaignPrize.campaign_id == Campaign.id)
            .where(campaign_compounds.c.compound_id.in_(compound_ids), Campaign.status == "active",
                   Campaign.starts_at < end, Campaign.ends_at > start, CampaignPrize.kind == "item")):
        units = prize.per_round * rounds
        if prize.total is not None:
            units = min(units, prize.total - prize.allocated)
        prizes[compound_id, prize.product_id] += max(0, units)
    return dict(prizes)


def wished_for(session: Session, compound_ids, day: date) -> dict[tuple[int, int], int]:
    """A unit per open wish in the route's compounds whose stored plan says to buy on `day`, of the
    item planned for (a category wish's typical item)."""
    return {(compound_id, product_id): int(wishes) for compound_id, product_id, wishes in session.execute(
        select(Wish.compound_id, Wish.plan_product_id, func.count())
        .where(Wish.compound_id.in_(compound_ids), Wish.plan_buy_on == day, Wish.need_by >= day,
               Wish.plan_product_id.is_not(None))
        .group_by(Wish.compound_id, Wish.plan_product_id))}


def demand_inputs(session: Session, courier_id: int, day: date, margin: Margin,
                  portraits: Mapping[int, Mapping] | None = None) -> DemandInputs:
    """Everything suggest_load needs for this courier and day. `portraits` ({compound_id: API.md
    portrait}, by default the route's stored ones) fill in for compounds with little history."""
    route = route_of(session, courier_id)
    if portraits is None:
        portraits = stored_bodies(session, route)
    return DemandInputs(day=day, compound_ids=route, sales=sales_before(session, courier_id, route, day),
                        margin=margin, next_run_orders=next_run_orders(session, courier_id),
                        prizes=campaign_prizes(session, route, day), wishes=wished_for(session, route, day),
                        portraits=portraits)
