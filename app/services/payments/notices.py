"""What WeChat Pay tells us (a notification, or the answer to a query): applied once, checked against the order."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.models import Order
from app.services.payments import ledger, refunds
from app.services.store import order_states
from wechat.pay import Notification, PaySettings, Transaction

LATE_PAYMENT_REASON = "Paid after the order was closed"


@dataclass(frozen=True)
class Applied:
    """What a notification changed: the order it made paid, the order it made refunded (each once)."""

    paid: Order | None = None
    refunded: Order | None = None


def apply_notification(session: Session, settings: PaySettings, notification: Notification,
                       now: datetime) -> Applied:
    """Apply a verified notification once (by its id); what it changed."""
    if not ledger.first_sighting(session, notification.id, notification.event_type):
        return Applied()
    if notification.event_type == "TRANSACTION.SUCCESS" and notification.transaction is not None:
        return Applied(paid=apply_transaction(session, settings, notification.transaction, now))
    refund = notification.refund
    if refund is not None and notification.event_type == "REFUND.SUCCESS":
        return Applied(refunded=refunds.refund_succeeded(session, refund.out_refund_no, refund.refund_id, now))
    if refund is not None and notification.event_type in ("REFUND.ABNORMAL", "REFUND.CLOSED"):
        refunds.refund_failed(session, refund.out_refund_no, notification.event_type.split(".")[1].lower())
    return Applied()


def apply_transaction(session: Session, settings: PaySettings, transaction: Transaction, now: datetime) -> Order | None:
    """A payment WeChat Pay reports: the order paid once when everything matches; otherwise a
    discrepancy (and a success for an order closed meanwhile is refunded); the order made paid, if any."""
    if transaction.trade_state != "SUCCESS":
        return None
    payment = ledger.payment_by_trade_no(session, transaction.out_trade_no)
    if payment is None:
        ledger.record_discrepancy(session, "unknown_order", out_trade_no=transaction.out_trade_no,
                                  amount_fen=transaction.amount_fen, transaction_id=transaction.transaction_id)
        return None
    wrong = ledger.mismatches(payment, transaction, settings.appid, settings.mchid)
    if wrong:
        ledger.record_discrepancy(session, "mismatch", order_id=payment.order_id, out_trade_no=payment.out_trade_no,
                                  amount_fen=transaction.amount_fen, mismatches=wrong,
                                  transaction_id=transaction.transaction_id)
        return None
    payment.transaction_id = payment.transaction_id or transaction.transaction_id
    order = payment.order
    if order_states.move(session, order, "pay", paid_at=transaction.success_time or now):
        return order
    if order.status == "cancelled":
        pay_back_late_payment(session, order, payment.out_trade_no, transaction)
    return None


def pay_back_late_payment(session: Session, order: Order, out_trade_no: str, transaction: Transaction) -> None:
    """Money for an order already closed: recorded for ops, and refunded in full (once)."""
    if refunds.queue_refund(session, order, LATE_PAYMENT_REASON, "system") is not None:
        ledger.record_discrepancy(session, "paid_after_close", order_id=order.id, out_trade_no=out_trade_no,
                                  amount_fen=transaction.amount_fen, transaction_id=transaction.transaction_id)
