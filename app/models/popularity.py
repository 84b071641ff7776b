"""What each shopper is viewing in a compound's stores now (the embedded default's live popularity)."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import BigId, Base, Timestamp


class ProductView(Base):
    """A shopper's latest `viewing` signal in a compound: the product on screen (None: the store
    itself), and when it was last renewed. One row per shopper and compound, upserted."""

    __tablename__ = "product_views"
    __table_args__ = (Index("ix_product_views_compound_id_seen_at", "compound_id", "seen_at"),)

    compound_id: Mapped[int] = mapped_column(BigId, ForeignKey("compounds.id"), primary_key=True, autoincrement=False)
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id"), primary_key=True, autoincrement=False)
    product_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("products.id"))
    seen_at: Mapped[Timestamp]
