"""A clearance deal's units: taken for an order line by one conditional UPDATE (never past the
deal's quantity, whatever runs concurrently), recorded per order, given back once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, literal, select, update
from sqlalchemy.orm import Session

from app.models import ClearanceSale, Deal, Order


@dataclass(frozen=True)
class Taken:
    """Units of a clearance deal taken for one order line, at the deal's price."""

    deal_id: int
    product_id: int
    units: int
    price_fen: int
    regular_price_fen: int


def try_take(session: Session, deal_id: int, units: int, now: datetime) -> bool:
    """Take `units` of the deal if that many are left (`sold + units <= quantity`): one
    conditional UPDATE, which also stamps the sell-out when it takes the last unit."""
    after = Deal.sold + units
    return session.execute(
        update(Deal).where(Deal.id == deal_id, after <= Deal.quantity)
        .values(sold=after, sold_out_at=case((after == Deal.quantity, literal(now, Deal.sold_out_at.type)),
                                             else_=Deal.sold_out_at))
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def record_sales(session: Session, order: Order, taken: list[Taken]) -> None:
    """Note what a flushed order took, so its give-back and the deal's report know."""
    for take in taken:
        session.add(ClearanceSale(deal_id=take.deal_id, order_id=order.id, product_id=take.product_id,
                                  units=take.units, held=take.units, price_fen=take.price_fen,
                                  regular_price_fen=take.regular_price_fen))
    if taken:
        session.flush()


def give_back(session: Session, order: Order) -> None:
    """Return the order's clearance units to their deals; a second call returns nothing (each
    sale is emptied by one conditional UPDATE before its units go back)."""
    sales = session.execute(select(ClearanceSale.id, ClearanceSale.deal_id, ClearanceSale.held)
                            .where(ClearanceSale.order_id == order.id, ClearanceSale.held > 0)
                            .order_by(ClearanceSale.deal_id)).all()
    for sale in sales:
        emptied = session.execute(
            update(ClearanceSale).where(ClearanceSale.id == sale.id, ClearanceSale.held == sale.held)
            .values(held=0).execution_options(synchronize_session=False)
        ).rowcount == 1
        if emptied:
            session.execute(update(Deal).where(Deal.id == sale.deal_id)
                            .values(sold=Deal.sold - sale.held, sold_out_at=None)
                            .execution_options(synchronize_session=False))
