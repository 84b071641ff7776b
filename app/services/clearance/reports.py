"""What a clearance deal moved: units sold of its quantity, revenue at the clearance price
against the list price, by compound, and when it sold out or ended."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.models import ClearanceSale, Compound, Deal, Order
from app.services.clearance.rules import CLEARANCE
from app.services.errors import NotFound


@dataclass(frozen=True)
class CompoundMoved:
    """One compound's share of a clearance: units its orders still hold, and their worth."""

    compound_id: int
    name: str
    units: int
    handed_over: int  # of `units`, in orders already handed over at the van
    revenue_fen: int  # at the clearance price
    regular_fen: int  # the same units at the list price when they were ordered


@dataclass(frozen=True)
class ClearanceReport:
    deal: Deal
    status: str  # scheduled, running, sold_out or ended
    by_compound: list[CompoundMoved]

    @property
    def units_sold(self) -> int:
        return sum(row.units for row in self.by_compound)

    @property
    def revenue_fen(self) -> int:
        return sum(row.revenue_fen for row in self.by_compound)

    @property
    def regular_fen(self) -> int:
        return sum(row.regular_fen for row in self.by_compound)

    @property
    def markdown_fen(self) -> int:
        """What the clearance price gave away against the list price."""
        return self.regular_fen - self.revenue_fen


def clearance_deal(session: Session, deal_id: int) -> Deal:
    deal = session.get(Deal, deal_id)
    if deal is None or deal.kind != CLEARANCE:
        raise NotFound("No such clearance deal.")
    return deal


def clearance_report(session: Session, deal_id: int, now: datetime) -> ClearanceReport:
    """The deal's sales that still count (given-back orders left out), grouped by compound."""
    deal = clearance_deal(session, deal_id)
    rows = session.execute(
        select(Compound.id, Compound.name, func.sum(ClearanceSale.held),
               func.sum(case((Order.status == "completed", ClearanceSale.held), else_=0)),
               func.sum(ClearanceSale.held * ClearanceSale.price_fen),
               func.sum(ClearanceSale.held * ClearanceSale.regular_price_fen))
        .join(Order, Order.id == ClearanceSale.order_id).join(Compound, Compound.id == Order.compound_id)
        .where(ClearanceSale.deal_id == deal.id, ClearanceSale.held > 0)
        .group_by(Compound.id, Compound.name).order_by(func.sum(ClearanceSale.held).desc(), Compound.id)
    ).all()
    moved = [CompoundMoved(cid, name, int(units), int(handed), int(revenue), int(regular))
             for cid, name, units, handed, revenue, regular in rows]
    return ClearanceReport(deal, clearance_status(deal, now), moved)


def clearance_status(deal: Deal, now: datetime) -> str:
    if deal.starts_at is not None and now < deal.starts_at:
        return "scheduled"
    if deal.quantity is not None and deal.sold >= deal.quantity:
        return "sold_out"
    if deal.ends_at is not None and now >= deal.ends_at:
        return "ended"
    return "running"
