"""Shopper addresses, each matched to a compound when it can be."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Address, Compound
from app.services.errors import InvalidRequest
from app.services.places.compounds import match_compound


def add_address(session: Session, shopper_id: int, *, recipient: str, phone: str, detail: str,
                compound_id: int | None = None, is_default: bool | None = None) -> Address:
    """Save an address; the compound is `compound_id`, else matched from the written detail."""
    if compound_id is not None:
        compound = session.get(Compound, compound_id)
        if compound is None:
            raise InvalidRequest({"compound_id": f"unknown compound id {compound_id}"})
    else:
        compound = match_compound(session, detail)
    first = session.scalar(select(Address.id).where(Address.shopper_id == shopper_id).limit(1)) is None
    make_default = bool(is_default) or (is_default is None and first)
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
    return list(session.scalars(
        select(Address).where(Address.shopper_id == shopper_id)
        .order_by(Address.is_default.desc(), Address.id.desc())
    ))
