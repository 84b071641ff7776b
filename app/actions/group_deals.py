"""Group deals (凑单): opened by marketing, joined once per Idempotency-Key, settled at the deadline.

Each change commits before its broadcast; `settle_group_deals()` is one round of the settling
loop (tests and `flask --app wsgi settle-group-deals` call it by hand)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app

from app import broadcasts
from app.actions import messages
from app.actions.payments import configured_pay, send_refund_now
from app.background import BackgroundLoop
from app.extensions import db
from app.models import GroupDeal, utcnow
from app.schemas.groups import JoinEnvelope
from app.services import idempotency
from app.services.audit import trail
from app.services.errors import InvalidRequest, ServiceError
from app.services.groups import deals, joins, outcomes
from app.services.store.order_states import HANDOVER_STATUSES
from wechat.errors import PayRefused, PayUnavailable

log = logging.getLogger(__name__)
SETTLE_EVERY_SECONDS = 30.0
ENVELOPE = JoinEnvelope()


def open_deal(staff_id: int, body: dict) -> GroupDeal:
    """Marketing opens a group deal in a compound (audited as group_deal.open)."""
    deal = deals.open_group_deal(db.session, now=utcnow(), staff_id=staff_id, **body)
    trail.record(db.session, staff_id, "group_deal.open", ("group_deal", deal.id), body)
    db.session.commit()
    return deal


def open_on_deal(shopper_id: int, body: dict) -> tuple[GroupDeal, bool]:
    """A shopper opens a group on a deal that allows it (or finds the one already open there)."""
    group, opened = deals.open_on_deal(db.session, shopper_id, body["deal_id"], body["compound_id"], utcnow())
    db.session.commit()
    if opened:
        broadcasts.group_progress(group)
    return group, opened


def join(shopper_id: int, deal_id: int, idempotency_key: str, body: dict) -> idempotency.Answer:
    """Join the deal with an order, or replay the first answer to this key (a refusal included)."""
    wechat = body.get("pay") == "wechat"
    if wechat and configured_pay() is None:
        raise InvalidRequest({"pay": "WeChat Pay is not set up here; pay at the van (at_van)."})
    made: list[joins.Joined] = []

    def produce():
        now = utcnow()
        deadline = None
        if wechat:
            deal = deals.get_deal(db.session, deal_id)
            deadline = min(now + timedelta(minutes=current_app.config.get("ORDER_PAY_MINUTES", 15)), deal.deadline)
        joined = joins.join_deal(db.session, deal_id, shopper_id, body["quantity"], now, deadline)
        if joined.succeeded_now:
            for order in joined.confirmed:
                messages.order_status(order, "group_succeeded")
        made.append(joined)
        return 201, ENVELOPE.dump({"join": joined.join, "group_deal": joined.deal})

    answer = idempotency.answer_once(db.session, "group_join", shopper_id, idempotency_key, produce)
    if made and not answer.replayed:
        announce(made[0])
    return answer


def announce(joined: joins.Joined) -> None:
    """After the commit: the compound hears the progress; the courier, the orders the join confirmed."""
    broadcasts.group_progress(joined.deal)
    for order in joined.confirmed or [joined.join.order]:
        if order.status in HANDOVER_STATUSES:
            broadcasts.pickup_added(order)  # held orders are skipped there


@dataclass
class Settled:
    """What one round did: deals failed, orders unwound (cancelled or refunded), seats given back."""

    failed: list[int] = field(default_factory=list)
    unwound: list[int] = field(default_factory=list)
    seats_given_back: list[int] = field(default_factory=list)
    put_off: list[str] = field(default_factory=list)  # WeChat Pay unreachable: next round


def settle_group_deals() -> Settled:
    """One round: deals past their deadline failed, their orders cancelled or refunded (refunds WeChat
    Pay could not take are resent by the payment loop), seats of orders that ended given back."""
    settled = Settled()
    for deal in outcomes.due_deals(db.session, utcnow()):
        if outcomes.fail_deal(db.session, deal, utcnow()):
            db.session.commit()
            settled.failed.append(deal.id)
            broadcasts.group_progress(deal)
    pay = configured_pay()
    for group_join in outcomes.joins_to_unwind(db.session):
        unwind(pay, group_join, settled)
    for group_join in outcomes.dropped_joins(db.session):
        if outcomes.give_seat_back(db.session, group_join):
            db.session.commit()
            settled.seats_given_back.append(group_join.id)
            broadcasts.group_progress(deals.get_deal(db.session, group_join.group_deal_id))
    db.session.commit()
    return settled


def unwind(pay, group_join, settled: Settled) -> None:
    """One failed group's order cancelled or refunded, and its shopper told; committed on its own."""
    order = group_join.order
    if order.pay_method == "wechat" and pay is None:
        settled.put_off.append(f"order {order.id}: WeChat Pay is not set up")
        return
    try:
        refund = outcomes.unwind_join(db.session, pay, group_join, utcnow())
        messages.order_status(order, "group_failed")
        db.session.commit()
    except (PayUnavailable, PayRefused, ServiceError) as failed:  # ServiceError: handed over meanwhile
        db.session.rollback()
        settled.put_off.append(f"order {order.id}: {failed}")
        return
    settled.unwound.append(order.id)
    send_refund_now(refund)  # WeChat Pay down: left queued, the payment loop resends it


class GroupDealSettler(BackgroundLoop):
    retry_seconds = SETTLE_EVERY_SECONDS

    def tick(self) -> float:
        with self.app.app_context():
            try:
                settled = settle_group_deals()
                if settled.put_off:
                    log.warning("group deals put off: %s", settled.put_off)
            finally:
                db.session.remove()
        return float(self.app.config.get("GROUP_DEAL_SETTLE_SECONDS", SETTLE_EVERY_SECONDS))
