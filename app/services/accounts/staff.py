"""Staff accounts: creation and sign-in."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import STAFF_ROLES, Staff
from app.services.accounts.names import normalise_account_name
from app.services.accounts.passwords import MIN_STAFF_PASSWORD_LENGTH, hash_password, verify_after_read
from app.services.errors import BadCredentials, Conflict, InvalidRequest


def create_staff(session: Session, username: str, password: str, role: str) -> Staff:
    if role not in STAFF_ROLES:
        raise InvalidRequest({"role": f"one of {', '.join(STAFF_ROLES)}"})
    if len(password) < MIN_STAFF_PASSWORD_LENGTH:
        raise InvalidRequest({"password": f"at least {MIN_STAFF_PASSWORD_LENGTH} characters"})
    if session.scalar(select(Staff.id).where(Staff.username == username)):
        raise Conflict(f"Staff account {username!r} exists already.")
    staff = Staff(username=username, password_hash=hash_password(password), role=role)
    session.add(staff)
    session.flush()
    return staff


def authenticate_staff(session: Session, username: str, password: str) -> Staff:
    username = normalise_account_name(username)  # as the sign-in limits key it (app/rate_limits.py)
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if not verify_after_read(session, staff.password_hash if staff else None, password):
        raise BadCredentials()
    return staff
