"""The courier's pick list: reserved orders to hand over at the van."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Order


def pick_list(session: Session, courier_id: int, compound_id: int | None = None) -> list[Order]:
    query = select(Order).where(Order.courier_id == courier_id, Order.status == "reserved")
    if compound_id is not None:
        query = query.where(Order.compound_id == compound_id)
    return list(session.scalars(query.order_by(Order.id)))
