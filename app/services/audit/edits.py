"""Console edits and deletions of compounds, products, deals, coupon templates, couriers,
campaigns and staff, each run through its domain service and written to the audit log."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import Compound, CouponTemplate, Deal, Product, Staff
from app.services import removals
from app.services.audit import trail
from app.services.clearance import targeting
from app.services.places import compounds
from app.services.store import catalog, coupons

# Columns the audit log never copies: keys to accounts and to the store.
SECRET_COLUMNS = {"password_hash", "courier_code"}


def update_compound(session: Session, staff_id: int, compound: Compound, body: dict) -> Compound:
    return recorded(session, staff_id, "compound.update", compound,
                    compounds.update_compound(session, compound, **body))


def update_product(session: Session, staff_id: int, product: Product, body: dict) -> Product:
    return recorded(session, staff_id, "product.update", product,
                    catalog.update_product(session, product, **body))


def update_deal(session: Session, staff_id: int, deal: Deal, body: dict,
                find_price_sensitive: targeting.CompoundFinder = targeting.no_portrait_yet) -> Deal:
    resolved = targeting.with_target_resolved(session, body, find_price_sensitive)
    return recorded(session, staff_id, "deal.update", deal, catalog.update_deal(session, deal, **resolved))


def update_coupon_template(session: Session, staff_id: int, template: CouponTemplate, body: dict) -> CouponTemplate:
    return recorded(session, staff_id, "coupon_template.update", template,
                    coupons.update_coupon_template(session, template, **body))


def recorded(session: Session, staff_id: int, action: str, row, changed: dict):
    """`row`, its changes (if any: an edit that changes nothing leaves no entry) in the log."""
    if changed:
        trail.record(session, staff_id, action, row, {"changes": changed})
    return row


def delete(session: Session, staff_id: int, row) -> None:
    """Delete `row` unless something depends on it (409 `in_use`); the log keeps what it was."""
    removals.refuse_if_used(session, row)
    target, before = trail.target_of(row), snapshot(row)  # as locked: what is deleted
    removals.delete_row(session, row)
    trail.record(session, staff_id, f"{target[0]}.delete", target, before)


def delete_staff(session: Session, staff_id: int, member: Staff) -> None:
    """Delete a staff account that made no change (never one's own)."""
    target, before = trail.target_of(member), {"username": member.username, "role": member.role}
    removals.delete_staff(session, member, staff_id)
    trail.record(session, staff_id, "staff.delete", target, before)


def snapshot(row) -> dict:
    """The row's columns (secrets left out), and its compounds when it has some."""
    data = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in SECRET_COLUMNS}
    if hasattr(row, "compounds"):
        data["compound_ids"] = sorted(c.id for c in row.compounds)
    return data
