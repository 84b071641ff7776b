"""Group deals: opened by marketing in a compound, read by anyone."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Compound, Courier, Deal, GroupDeal, Product
from app.models.courier import courier_compounds
from app.models.group import JOINABLE_STATUSES
from app.services.errors import InvalidRequest, NotFound, NotInCompound
from app.services.places.residence import shopper_compound_ids
from app.services.rows import lock_row

SHOPPER_GROUP_HOURS = 48  # a group a shopper opens runs this long (or to its deal's end, if sooner)

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


def open_on_deal(session: Session, shopper_id: int, deal_id: int, compound_id: int,
                 now: datetime) -> tuple[GroupDeal, bool]:
    """A shopper opens a group deal on a deal that allows it (its group price and households), in
    their compound, for SHOPPER_GROUP_HOURS or until the deal ends: (the group, True); when one is
    already open on that deal there, (that one, False), for the shopper to join instead. The deal's
    row is locked first, so two shoppers opening at once make one group."""
    deal = session.get(Deal, deal_id)
    if deal is not None:
        lock_row(session, deal)
    if deal is None or deal.group_price_fen is None:
        raise InvalidRequest({"deal_id": "no deal that lets shoppers open a group"})
    if compound_id not in {c.id for c in deal.compounds} or compound_id not in shopper_compound_ids(session, shopper_id):
        raise NotInCompound()
    if (deal.starts_at and deal.starts_at > now) or (deal.ends_at and deal.ends_at <= now):
        raise InvalidRequest({"deal_id": "the deal is not running now"})
    running = session.scalar(select(GroupDeal).where(
        GroupDeal.from_deal_id == deal.id, GroupDeal.compound_id == compound_id,
        GroupDeal.status.in_(JOINABLE_STATUSES), GroupDeal.deadline > now).order_by(GroupDeal.id).limit(1))
    if running is not None:
        return running, False
    deadline = now + timedelta(hours=SHOPPER_GROUP_HOURS)
    if deal.ends_at is not None:
        deadline = min(deadline, deal.ends_at)
    group = open_group_deal(session, product_id=deal.product_id, compound_id=compound_id,
                            group_price_fen=deal.group_price_fen, min_households=deal.group_min_households,
                            deadline=deadline, now=now)
    group.from_deal_id, group.opened_by_shopper_id = deal.id, shopper_id
    session.flush()
    return group, True


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

