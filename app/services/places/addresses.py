"""Shopper addresses, each matched to a compound when it can be."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import Address, Compound, Shopper
from app.services.errors import InvalidRequest, TooManyAddresses
from app.services.places.compounds import match_compound

MAX_ADDRESSES = 20
LISTED_ADDRESSES = 100  # shoppers from before the cap may hold more; a list answers no more than this


def add_address(session: Session, shopper_id: int, *, recipient: str, phone: str, detail: str,
                compound_id: int | None = None, is_default: bool | None = None,
                max_addresses: int = MAX_ADDRESSES) -> Address:
    """Save an address, at most `max_addresses` a shopper; the compound is `compound_id`, else
    matched from the written detail."""
    lock_shopper(session, shopper_id)
    held = session.scalar(select(func.count()).select_from(Address).where(Address.shopper_id == shopper_id))
    if held >= max_addresses:
        raise TooManyAddresses()
    if compound_id is not None:
        compound = session.get(Compound, compound_id)
        if compound is None:
            raise InvalidRequest({"compound_id": f"unknown compound id {compound_id}"})
    else:
        compound = match_compound(session, detail)
    make_default = bool(is_default) or (is_default is None and held == 0)
    if make_default:
        session.execute(
            update(Address).where(Address.shopper_id == shopper_id).values(is_default=False)
            .execution_options(synchronize_session=False)
        )
    address = Address(shopper_id=shopper_id, recipient=recipient, phone=phone, detail=detail,
                      compound=compound, is_default=make_default)
    session.add(address)
    session.flush()
    return address


def list_addresses(session: Session, shopper_id: int) -> list[Address]:
    """The shopper's addresses, default first, then newest (at most LISTED_ADDRESSES)."""
    return list(session.scalars(
        select(Address).where(Address.shopper_id == shopper_id)
        .order_by(Address.is_default.desc(), Address.id.desc()).limit(LISTED_ADDRESSES)
    ))


def lock_shopper(session: Session, shopper_id: int) -> None:
    """Hold the shopper's row until commit, so their concurrent requests count what they hold one
    at a time (PostgreSQL; SQLite's BEGIN IMMEDIATE already runs one writer at a time)."""
    session.execute(select(Shopper.id).where(Shopper.id == shopper_id).with_for_update())
