"""Group deals: opened by marketing in a compound, read by anyone."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Compound, Courier, GroupDeal, Product
from app.models.courier import courier_compounds
from app.services.errors import InvalidRequest, NotFound

def open_group_deal(session: Session, *, product_id: int, compound_id: int, group_price_fen: int,
                    min_households: int, deadline: datetime, now: datetime, max_households: int | None = None,
                    min_amount_fen: int | None = None, courier_id: int | None = None,
                    staff_id: int | None = None) -> GroupDeal:
    """A group deal in a compound, delivered by `courier_id` (else the first courier serving the compound)."""
    product = session.get(Product, product_id)
    if product is None:
        raise InvalidRequest({"product_id": f"unknown product id {product_id}"})
    if session.get(Compound, compound_id) is None:
        raise InvalidRequest({"compound_id": f"unknown compound id {compound_id}"})
    if group_price_fen > product.price_fen:
        raise InvalidRequest({"group_price_fen": f"must not exceed the list price ({product.price_fen})"})
    if max_households is not None and max_households < min_households:
        raise InvalidRequest({"max_households": "must be at least min_households"})
    if deadline <= now:
        raise InvalidRequest({"deadline": "must be in the future"})
    deal = GroupDeal(product_id=product_id, compound_id=compound_id, group_price_fen=group_price_fen,
                     min_households=min_households, max_households=max_households, deadline=deadline,
                     min_amount_fen=min_amount_fen, joined_fen=0,
                     courier_id=delivering_courier(session, compound_id, courier_id), status="open", joined=0,
                     created_by_staff_id=staff_id)
    session.add(deal)
    session.flush()
    return deal


def delivering_courier(session: Session, compound_id: int, courier_id: int | None) -> int:
    """The courier who brings the group's goods: the one named if the compound is on their route,
    else the first serving the compound."""
    serving = select(courier_compounds.c.courier_id).join(Courier, Courier.id == courier_compounds.c.courier_id) \
        .where(courier_compounds.c.compound_id == compound_id, Courier.disabled.is_(False))
    if courier_id is not None:
        serving = serving.where(courier_compounds.c.courier_id == courier_id)
    found = session.scalar(serving.order_by(courier_compounds.c.courier_id).limit(1))
    if found is None:
        field = "courier_id" if courier_id is not None else "compound_id"
        raise InvalidRequest({field: "no courier delivers this group deal's compound"})
    return found


def get_deal(session: Session, deal_id: int) -> GroupDeal:
    deal = session.get(GroupDeal, deal_id)
    if deal is None:
        raise NotFound("No such group deal.")
    return deal

