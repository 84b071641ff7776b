"""Products and compound deals (compound price, staff price 内购, clearance)."""
from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, Timestamp, created_at, fen, intpk, str120, str500
from app.models.compound import Compound

DEAL_KINDS = ("compound", "staff", "clearance")

deal_compounds = Table(
    "deal_compounds",
    Base.metadata,
    Column("deal_id", BigId, ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column("compound_id", BigId, ForeignKey("compounds.id", ondelete="CASCADE"), primary_key=True),
)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("price_fen >= 0", name="price_fen"),)

    id: Mapped[intpk]
    name: Mapped[str120]
    category: Mapped[str] = mapped_column(String(60))
    price_fen: Mapped[fen]
    image_url: Mapped[str500 | None]
    # Ops let shoppers order it when today's van does not carry it: the line waits for the next run.
    orderable_off_van: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[created_at]


class Deal(Base):
    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("deal_price_fen >= 0", name="deal_price_fen"),
        CheckConstraint(f"kind IN {DEAL_KINDS}", name="kind"),
        CheckConstraint("sold >= 0 AND (quantity IS NULL OR sold <= quantity)", name="sold_within_quantity"),
        CheckConstraint("(group_price_fen IS NULL) = (group_min_households IS NULL)", name="group_terms"),
    )

    id: Mapped[intpk]
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), index=True)
    deal_price_fen: Mapped[fen]
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[Timestamp | None]
    ends_at: Mapped[Timestamp | None]
    # Clearance (清仓): `quantity` units at the deal price (null: no cap, every other kind), `sold`
    # of them taken by live orders (app/services/clearance/stock.py), when the last one went.
    quantity: Mapped[int | None]
    sold: Mapped[int] = mapped_column(default=0, server_default="0")
    sold_out_at: Mapped[Timestamp | None]
    # Shoppers of the deal's compounds may open a group deal (凑单) on it: at this price, unlocked
    # by this many households (both null: they may not).
    group_price_fen: Mapped[fen | None]
    group_min_households: Mapped[int | None]
    created_at: Mapped[created_at]

    product: Mapped[Product] = relationship(lazy="joined")
    compounds: Mapped[list[Compound]] = relationship(secondary=deal_compounds, order_by=Compound.id, lazy="selectin")
