"""Full refunds through WeChat Pay: queued with the order's move, sent after commit, retried by the loop."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Order, PaymentRefund
from app.services.payments import ledger
from app.services.store import order_states, orders
from wechat.pay import Refund, WeChatPay

# A refund WeChat Pay took but has not reported on after this long is asked about (a lost notification).
REFUND_QUIET = timedelta(minutes=5)

WECHAT_REASON_LIMIT = 80  # WeChat Pay's refund reason is at most 80 characters


def refund_order(session: Session, order: Order, reason: str, requested_by: str) -> tuple[bool, PaymentRefund | None]:
    """paid -> refunding (one conditional UPDATE), goods given back and the refund queued: (whether
    this call moved it, the refund to send). Not paid: (False, None), the caller says why. Nothing
    was charged through WeChat Pay (a free order): refunded at once."""
    if not order_states.move(session, order, "refund"):
        return False, None
    orders.give_goods_back(session, order)
    refund = queue_refund(session, order, reason, requested_by)
    if refund is None:
        order_states.move(session, order, "refunded")
    return True, refund


def queue_refund(session: Session, order: Order, reason: str, requested_by: str) -> PaymentRefund | None:
    """The order's one full refund (a second call finds the first); None when nothing was paid by WeChat Pay."""
    payment = ledger.payment_of(session, order.id)
    if payment is None or payment.amount_fen <= 0:
        return None
    try:
        with session.begin_nested():
            refund = PaymentRefund(order_id=order.id, out_refund_no=f"R{payment.out_trade_no}",
                                   amount_fen=payment.amount_fen, reason=reason[:200],
                                   requested_by=requested_by[:40], status="queued")
            session.add(refund)
        return refund
    except IntegrityError:
        return session.scalar(select(PaymentRefund).where(PaymentRefund.order_id == order.id))


def send_refund(session: Session, pay: WeChatPay, refund: PaymentRefund) -> None:
    """Ask WeChat Pay for a queued refund (idempotent on out_refund_no there); PayUnavailable leaves it queued."""
    payment = ledger.payment_of(session, refund.order_id)
    answer = pay.refund(out_trade_no=payment.out_trade_no, out_refund_no=refund.out_refund_no,
                        refund_fen=refund.amount_fen, total_fen=payment.amount_fen,
                        reason=refund.reason[:WECHAT_REASON_LIMIT])
    session.execute(
        update(PaymentRefund).where(PaymentRefund.id == refund.id, PaymentRefund.status == "queued")
        .values(status="processing", refund_id=answer.refund_id).execution_options(synchronize_session=False)
    )
    session.refresh(refund)


def queued_refunds(session: Session, limit: int = 50) -> list[PaymentRefund]:
    """Refunds WeChat Pay has not accepted yet, oldest first."""
    return list(session.scalars(
        select(PaymentRefund).where(PaymentRefund.status == "queued").order_by(PaymentRefund.id).limit(limit)))


def quiet_refunds(session: Session, now: datetime, limit: int = 50) -> list[PaymentRefund]:
    """Refunds WeChat Pay took (processing) and has said nothing of for REFUND_QUIET, oldest first."""
    return list(session.scalars(
        select(PaymentRefund).where(PaymentRefund.status == "processing", PaymentRefund.created_at <= now - REFUND_QUIET)
        .order_by(PaymentRefund.id).limit(limit)))


def apply_refund_answer(session: Session, answer: Refund | None, now: datetime) -> Order | None:
    """What WeChat Pay answers when asked about a refund, applied as its notification would be; the order
    it made refunded, if any (PROCESSING, or no answer: nothing yet)."""
    if answer is None or answer.status == "PROCESSING":
        return None
    if answer.status == "SUCCESS":
        return refund_succeeded(session, answer.out_refund_no, answer.refund_id, now)
    refund_failed(session, answer.out_refund_no, "abnormal" if answer.status == "ABNORMAL" else "closed")
    return None


def refund_succeeded(session: Session, out_refund_no: str, refund_id: str | None, now: datetime) -> Order | None:
    """WeChat Pay says the refund is done: recorded once, the order's refunded_fen counted, refunding -> refunded;
    the order it made refunded (None when it was already, or the refund is unknown)."""
    refund = session.scalar(select(PaymentRefund).where(PaymentRefund.out_refund_no == out_refund_no))
    if refund is None:
        ledger.record_discrepancy(session, "unknown_refund", out_refund_no=out_refund_no)
        return None
    changed = session.execute(
        update(PaymentRefund).where(PaymentRefund.id == refund.id, PaymentRefund.status != "success")
        .values(status="success", succeeded_at=now, refund_id=refund_id or refund.refund_id)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    order = session.get(Order, refund.order_id)
    if changed:
        session.execute(update(Order).where(Order.id == order.id)
                        .values(refunded_fen=Order.refunded_fen + refund.amount_fen)
                        .execution_options(synchronize_session=False))
        order_states.move(session, order, "refunded")
        return order
    return None


def refund_refused(session: Session, refund: PaymentRefund, code: str) -> None:
    """WeChat Pay refused to take the refund (not a passing outage): abnormal, for ops; never retried blindly."""
    refund_failed(session, refund.out_refund_no, "abnormal", refused=code)


def refund_failed(session: Session, out_refund_no: str, status: str, refused: str | None = None) -> None:
    """A refund WeChat Pay closed or found abnormal: marked so, and a discrepancy for ops to settle by hand."""
    refund = session.scalar(select(PaymentRefund).where(PaymentRefund.out_refund_no == out_refund_no))
    changed = refund is not None and session.execute(
        update(PaymentRefund).where(PaymentRefund.id == refund.id, PaymentRefund.status.in_(("queued", "processing")))
        .values(status=status).execution_options(synchronize_session=False)
    ).rowcount == 1
    if refund is None or changed:
        ledger.record_discrepancy(session, f"refund_{status}", order_id=refund.order_id if refund else None,
                                  amount_fen=refund.amount_fen if refund else None, out_refund_no=out_refund_no,
                                  refused=refused)
