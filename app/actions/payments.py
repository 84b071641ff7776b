"""WeChat Pay use cases: each commits its change before talking to WeChat Pay again, and never
answers a WeChat Pay outage with a 500 (PaymentUnavailable, or a refund left queued for the loop)."""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from flask import current_app

from app import broadcasts
from app.actions import messages
from app.extensions import db
from app.models import Order, PaymentRefund, utcnow
from app.services.audit import changes
from app.services.errors import NotCancellable, NotFound
from app.services.payments import lifecycle, notices, refunds
from app.services.payments.errors import BadSignature, PaymentUnavailable
from app.services.store import orders
from wechat.errors import BadNotification, PayRefused, PayUnavailable
from wechat.pay import PaySettings, WeChatPay

log = logging.getLogger(__name__)
CANCEL_REASON = "Cancelled by the shopper"


def configured_pay() -> WeChatPay | None:
    """The app's WeChat Pay client, built once from its config; None when WeChat Pay is not set up."""
    extensions = current_app.extensions
    if "xiaoge.pay" not in extensions:
        settings = PaySettings.from_config(current_app.config)
        extensions["xiaoge.pay"] = WeChatPay(settings) if settings else None
    return extensions["xiaoge.pay"]


def pay_client() -> WeChatPay:
    """The app's WeChat Pay client; PaymentUnavailable when not set up."""
    pay = configured_pay()
    if pay is None:
        raise PaymentUnavailable("WeChat Pay is not set up here; pay at the van.")
    return pay


def shopper_order(shopper_id: int, order_id: int) -> Order:
    """The shopper's own order; anyone else's does not exist for them."""
    order = db.session.get(Order, order_id)
    if order is None or order.shopper_id != shopper_id:
        raise NotFound("No such order.")
    return order


def payment_arguments(shopper_id: int, order_id: int) -> dict:
    """wx.requestPayment's arguments for the shopper's unpaid order (prepaid once)."""
    order = shopper_order(shopper_id, order_id)
    with wechat_pay_calls():
        arguments = lifecycle.payment_arguments(db.session, pay_client(), order, utcnow())
    db.session.commit()
    return arguments


def receive_notification(headers: Mapping[str, str], body: bytes) -> None:
    """Verify and apply WeChat Pay's notification (once); BadSignature changes nothing."""
    pay = configured_pay()
    if pay is None:  # nothing to verify it with
        raise BadSignature()
    try:
        notification = pay.read_notification(headers, body, now=time.time())
    except BadNotification as refused:
        log.warning("WeChat Pay notification refused: %s", refused.reason)
        raise BadSignature() from refused
    applied = notices.apply_notification(db.session, pay.settings, notification, utcnow())
    if applied.paid is not None:
        messages.order_status(applied.paid, "paid")  # queued in the same transaction as the change
    if applied.refunded is not None:
        messages.order_status(applied.refunded, "refunded")
    db.session.commit()
    if applied.paid is not None:
        broadcasts.pickup_added(applied.paid)


def cancel(shopper_id: int, order_id: int) -> Order:
    """The shopper cancels: unpaid cancelled, paid refunded in full, a repeat returns the order as it is."""
    order = shopper_order(shopper_id, order_id)
    pay = pay_client() if order.pay_method == "wechat" else None
    with wechat_pay_calls():
        refund = lifecycle.cancel(db.session, pay, order, CANCEL_REASON, "shopper", utcnow())
    db.session.commit()
    send_refund_now(refund)
    return order


def cancel_by_staff(staff_id: int, order_id: int, reason: str) -> Order:
    """Ops cancel an unpaid order (audited); a WeChat one is settled with WeChat Pay first (closed,
    or found paid: then it is not cancelled but refunded, by the refund call)."""
    order = orders.get_order(db.session, order_id)
    if order.status == "pending_payment":
        with wechat_pay_calls():
            lifecycle.settle_with_wechat(db.session, pay_client(), order, utcnow())
        db.session.commit()  # a payment found is kept whatever the cancel says
        if order.status == "paid":
            raise NotCancellable("This order has just been paid through WeChat Pay; refund it instead.")
    order = changes.cancel_order(db.session, staff_id, order_id, reason)
    db.session.commit()
    return order


def refund_by_staff(staff_id: int, order_id: int, reason: str) -> Order:
    """Ops refund a paid order in full; audited in the same transaction as the move."""
    order, refund = changes.refund_order(db.session, staff_id, order_id, reason)
    db.session.commit()
    send_refund_now(refund)
    return order


def send_refund_now(refund: PaymentRefund | None) -> None:
    """Ask WeChat Pay for the refund just committed; if it cannot be reached, the loop sends it later."""
    if refund is None:
        return
    try:
        send_refund(refund, pay_client())
    except PaymentUnavailable as failed:
        log.warning("refund %s left queued: %s", refund.out_refund_no, failed.message)


def send_refund(refund: PaymentRefund, pay: WeChatPay) -> bool:
    """Send a queued refund and commit; False when it stays queued (WeChat Pay down: retried by the
    loop). A refusal marks it abnormal with a discrepancy for ops (retrying would not help)."""
    try:
        refunds.send_refund(db.session, pay, refund)
    except PayRefused as refused:
        db.session.rollback()
        if refused.code == "bad_signature":  # an answer we could not trust: ask again later
            return False
        refunds.refund_refused(db.session, refund, refused.code)
    except PayUnavailable as failed:
        db.session.rollback()
        log.warning("refund %s left queued: %s", refund.out_refund_no, failed)
        return False
    db.session.commit()
    return True


class wechat_pay_calls:
    """WeChat Pay down or refusing: a 503 payment_unavailable, nothing changed, never a 500."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if isinstance(error, (PayUnavailable, PayRefused)):
            db.session.rollback()
            raise PaymentUnavailable() from error
        return False
