"""Clearance sales: the units of a clearance deal each order took at its price, so a cancel gives
back exactly that, once, and the deal's report reads what it moved."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, created_at, fen, intpk


class ClearanceSale(Base):
    """One order line taken at a clearance deal's price: `units` taken, `held` of them still
    counted in the deal's `sold` (0 once the order gave its goods back)."""

    __tablename__ = "clearance_sales"
    __table_args__ = (
        CheckConstraint("units > 0", name="units"),
        CheckConstraint("held >= 0 AND held <= units", name="held_within_units"),
    )

    id: Mapped[intpk]
    deal_id: Mapped[int] = mapped_column(BigId, ForeignKey("deals.id"), index=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"))
    units: Mapped[int]
    held: Mapped[int]
    price_fen: Mapped[fen]  # the clearance price each unit was sold at
    regular_price_fen: Mapped[fen]  # the product's list price then: what the units would have fetched
    created_at: Mapped[created_at]
