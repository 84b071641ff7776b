"""Pre-stocking the van (提前配货): the ops team's safety margin, and van loads ops reviewed for a day."""
from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, Timestamp, intpk, utcnow
from app.models.catalog import Product


class PrestockSettings(Base):
    """The one row of pre-stock settings (id 1): the safety margin on every suggestion."""

    __tablename__ = "prestock_settings"
    __table_args__ = (CheckConstraint("margin_percent >= 0 AND margin_minimum >= 0", name="margin"),)

    id: Mapped[intpk]
    margin_percent: Mapped[int]
    margin_minimum: Mapped[int]
    updated_at: Mapped[Timestamp] = mapped_column(default=utcnow)


class PrestockPlanItem(Base):
    """One product of a van load ops reviewed for a courier's day: what the courier then sees.
    A product ops took off stays as quantity 0, so a reviewed empty list is still a review."""

    __tablename__ = "prestock_plan_items"
    __table_args__ = (UniqueConstraint("courier_id", "day", "product_id"),
                      CheckConstraint("quantity >= 0", name="quantity"))

    id: Mapped[intpk]
    courier_id: Mapped[int] = mapped_column(BigId, ForeignKey("couriers.id"))
    day: Mapped[date] = mapped_column(Date)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    by_compound: Mapped[dict] = mapped_column(JSON)  # {"<compound_id>": quantity}
    saved_at: Mapped[Timestamp] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(lazy="joined")
