"""The van load itself: what a courier's van carries today, as the courier or ops declare it.

A courier who has declared no load today has no tracked stock: orders and rounds are then not
limited by the van (as before van loads existed) and the storefront shows `on_van` null.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Product, VanLoadItem
from app.services.errors import BelowReserved, InvalidRequest
from app.services.places.live import local_midnight


def van_day(now: datetime) -> date:
    """The van load's day: today in Shanghai."""
    return local_midnight(now).date()


def van_load(session: Session, courier_id: int, day: date) -> list[VanLoadItem]:
    """The products on the van that day (a product taken off the list stays as quantity 0: hidden)."""
    return list(session.scalars(
        select(VanLoadItem).where(VanLoadItem.courier_id == courier_id, VanLoadItem.day == day,
                                  VanLoadItem.quantity > 0)
        .order_by(VanLoadItem.product_id).execution_options(populate_existing=True)))


def left_on_van(session: Session, courier_id: int, now: datetime) -> dict[int, int] | None:
    """{product_id: quantity - reserved} of today's van in one query; None when no load is declared."""
    rows = session.execute(
        select(VanLoadItem.product_id, VanLoadItem.quantity - VanLoadItem.reserved)
        .where(VanLoadItem.courier_id == courier_id, VanLoadItem.day == van_day(now))).all()
    return {product_id: left for product_id, left in rows} if rows else None


def replace_van_load(session: Session, courier_id: int, items: list[dict],
                     now: datetime) -> list[VanLoadItem]:
    """Make today's van carry exactly `items` ([{product_id, quantity}]); a product left out
    goes to 0. Each change is one conditional UPDATE: never below what is reserved (409)."""
    return replace_day_load(session, courier_id, van_day(now), items)


def replace_day_load(session: Session, courier_id: int, day: date, items: list[dict]) -> list[VanLoadItem]:
    """Make the van carry exactly `items` on `day` (a pre-stocked load for a day ahead), by the same rules."""
    wanted = wanted_quantities(session, items)
    existing = dict(session.execute(
        select(VanLoadItem.product_id, VanLoadItem.id)
        .where(VanLoadItem.courier_id == courier_id, VanLoadItem.day == day)).all())
    for product_id in sorted(wanted.keys() | existing.keys()):  # one lock order for every writer
        quantity = wanted.get(product_id, 0)
        if product_id in existing or not add_item(session, courier_id, day, product_id, quantity):
            set_quantity(session, courier_id, day, product_id, quantity)
    return van_load(session, courier_id, day)


def wanted_quantities(session: Session, items: list[dict]) -> dict[int, int]:
    """{product_id: quantity}; a product listed twice or unknown is refused (422)."""
    wanted: dict[int, int] = {}
    for item in items:
        if item["product_id"] in wanted:
            raise InvalidRequest({"items": f"product {item['product_id']} is listed twice"})
        wanted[item["product_id"]] = item["quantity"]
    known = set(session.scalars(select(Product.id).where(Product.id.in_(wanted))))
    missing = sorted(set(wanted) - known)
    if missing:
        raise InvalidRequest({"items": f"unknown product ids: {missing}"})
    return wanted


def add_item(session: Session, courier_id: int, day: date, product_id: int, quantity: int) -> bool:
    """Put a new product on the van; False when a concurrent writer put it there first."""
    if quantity == 0:
        return True  # nothing to carry, nothing to write
    try:
        with session.begin_nested():
            session.execute(insert(VanLoadItem).values(courier_id=courier_id, day=day, product_id=product_id,
                                                       quantity=quantity, reserved=0))
    except IntegrityError:
        return False
    return True


def set_quantity(session: Session, courier_id: int, day: date, product_id: int, quantity: int) -> None:
    """The product's new quantity, unless orders or rounds already hold more of it."""
    changed = session.execute(
        update(VanLoadItem).where(VanLoadItem.courier_id == courier_id, VanLoadItem.day == day,
                                  VanLoadItem.product_id == product_id, VanLoadItem.reserved <= quantity)
        .values(quantity=quantity).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        reserved = session.scalar(select(VanLoadItem.reserved).where(
            VanLoadItem.courier_id == courier_id, VanLoadItem.day == day,
            VanLoadItem.product_id == product_id))
        raise BelowReserved(f"{reserved} of product {product_id} are already reserved; the van cannot "
                            f"carry fewer ({quantity}).", product_id=product_id, reserved=reserved)
