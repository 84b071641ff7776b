"""Deleting what the console made, only while nothing depends on it: what depends on what, in one place.

Each kind of row lists the records that would be orphaned or rewritten by its deletion; any
of them refuses it with 409 `in_use`, naming them. The row is locked first, so nothing new can
come to depend on it between the check and the delete (a new reference waits for the lock,
then fails its foreign key). The database's foreign keys are the last word: a reference no
list here foresaw also answers `in_use`, never a 500. Rows that exist only as part of the
deleted one (a campaign's prize lines, a deal's compound links) go with it.
"""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import (
    Address, Arrival, AuditEntry, Campaign, CampaignPrize, ClearanceSale, Compound, Coupon, CouponTemplate,
    Courier, Deal, Order, OrderItem, Product, ShakeRound, Staff, StoreSession, VanLoadItem,
)
from app.models.campaign import campaign_compounds
from app.models.catalog import deal_compounds
from app.models.coupon import coupon_template_compounds
from app.models.courier import courier_compounds
from app.services.errors import Conflict, InUse
from app.services.rows import lock_row

# kind of row -> {what depends on it: the column that points at it}
DEPENDENTS = {
    Compound: {
        "addresses": Address.compound_id, "orders": Order.compound_id, "store sessions": StoreSession.compound_id,
        "arrivals": Arrival.compound_id, "shake rounds": ShakeRound.compound_id,
        # Links that would vanish with it (ON DELETE CASCADE) and change a route, a campaign, an offer:
        "couriers' routes": courier_compounds.c.compound_id, "campaigns": campaign_compounds.c.compound_id,
        "deals": deal_compounds.c.compound_id, "coupon templates": coupon_template_compounds.c.compound_id,
    },
    Courier: {"arrivals": Arrival.courier_id, "orders": Order.courier_id, "store sessions": StoreSession.courier_id,
              "van loads": VanLoadItem.courier_id},
    Product: {"orders": OrderItem.product_id, "deals": Deal.product_id, "campaign prizes": CampaignPrize.product_id,
              "van loads": VanLoadItem.product_id},
    Deal: {"clearance sales": ClearanceSale.deal_id},
    CouponTemplate: {"coupons": Coupon.template_id, "campaign prizes": CampaignPrize.coupon_template_id},
    Campaign: {"shake rounds": ShakeRound.campaign_id},
    # The audit log names who made each change: an account that made any is disabled, not deleted.
    Staff: {"audit log entries": AuditEntry.staff_id},
}


def used_by(session: Session, row) -> list[str]:
    """What depends on `row`, by DEPENDENTS."""
    return [label for label, column in DEPENDENTS[type(row)].items()
            if session.scalar(select(exists().where(column == row.id)))]


def delete_unless_used(session: Session, row) -> None:
    """Delete `row` and what is only part of it, or raise InUse naming what depends on it."""
    refuse_if_used(session, row)
    delete_row(session, row)


def refuse_if_used(session: Session, row) -> None:
    """Lock `row` (reloaded), then raise InUse if anything depends on it; it stays locked."""
    lock_row(session, row)
    dependents = used_by(session, row)
    if dependents:
        raise InUse(f"Still used by {', '.join(dependents)}: it cannot be deleted.", used_by=dependents)


def delete_row(session: Session, row) -> None:
    """Delete a row `refuse_if_used` passed; a reference it did not foresee still answers InUse."""
    try:
        with session.begin_nested():
            for part in parts_of(row):
                session.delete(part)
            session.delete(row)
            session.flush()
    except IntegrityError:
        raise InUse("Other records still refer to it: it cannot be deleted.", used_by=["other records"]) from None


def parts_of(row) -> list:
    """Rows that exist only as part of `row` (many-to-many links go by themselves)."""
    return list(row.prizes) if isinstance(row, Campaign) else []


def delete_staff(session: Session, member: Staff, acting_staff_id: int) -> None:
    """Delete a staff account that never changed anything; never one's own."""
    if member.id == acting_staff_id:
        raise Conflict("You cannot delete your own account.")
    delete_unless_used(session, member)
