"""Couriers and the compounds on their route."""
from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, created_at, first_token_version, intpk, str120
from app.models.compound import Compound

courier_compounds = Table(
    "courier_compounds",
    Base.metadata,
    Column("courier_id", BigId, ForeignKey("couriers.id", ondelete="CASCADE"), primary_key=True),
    Column("compound_id", BigId, ForeignKey("compounds.id", ondelete="CASCADE"), primary_key=True),
)


class Courier(Base):
    __tablename__ = "couriers"

    id: Mapped[intpk]
    employee_no: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str120]
    password_hash: Mapped[str] = mapped_column(String(200))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    # Opaque and unguessable; rotating it voids every printed badge.
    courier_code: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[created_at]
    # A disabled courier cannot sign in and their tokens stop working (app/services/accounts/standing.py).
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # In every token of the courier; bumping it (sign-out of a lost handheld) voids them all.
    token_version: Mapped[int] = mapped_column(Integer, default=first_token_version, server_default="0")

    compounds: Mapped[list[Compound]] = relationship(
        secondary=courier_compounds, order_by=Compound.id, lazy="selectin"
    )

    def serves(self, compound_id: int) -> bool:
        """Is this compound on the courier's route?"""
        return any(c.id == compound_id for c in self.compounds)
