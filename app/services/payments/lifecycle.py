"""A WeChat-paid order's life with WeChat Pay: prepaid once, cancelled or refunded, settled when unpaid too long."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Order, Payment, PaymentRefund
from app.services.errors import NotCancellable
from app.services.payments import ledger, notices, refunds
from app.services.payments.errors import NotPayable
from app.services.store import order_states, orders
from wechat.errors import PayRefused
from wechat.pay import WeChatPay

SETTLED_STATUSES = ("cancelled", "refunding", "refunded")


def payment_arguments(session: Session, pay: WeChatPay, order: Order, now: datetime) -> dict:
    """wx.requestPayment's arguments; the order is prepaid once (WeChat Pay gives the same prepay_id
    for the same out_trade_no, so racing retries agree too)."""
    payment = ledger.payment_of(session, order.id)
    if order.status != "pending_payment" or payment is None or order.pay_deadline is None or now >= order.pay_deadline:
        raise NotPayable()
    if payment.prepay_id is None:
        prepay_id = pay.prepay(out_trade_no=payment.out_trade_no, description=f"Xiaoge order {order.id}",
                               amount_fen=payment.amount_fen, payer_openid=order.shopper.openid,
                               time_expire=order.pay_deadline)
        session.execute(update(Payment).where(Payment.id == payment.id, Payment.prepay_id.is_(None))
                        .values(prepay_id=prepay_id).execution_options(synchronize_session=False))
        session.refresh(payment)
    return pay.payment_arguments(payment.prepay_id)


def cancel(session: Session, pay: WeChatPay, order: Order, reason: str, requested_by: str,
           now: datetime) -> PaymentRefund | None:
    """The shopper's cancel: an unpaid order is cancelled (its WeChat order settled first), a paid
    one refunded in full; a settled one stays as it is. The refund to send after commit, if any."""
    if order.status in SETTLED_STATUSES:
        return None
    if order.status == "completed":
        raise NotCancellable()
    if order.status == "pending_payment":
        settle_with_wechat(session, pay, order, now)
    if order_states.move(session, order, "cancel", cancelled_at=now):
        orders.give_goods_back(session, order)
        return None
    moved, refund = refunds.refund_order(session, order, reason, requested_by)
    if not moved and order.status not in SETTLED_STATUSES:
        raise NotCancellable()  # handed over meanwhile
    return refund


def settle_with_wechat(session: Session, pay: WeChatPay, order: Order, now: datetime) -> None:
    """Before closing an unpaid order, ask WeChat Pay: a payment whose notification is lost marks
    it paid; otherwise WeChat's order is closed so nobody can pay it any more."""
    payment = ledger.payment_of(session, order.id)
    if payment is None:
        return
    if not paid_per_wechat(session, pay, payment.out_trade_no, now):
        try:
            pay.close(payment.out_trade_no)
        except PayRefused as refused:
            if refused.code != "ORDERPAID":
                raise
            paid_per_wechat(session, pay, payment.out_trade_no, now)  # paid a moment ago
    session.refresh(order)


def paid_per_wechat(session: Session, pay: WeChatPay, out_trade_no: str, now: datetime) -> bool:
    """Query WeChat Pay and apply a success as its notification would; whether it was paid."""
    transaction = pay.query(out_trade_no)
    if transaction is None or transaction.trade_state != "SUCCESS":
        return False
    notices.apply_transaction(session, pay.settings, transaction, now)
    return True


def expire(session: Session, pay: WeChatPay, order: Order, now: datetime) -> Order | None:
    """An unpaid order past its deadline: paid after all (the order, to announce), or closed and cancelled."""
    if order.status != "pending_payment":
        return None
    settle_with_wechat(session, pay, order, now)
    if order_states.move(session, order, "cancel", cancelled_at=now):
        orders.give_goods_back(session, order)
        return None
    return order if order.status == "paid" else None


def overdue_orders(session: Session, now: datetime, limit: int = 50) -> list[Order]:
    """Orders still waiting for their WeChat payment after its deadline, the oldest first."""
    return list(session.scalars(
        select(Order).where(Order.status == "pending_payment", Order.pay_deadline <= now)
        .order_by(Order.pay_deadline).limit(limit)))
