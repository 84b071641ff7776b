"""Couriers: registration, sign-in, their store code and their printable badge."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Courier
from app.services.badges import new_courier_code, render_badge
from app.services.compounds import get_compounds
from app.services.errors import BadCredentials, Conflict, InvalidRequest, NotFound, UnknownCourier
from app.services.passwords import hash_password, verify_password

STATIC_ROOT = Path(__file__).resolve().parent.parent / "web" / "static"


def create_courier(session: Session, *, employee_no: str, name: str, password: str,
                   compound_ids: list[int], avatar_url: str | None = None) -> Courier:
    if len(password) < 6:
        raise InvalidRequest({"password": "at least 6 characters"})
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
    courier = session.scalar(select(Courier).where(Courier.employee_no == employee_no))
    if not verify_password(courier.password_hash if courier else None, password):
        raise BadCredentials("Wrong employee number or password.")
    return courier


def rotate_courier_code(courier: Courier) -> str:
    """Give the courier a new store code; badges printed with the old one stop working."""
    courier.courier_code = new_courier_code()
    return courier.courier_code


def store_url(public_url: str, courier: Courier) -> str:
    return f"{public_url}/s/{courier.courier_code}"


def badge_png(courier: Courier, public_url: str) -> bytes:
    return render_badge(store_url=store_url(public_url, courier), name=courier.name,
                        employee_no=courier.employee_no, avatar=local_avatar(courier.avatar_url))


def local_avatar(avatar_url: str | None) -> bytes | None:
    """Avatar bytes when the URL points at the app's own static files; else None.

    The badge is rendered on request, so it never waits on a remote image host; a remote
    avatar prints as the placeholder.
    """
    prefix = "/web-static/"
    if not avatar_url or prefix not in avatar_url:
        return None
    relative = avatar_url.split(prefix, 1)[1]
    path = (STATIC_ROOT / relative).resolve()
    if STATIC_ROOT not in path.parents or not path.is_file():
        return None
    return path.read_bytes()
