"""Where a shopper lives, for the rules that depend on it.

API.md: a shopper is in a compound when their default address or their latest store
session is in it. That decides coupon claims, shakes and the rooms they hear.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.models import Address, StoreSession


def home_compound_id(session: Session, shopper_id: int) -> int | None:
    """The compound of the shopper's default address, if it has one."""
    return session.scalar(
        select(Address.compound_id)
        .where(Address.shopper_id == shopper_id, Address.is_default.is_(True))
        .order_by(Address.id.desc()).limit(1)
    )


def latest_session_compound_id(session: Session, shopper_id: int) -> int | None:
    return session.scalar(
        select(StoreSession.compound_id).where(StoreSession.shopper_id == shopper_id)
        .order_by(StoreSession.id.desc()).limit(1)
    )


def _compounds_statement():
    """Home and latest store session's compound of the `shopper` parameter, in one query (built
    once: every shake of a shopper not known as a resident runs it)."""
    shopper = bindparam("shopper", type_=Address.shopper_id.type)
    home = (select(Address.compound_id)
            .where(Address.shopper_id == shopper, Address.is_default.is_(True))
            .order_by(Address.id.desc()).limit(1).scalar_subquery())
    latest = (select(StoreSession.compound_id).where(StoreSession.shopper_id == shopper)
              .order_by(StoreSession.id.desc()).limit(1).scalar_subquery())
    return select(home, latest)


COMPOUNDS_OF_SHOPPER = _compounds_statement()


def shopper_compound_ids(session: Session, shopper_id: int) -> set[int]:
    """The compounds the shopper counts as in: home and latest store session."""
    return {i for i in session.execute(COMPOUNDS_OF_SHOPPER, {"shopper": shopper_id}).one() if i is not None}
