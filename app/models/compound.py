"""Residential compounds (小区): where stores, coupons and shakes are scoped."""
from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, created_at, intpk, str120


class Compound(Base):
    __tablename__ = "compounds"
    # Nearest-first search narrows to a box around the shopper before it sorts (services/places).
    __table_args__ = (Index("ix_compounds_lat_lng", "lat", "lng"),)

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(index=True)
    city: Mapped[str] = mapped_column(String(60))
    district: Mapped[str | None] = mapped_column(String(60))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[int]
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[created_at]

    def names(self) -> list[str]:
        """The name and every alias, the ways people write this compound."""
        return [self.name, *(self.aliases or [])]


class CompoundName(Base):
    """One way a compound is written (its name or an alias), normalised, so searches and
    address matching run in SQL: `key` is lowercase without blanks, `head` its first two
    characters (an address names a compound only if it contains the compound's head)."""

    __tablename__ = "compound_names"

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(BigId, ForeignKey("compounds.id", ondelete="CASCADE"), index=True)
    key: Mapped[str120]
    head: Mapped[str] = mapped_column(String(2), index=True)
