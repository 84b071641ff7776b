"""The courier's van load: what the van carries on a day (Asia/Shanghai), and who holds what of it."""
from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, intpk
from app.models.catalog import Product


class VanLoadItem(Base):
    """One product on a courier's van on a day: `reserved` of its `quantity` is held by orders and rounds."""

    __tablename__ = "van_load_items"
    __table_args__ = (
        UniqueConstraint("courier_id", "day", "product_id"),
        CheckConstraint("reserved >= 0 AND reserved <= quantity", name="reserved_within_quantity"),
    )

    id: Mapped[intpk]
    courier_id: Mapped[int] = mapped_column(BigId, ForeignKey("couriers.id"))
    day: Mapped[date] = mapped_column(Date)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    reserved: Mapped[int] = mapped_column(default=0, server_default="0")

    product: Mapped[Product] = relationship(lazy="joined")


class VanHold(Base):
    """Where an order line's (or a round prize's) goods come from, so exactly that is given back:
    a van load item it reserved from, or none (an order line for the van's next run)."""

    __tablename__ = "van_holds"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity"),
        CheckConstraint("(order_id IS NULL) <> (round_id IS NULL)", name="one_holder"),
    )

    id: Mapped[intpk]
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orders.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("shake_rounds.id"), index=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), index=True)
    van_load_item_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("van_load_items.id"), index=True)
    quantity: Mapped[int]  # still held: 0 once given back
