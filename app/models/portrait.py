"""The compound portrait (小区画像): daily figures per compound, and the portrait built from them."""
from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, Timestamp, intpk


class CompoundDay(Base):
    """One compound's figures for one Asia/Shanghai day, written once the day is over (and
    rewritten for today on a refresh): what a portrait adds up instead of reading all orders."""

    __tablename__ = "compound_days"
    __table_args__ = (UniqueConstraint("compound_id", "day"),)

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(BigId, ForeignKey("compounds.id", ondelete="CASCADE"))
    day: Mapped[date]
    orders: Mapped[int]
    spend_fen: Mapped[int]
    units: Mapped[int]
    category_fen: Mapped[dict] = mapped_column(JSON)  # category -> fen
    band_fen: Mapped[list] = mapped_column(JSON)  # fen per price band (figures.PRICE_BANDS_FEN)
    hour_orders: Mapped[list] = mapped_column(JSON)  # 24 counts, local hours
    shopper_orders: Mapped[dict] = mapped_column(JSON)  # str(shopper_id) -> orders
    product_units: Mapped[dict] = mapped_column(JSON)  # str(product_id) -> units
    claims: Mapped[int]
    wins: Mapped[int]
    visits: Mapped[int]
    computed_at: Mapped[Timestamp]


class CompoundPortrait(Base):
    """A compound's stored portrait (its body as the API shows it, less the city's shares)."""

    __tablename__ = "compound_portraits"

    compound_id: Mapped[int] = mapped_column(BigId, ForeignKey("compounds.id", ondelete="CASCADE"),
                                             primary_key=True)
    as_of: Mapped[Timestamp | None]
    # Every finished day up to this one (Asia/Shanghai, inclusive) is in compound_days for good.
    finished_through: Mapped[date | None]
    body: Mapped[dict | None] = mapped_column(JSON)
    # A worker refreshing it holds it until then (the nightly loop's claim).
    claimed_until: Mapped[Timestamp | None]
