"""Staff accounts: creation, sign-in, role and disabling, signing out everywhere."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import STAFF_ROLES, Staff
from app.services.accounts.names import normalise_account_name
from app.services.accounts.passwords import MIN_STAFF_PASSWORD_LENGTH, hash_password, verify_after_read
from app.services.errors import BadCredentials, Conflict, InvalidRequest, NotFound


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


def get_staff(session: Session, staff_id: int) -> Staff:
    member = session.get(Staff, staff_id)
    if member is None:
        raise NotFound("No such staff account.")
    return member


def authenticate_staff(session: Session, username: str, password: str) -> Staff:
    username = normalise_account_name(username)  # as the sign-in limits key it (app/rate_limits.py)
    staff = session.scalar(select(Staff).where(Staff.username == username))
    disabled = staff is not None and staff.disabled  # read before the check ends the session's read
    good = verify_after_read(session, staff.password_hash if staff else None, password)
    if not good or disabled:  # the same answer: a refusal does not tell the account exists
        raise BadCredentials()
    return staff


def update_staff(session: Session, member: Staff, *, role: str | None = None,
                 disabled: bool | None = None) -> dict:
    """Change a role or disable/enable; disabling voids every token. Returns {field: [before, after]}."""
    changed = {}
    if role is not None and role != member.role:
        changed["role"] = [member.role, role]
        member.role = role
    if disabled is not None and disabled != member.disabled:
        changed["disabled"] = [member.disabled, disabled]
        member.disabled = disabled
        if disabled:
            sign_out_everywhere(member)  # enabling again must not bring old tokens back
    if changed:
        session.flush()
        if _enabled_admins(session) == 0:
            raise Conflict("That would leave no admin who can sign in.")
    return changed


def sign_out_everywhere(member: Staff) -> None:
    """Void every token and console session of this account."""
    member.token_version = Staff.token_version + 1  # in SQL: two at once both count


def _enabled_admins(session: Session) -> int:
    enabled_admin = (Staff.role == "admin") & Staff.disabled.is_(False)
    return session.scalar(select(func.count(Staff.id)).where(enabled_admin))
