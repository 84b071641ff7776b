"""The audit log: every change staff make to campaigns, prize pools, coupons and couriers.

`record` only adds the entry to the session: the caller commits it together with the change
it describes, so a change is never stored without its entry, nor an entry without its change.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEntry

# Target types by model class name; a (type, id) pair names anything else.
TARGET_TYPES = {
    "Campaign": "campaign", "CouponTemplate": "coupon_template", "Courier": "courier",
    "Compound": "compound", "Product": "product", "Deal": "deal", "Staff": "staff",
    "Order": "order",
}
PAGE_SIZE = 50


def target_of(target) -> tuple[str, int]:
    """(target_type, target_id) of a model instance or of a ("type", id) pair."""
    if isinstance(target, tuple):
        kind, target_id = target
        return str(kind), int(target_id)
    kind = TARGET_TYPES.get(type(target).__name__)
    if kind is None:
        raise ValueError(f"no audit target type for {type(target).__name__}")
    return kind, target.id


def jsonable(value):
    """Details as JSON: times in RFC 3339, tuples as lists, anything else as its text."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def record(session: Session, staff_id: int, action: str, target, details: dict | None = None) -> AuditEntry:
    """Add an entry for a change `staff_id` made; committed with the change by the caller."""
    target_type, target_id = target_of(target)
    entry = AuditEntry(staff_id=staff_id, action=action, target_type=target_type, target_id=target_id,
                       details=jsonable(details or {}))
    session.add(entry)
    return entry


def entries(session: Session, *, target_type: str | None = None, target_id: int | None = None,
            action: str | None = None, staff_id: int | None = None, before_id: int | None = None,
            limit: int = PAGE_SIZE) -> list[AuditEntry]:
    """The newest entries first, filtered; `before_id` pages further back."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if staff_id is not None:
        query = query.where(AuditEntry.staff_id == staff_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query))
