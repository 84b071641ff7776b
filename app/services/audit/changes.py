"""Changes staff make, each run through its domain service and written to the audit log.

The JSON console API and the web console both call these, so a change made either way is
the same change with the same audit entry, added in the same transaction (the caller commits).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import Campaign, CouponTemplate, Courier, Order, PaymentRefund, utcnow
from app.services import campaigns
from app.services.accounts import staff
from app.services.audit import trail
from app.services.payments import refunds
from app.services.payments.errors import NotRefundable
from app.services.campaigns import edits
from app.services.clearance import targeting
from app.services.couriers import registry
from app.services.places import compounds
from app.services.store import catalog, coupons, orders, pickups


def campaign_settings(campaign: Campaign) -> dict:
    return {"title": campaign.title, "compound_ids": [c.id for c in campaign.compounds],
            "starts_at": campaign.starts_at, "ends_at": campaign.ends_at,
            "window_seconds": campaign.window_seconds, "shakes_per_shopper": campaign.shakes_per_shopper,
            "wins_per_shopper": campaign.wins_per_shopper,
            "rounds_per_compound_per_day": campaign.rounds_per_compound_per_day}


def create_campaign(session: Session, staff_id: int, body: dict) -> Campaign:
    campaign = campaigns.create_campaign(session, **body)
    trail.record(session, staff_id, "campaign.create", campaign, campaign_settings(campaign))
    trail.record(session, staff_id, "prize_pool.set", campaign,
                 {"prizes": edits.prize_pool(campaign)})
    return campaign


def update_campaign(session: Session, staff_id: int, campaign: Campaign, body: dict) -> Campaign:
    changed = edits.update_campaign(session, campaign, utcnow(), **body)
    prizes = changed.pop("prizes", None)
    if changed:
        trail.record(session, staff_id, "campaign.update", campaign, {"changes": changed})
    if prizes is not None:
        trail.record(session, staff_id, "prize_pool.set", campaign,
                     {"before": prizes[0], "prizes": prizes[1]})
    return campaign


def set_paused(session: Session, staff_id: int, campaign: Campaign, paused: bool) -> Campaign:
    before = campaign.status
    campaigns.set_paused(campaign, paused)
    trail.record(session, staff_id, "campaign.pause" if paused else "campaign.resume", campaign,
                 {"status": [before, campaign.status]})
    return campaign


def create_coupon_template(session: Session, staff_id: int, body: dict) -> CouponTemplate:
    template = coupons.create_coupon_template(session, **body)
    trail.record(session, staff_id, "coupon_template.create", template, body)
    return template


def create_courier(session: Session, staff_id: int, body: dict) -> Courier:
    courier = registry.create_courier(session, **body)
    details = {key: value for key, value in body.items() if key != "password"}
    trail.record(session, staff_id, "courier.create", courier, details)
    return courier


def rotate_courier_code(session: Session, staff_id: int, courier: Courier) -> Courier:
    registry.rotate_courier_code(courier)
    # The codes themselves are keys to the store: the log says that it changed, not to what.
    trail.record(session, staff_id, "courier.rotate_code", courier, {"employee_no": courier.employee_no})
    return courier


def create_compound(session: Session, staff_id: int, body: dict):
    compound = compounds.create_compound(session, **body)
    trail.record(session, staff_id, "compound.create", compound, body)
    return compound


def create_product(session: Session, staff_id: int, body: dict):
    product = catalog.create_product(session, **body)
    trail.record(session, staff_id, "product.create", product, body)
    return product


def create_deal(session: Session, staff_id: int, body: dict,
                find_price_sensitive: targeting.CompoundFinder = targeting.no_portrait_yet):
    """A deal in its compounds, or in those its `target` names (clearance to price-sensitive ones)."""
    resolved = targeting.with_target_resolved(session, body, find_price_sensitive)
    deal = catalog.create_deal(session, **resolved)
    trail.record(session, staff_id, "deal.create", deal, {**body, **resolved})
    return deal


def create_staff(session: Session, staff_id: int, body: dict):
    member = staff.create_staff(session, body["username"], body["password"], body["role"])
    trail.record(session, staff_id, "staff.create", member,
                 {"username": member.username, "role": member.role})
    return member


def cancel_order(session: Session, staff_id: int, order_id: int, reason: str) -> Order:
    """Ops cancel an order not yet handed over (its coupon back to the shopper); a repeat changes nothing."""
    order = orders.get_order(session, order_id)
    before, coupon_id = order.status, order.coupon_id
    order, cancelled_now = orders.cancel_order(session, order_id)
    if cancelled_now:
        trail.record(session, staff_id, "order.cancel", order,
                     {"reason": reason, "status": [before, order.status], "coupon_returned": coupon_id})
    return order


def refund_order(session: Session, staff_id: int, order_id: int, reason: str) -> tuple[Order, PaymentRefund | None]:
    """Ops refund a paid order not yet handed over, in full through WeChat Pay; (the order, the
    refund to send after commit: None for a repeat). 409 not_refundable for any other order."""
    order = orders.get_order(session, order_id)
    before = order.status
    moved, refund = refunds.refund_order(session, order, reason, f"staff:{staff_id}")
    if not moved and order.status in ("refunding", "refunded"):
        return order, None  # a repeat
    if not moved:
        raise NotRefundable()
    trail.record(session, staff_id, "order.refund", order,
                 {"reason": reason, "status": [before, order.status], "refund_fen": refund.amount_fen if refund else 0})
    return order, refund


def unlock_handover(session: Session, staff_id: int, order_id: int) -> Order:
    """Ops let the courier try pickup codes again after too many wrong ones."""
    attempts = orders.get_order(session, order_id).wrong_code_attempts
    order = pickups.reset_wrong_codes(session, order_id)
    trail.record(session, staff_id, "order.unlock_handover", order, {"wrong_code_attempts": [attempts, 0]})
    return order
