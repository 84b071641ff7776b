"""The day's money as ops check it against WeChat Pay's bill: paid, refunded, handed over, discrepancies."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Order, PaymentDiscrepancy, PaymentRefund

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Figure:
    count: int
    fen: int


@dataclass
class Reconciliation:
    date: date
    paid: Figure
    refunded: Figure
    handed_over: Figure
    discrepancies: list[PaymentDiscrepancy]


def today() -> date:
    """Today in Shanghai, the day ops reconcile by."""
    return datetime.now(SHANGHAI).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Asia/Shanghai day as a UTC-comparable [start, end)."""
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


def figure(session: Session, amount, *conditions) -> Figure:
    count, fen = session.execute(select(func.count(), func.coalesce(func.sum(amount), 0)).where(*conditions)).one()
    return Figure(int(count), int(fen))


def reconciliation(session: Session, day: date) -> Reconciliation:
    """Orders paid by WeChat Pay, refunds done and orders handed over that day, and what did not add up."""
    start, end = day_bounds(day)
    paid = figure(session, Order.total_fen,
                  Order.pay_method == "wechat", Order.paid_at >= start, Order.paid_at < end)
    refunded = figure(session, PaymentRefund.amount_fen,
                      PaymentRefund.succeeded_at >= start, PaymentRefund.succeeded_at < end)
    handed_over = figure(session, Order.total_fen,
                         Order.completed_at >= start, Order.completed_at < end)
    discrepancies = list(session.scalars(
        select(PaymentDiscrepancy).where(PaymentDiscrepancy.created_at >= start, PaymentDiscrepancy.created_at < end)
        .order_by(PaymentDiscrepancy.id)))
    return Reconciliation(day, paid, refunded, handed_over, discrepancies)
