"""Couriers: registered by ops with their route, signed in, edited, disabled, signed out, code rotated."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Courier
from app.services.accounts.names import normalise_account_name
from app.services.accounts.passwords import MIN_COURIER_PASSWORD_LENGTH, hash_password, verify_after_read
from app.services.couriers.codes import new_courier_code
from app.services.errors import BadCredentials, Conflict, InvalidRequest, NotFound, UnknownCourier
from app.services.places.compounds import get_compounds


def create_courier(session: Session, *, employee_no: str, name: str, password: str,
                   compound_ids: list[int], avatar_url: str | None = None) -> Courier:
    if len(password) < MIN_COURIER_PASSWORD_LENGTH:
        raise InvalidRequest({"password": f"at least {MIN_COURIER_PASSWORD_LENGTH} characters"})
    if session.scalar(select(Courier.id).where(Courier.employee_no == employee_no)):
        raise Conflict(f"Employee number {employee_no} is taken.")
    courier = Courier(employee_no=employee_no, name=name, password_hash=hash_password(password),
                      avatar_url=avatar_url, courier_code=new_courier_code(),
                      compounds=get_compounds(session, compound_ids))
    session.add(courier)
    session.flush()
    return courier


def get_courier(session: Session, courier_id: int) -> Courier:
    courier = session.get(Courier, courier_id)
    if courier is None:
        raise NotFound("No such courier.")
    return courier


def courier_by_code(session: Session, courier_code: str) -> Courier:
    courier = session.scalar(select(Courier).where(Courier.courier_code == courier_code))
    if courier is None:
        raise UnknownCourier()
    return courier


def authenticate_courier(session: Session, employee_no: str, password: str) -> Courier:
    employee_no = normalise_account_name(employee_no)  # as the sign-in limits key it (app/rate_limits.py)
    courier = session.scalar(select(Courier).where(Courier.employee_no == employee_no))
    disabled = courier is not None and courier.disabled  # read before the check ends the session's read
    good = verify_after_read(session, courier.password_hash if courier else None, password)
    if not good or disabled:  # the same answer: a refusal does not tell the account exists
        raise BadCredentials("Wrong employee number or password.")
    return courier


def update_courier(session: Session, courier: Courier, **fields) -> dict:
    """Change name, avatar, route or disable/enable (which voids every token); {field: [before, after]}."""
    changed = {}
    if "compound_ids" in fields:
        before, route = [c.id for c in courier.compounds], get_compounds(session, fields.pop("compound_ids"))
        if sorted(c.id for c in route) != before:
            changed["compound_ids"] = [before, [c.id for c in route]]
            courier.compounds = route
    for name in ("name", "avatar_url", "disabled"):
        if name in fields and fields[name] != getattr(courier, name):
            changed[name] = [getattr(courier, name), fields[name]]
            setattr(courier, name, fields[name])
    if changed.get("disabled", [None, False])[1]:
        sign_out_courier(courier)  # enabling again must not bring old tokens back
    session.flush()
    return changed


def sign_out_courier(courier: Courier) -> None:
    """Void every token the courier holds (a lost handheld); signing in again gives a new one."""
    courier.token_version = Courier.token_version + 1  # in SQL: two at once both count


def rotate_courier_code(courier: Courier) -> str:
    """Give the courier a new store code; badges printed with the old one stop working."""
    courier.courier_code = new_courier_code()
    return courier.courier_code
