"""Changes staff make to accounts (staff roles, disabling, a courier's route and sign-out), each audited.

As in changes.py: the console API and the console pages call these; the entry is added in the
change's own transaction (the caller commits).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import Courier, Staff
from app.services.accounts import staff
from app.services.audit import trail
from app.services.couriers import registry


def update_staff(session: Session, staff_id: int, member: Staff, body: dict) -> Staff:
    """Change a staff member's role or disable/enable them."""
    changed = staff.update_staff(session, member, role=body.get("role"), disabled=body.get("disabled"))
    if changed:
        trail.record(session, staff_id, "staff.update", member,
                     {"username": member.username, "changes": changed})
    return member


def update_courier(session: Session, staff_id: int, courier: Courier, body: dict) -> Courier:
    """Change a courier's name, avatar, route, or disable/enable them."""
    changed = registry.update_courier(session, courier, **body)
    if changed:
        trail.record(session, staff_id, "courier.update", courier,
                     {"employee_no": courier.employee_no, "changes": changed})
    return courier


def sign_out_courier(session: Session, staff_id: int, courier: Courier) -> Courier:
    """Void every token the courier holds (a lost handheld)."""
    registry.sign_out_courier(courier)
    trail.record(session, staff_id, "courier.sign_out", courier, {"employee_no": courier.employee_no})
    return courier
