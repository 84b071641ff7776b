"""A courier's statement for a month or a day (Asia/Shanghai): what his store handed over, what it
sold, what he earns, and what else came through his store.

What counts (README, "The courier's store"):
- an order counts in the period its handover falls in (completed_at), and only while it stays
  `completed`; orders cancelled or refunded before handover never count;
- a line's sales are its list total less its share of the order's discount (coupon; a won item's
  discount is its whole price) and of any money paid back on the order, shared pro rata (money.py);
- commission per line at its category's rate in force at its handover (rules.RateHistory), rounded per line;
- won shake items (orders of source "shake") count as items handed over (`free_units`), never as
  orders or sales; coupon claims (coupons.courier_id) count in the period they were claimed, shake
  wins (prizes awarded) in the period their round opened, for the rounds his arrivals opened.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Arrival, Coupon, Order, OrderItem, Product, RoundPrize, ShakeRound, utcnow
from app.services.earnings import money
from app.services.earnings.rules import RateHistory, rate_history
from app.services.places.live import SHANGHAI

WON = "shake"  # Order.source of an item won in a shake round


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC-comparable times; `label` is "YYYY-MM" or "YYYY-MM-DD"."""

    label: str
    start: datetime
    end: datetime


def month_period(first_day: date) -> Period:
    """The Asia/Shanghai month that `first_day` falls in."""
    start = date(first_day.year, first_day.month, 1)
    after = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return Period(start.strftime("%Y-%m"), shanghai_midnight(start), shanghai_midnight(after))


def day_period(day: date) -> Period:
    return Period(day.isoformat(), shanghai_midnight(day), shanghai_midnight(day + timedelta(days=1)))


def shanghai_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def shanghai_today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


@dataclass(frozen=True)
class StatementLine:
    """One order line handed over: its list total, the shares taken off it, its sales and commission."""

    order_id: int
    handed_over_at: datetime
    product_id: int
    product_name: str
    category: str
    quantity: int
    list_fen: int
    discount_fen: int
    refund_fen: int
    sales_fen: int
    rate_bp: int
    commission_fen: int
    won: bool


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    units: int  # sold
    free_units: int  # won in shakes and handed over
    sales_fen: int
    rate_bp: int
    commission_fen: int


@dataclass(frozen=True)
class Statement:
    courier_id: int
    period: Period
    orders: int
    sales_fen: int
    commission_fen: int
    free_items: int
    coupon_claims: int
    shake_wins: int
    by_category: list[CategoryTotal]
    lines: list[StatementLine]


def statement(session: Session, courier_id: int, period: Period) -> Statement:
    """The courier's statement for the period: each line at the rate in force at its handover."""
    rates = rate_history(session)
    lines = [line for _, rows in groupby(handed_over_rows(session, courier_id, period), key=lambda row: row.order_id)
             for line in order_lines(list(rows), rates)]
    return Statement(
        courier_id=courier_id, period=period,
        orders=len({line.order_id for line in lines if not line.won}),
        sales_fen=sum(line.sales_fen for line in lines),
        commission_fen=sum(line.commission_fen for line in lines),
        free_items=sum(line.quantity for line in lines if line.won),
        coupon_claims=coupon_claims(session, courier_id, period),
        shake_wins=shake_wins(session, courier_id, period),
        by_category=category_totals(lines, rates, min(period.end - timedelta(microseconds=1), utcnow())),
        lines=lines)


def handed_over_rows(session: Session, courier_id: int, period: Period):
    """Every line of the courier's orders handed over in the period and still completed, by order."""
    return session.execute(
        select(Order.id.label("order_id"), Order.completed_at, Order.source, Order.discount_fen,
               Order.refunded_fen, OrderItem.product_id, Product.name, Product.category,
               OrderItem.quantity, OrderItem.unit_price_fen)
        .join(OrderItem, OrderItem.order_id == Order.id).join(Product, Product.id == OrderItem.product_id)
        .where(Order.courier_id == courier_id, Order.status == "completed",
               Order.completed_at >= period.start, Order.completed_at < period.end)
        .order_by(Order.completed_at, Order.id, OrderItem.id)
    ).all()


def order_lines(rows: list, rates: RateHistory) -> list[StatementLine]:
    """An order's lines with the discount, then the refunds, shared over them pro rata."""
    first = rows[0]
    list_fen = [row.unit_price_fen * row.quantity for row in rows]
    discounts = money.pro_rata(min(first.discount_fen, sum(list_fen)), list_fen)
    after_discount = [gross - off for gross, off in zip(list_fen, discounts)]
    refunds = money.pro_rata(min(first.refunded_fen, sum(after_discount)), after_discount)
    lines = []
    for row, gross, discount, refund in zip(rows, list_fen, discounts, refunds):
        sales, rate = gross - discount - refund, rates.of(row.category, row.completed_at)
        lines.append(StatementLine(
            order_id=row.order_id, handed_over_at=row.completed_at, product_id=row.product_id,
            product_name=row.name, category=row.category, quantity=row.quantity, list_fen=gross,
            discount_fen=discount, refund_fen=refund, sales_fen=sales, rate_bp=rate,
            commission_fen=money.commission_fen(sales, rate), won=row.source == WON))
    return lines


def category_totals(lines: list[StatementLine], rates: RateHistory, at: datetime) -> list[CategoryTotal]:
    """Per category: units, sales and commission of its lines (each at its own rate), and the rate
    in force at `at` (the period's end, or now while it runs)."""
    totals = []
    for category, group in groupby(sorted(lines, key=lambda line: line.category), key=lambda line: line.category):
        group = list(group)
        totals.append(CategoryTotal(
            category=category, units=sum(line.quantity for line in group if not line.won),
            free_units=sum(line.quantity for line in group if line.won),
            sales_fen=sum(line.sales_fen for line in group), rate_bp=rates.of(category, at),
            commission_fen=sum(line.commission_fen for line in group)))
    return totals


def coupon_claims(session: Session, courier_id: int, period: Period) -> int:
    """Coupons claimed through the courier's store in the period."""
    return session.scalar(
        select(func.count()).select_from(Coupon)
        .where(Coupon.courier_id == courier_id, Coupon.created_at >= period.start, Coupon.created_at < period.end)
    ) or 0


def shake_wins(session: Session, courier_id: int, period: Period) -> int:
    """Prizes awarded in the shake rounds the courier's arrivals opened in the period: derived from
    the rounds at report time (both draw engines keep round_prizes.awarded), so a shake costs nothing more."""
    return session.scalar(
        select(func.coalesce(func.sum(RoundPrize.awarded), 0))
        .join(ShakeRound, ShakeRound.id == RoundPrize.round_id).join(Arrival, Arrival.id == ShakeRound.arrival_id)
        .where(Arrival.courier_id == courier_id, ShakeRound.opens_at >= period.start, ShakeRound.opens_at < period.end)
    ) or 0
