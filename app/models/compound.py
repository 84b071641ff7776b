"""Residential compounds (小区): where stores, coupons and shakes are scoped."""
from __future__ import annotations

from sqlalchemy import JSON, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at, intpk, str120


class Compound(Base):
    __tablename__ = "compounds"

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
