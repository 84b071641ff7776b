"""The payment rows of an order, notifications seen once, and discrepancies recorded for ops."""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Order, Payment, PaymentDiscrepancy, PaymentNotification
from wechat.pay import Transaction


def open_payment(session: Session, order: Order) -> Payment:
    """The WeChat Pay order behind ours: a fresh out_trade_no (WeChat Pay's 32 characters at most)."""
    payment = Payment(order_id=order.id, amount_fen=order.total_fen,
                      out_trade_no=f"XG{order.id}T{secrets.token_hex(6)}")
    session.add(payment)
    session.flush()
    return payment


def payment_of(session: Session, order_id: int) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.order_id == order_id))


def payment_by_trade_no(session: Session, out_trade_no: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.out_trade_no == out_trade_no))


def first_sighting(session: Session, notification_id: str, event_type: str) -> bool:
    """Record a notification's id; False when it was seen before (a repeat changes nothing)."""
    try:
        with session.begin_nested():
            session.add(PaymentNotification(notification_id=notification_id[:64], event_type=event_type[:40]))
    except IntegrityError:
        return False
    return True


def record_discrepancy(session: Session, kind: str, *, order_id: int | None = None, out_trade_no: str | None = None,
                       amount_fen: int | None = None, **detail) -> PaymentDiscrepancy:
    """Money that does not add up, for ops to look at; it never marks anything paid."""
    row = PaymentDiscrepancy(kind=kind, order_id=order_id, out_trade_no=(out_trade_no or "")[:32] or None,
                             amount_fen=amount_fen, detail={k: v for k, v in detail.items() if v is not None})
    session.add(row)
    session.flush()
    return row


def mismatches(payment: Payment, transaction: Transaction, appid: str, mchid: str) -> dict:
    """What in WeChat Pay's word differs from the order: amount, appid, mchid."""
    expected = {"amount_fen": payment.amount_fen, "appid": appid, "mchid": mchid}
    told = {"amount_fen": transaction.amount_fen, "appid": transaction.appid, "mchid": transaction.mchid}
    return {key: {"expected": expected[key], "told": told[key]} for key in expected if expected[key] != told[key]}
