"""Settles what WeChat Pay left open: unpaid orders past their deadline, refunds not yet sent.

Every worker may run one (the conditional moves make each order settle once); a call to
`settle_payments()` does one round, for tests and `flask --app wsgi settle-payments`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from app import broadcasts
from app.actions import messages
from app.actions.payments import pay_client, send_refund
from app.background import BackgroundLoop
from app.extensions import db
from app.models import utcnow
from app.services.payments import lifecycle, refunds
from wechat.errors import PayRefused, PayUnavailable

log = logging.getLogger(__name__)
SETTLE_EVERY_SECONDS = 30.0


@dataclass
class Settled:
    """What one round did, by order id and out_refund_no."""

    paid: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    refunds_sent: list[str] = field(default_factory=list)
    refunds_settled: list[str] = field(default_factory=list)  # found done (or failed) by asking
    put_off: list[str] = field(default_factory=list)  # WeChat Pay unreachable: next round


def settle_payments() -> Settled:
    """One round: overdue unpaid orders asked about, then closed or marked paid; queued refunds sent;
    refunds WeChat Pay has been quiet about for REFUND_QUIET asked about."""
    pay, settled = pay_client(), Settled()
    for order in lifecycle.overdue_orders(db.session, utcnow()):
        try:
            paid = lifecycle.expire(db.session, pay, order, utcnow())
            if paid:
                messages.order_status(paid, "paid")  # a lost notification's payment, found by asking
            db.session.commit()
        except (PayUnavailable, PayRefused) as failed:
            db.session.rollback()
            settled.put_off.append(f"order {order.id}: {failed}")
            continue
        (settled.paid if paid else settled.cancelled).append(order.id)
        if paid:
            broadcasts.pickup_added(paid)
    for refund in refunds.queued_refunds(db.session):
        out_refund_no = refund.out_refund_no
        (settled.refunds_sent if send_refund(refund, pay) else settled.put_off).append(out_refund_no)
    for refund in refunds.quiet_refunds(db.session, utcnow()):
        ask_about_refund(pay, refund.out_refund_no, settled)
    return settled


def ask_about_refund(pay, out_refund_no: str, settled: Settled) -> None:
    """A refund whose notification never came: WeChat Pay's answer applied as the notification would be."""
    try:
        answer = pay.query_refund(out_refund_no)
    except (PayUnavailable, PayRefused) as failed:
        settled.put_off.append(f"refund {out_refund_no}: {failed}")
        return
    refunded = refunds.apply_refund_answer(db.session, answer, utcnow())
    if refunded is not None:
        messages.order_status(refunded, "refunded")
    db.session.commit()
    if answer is not None and answer.status != "PROCESSING":
        settled.refunds_settled.append(out_refund_no)


class PaymentSettler(BackgroundLoop):
    retry_seconds = SETTLE_EVERY_SECONDS

    def tick(self) -> float:
        with self.app.app_context():
            try:
                settled = settle_payments()
                if settled.put_off:
                    log.warning("WeChat Pay put off: %s", settled.put_off)
            finally:
                db.session.remove()
        return float(self.app.config.get("PAYMENT_SETTLE_SECONDS", SETTLE_EVERY_SECONDS))
