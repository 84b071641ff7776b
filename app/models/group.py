"""Group orders (凑单): neighbours in a compound pooling their orders to unlock a group price."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, Timestamp, created_at, fen, intpk
from app.models.catalog import Product
from app.models.compound import Compound
from app.models.order import Order

GROUP_DEAL_STATUSES = ("open", "succeeded", "failed")
# Deals still taking joins (before their deadline): open (below the threshold) or succeeded (seats left).
JOINABLE_STATUSES = ("open", "succeeded")
JOIN_STATUSES = ("active", "left")  # left: its order was cancelled before the outcome, its seat given back


class GroupDeal(Base):
    """A product at a group price in one compound, unlocked before `deadline` by `min_households`
    joining, or by the joins' orders reaching `min_amount_fen` (when set), whichever comes first.

    `joined` is the seats taken and `joined_fen` what their orders come to: one conditional UPDATE
    per join, never past `max_households`."""

    __tablename__ = "group_deals"
    __table_args__ = (
        CheckConstraint(f"status IN {GROUP_DEAL_STATUSES}", name="status"),
        CheckConstraint("min_households >= 1", name="min_households"),
        CheckConstraint("max_households IS NULL OR max_households >= min_households", name="max_households"),
        CheckConstraint("joined >= 0 AND (max_households IS NULL OR joined <= max_households)", name="joined"),
        CheckConstraint("min_amount_fen IS NULL OR min_amount_fen >= 1", name="min_amount_fen"),
        CheckConstraint("joined_fen >= 0", name="joined_fen"),
    )

    id: Mapped[intpk]
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), index=True)
    compound_id: Mapped[int] = mapped_column(BigId, ForeignKey("compounds.id"), index=True)
    # The courier who brings the group's goods: the joins' orders are on their pick list.
    courier_id: Mapped[int] = mapped_column(BigId, ForeignKey("couriers.id"), index=True)
    group_price_fen: Mapped[fen]
    min_households: Mapped[int]
    max_households: Mapped[int | None]
    deadline: Mapped[Timestamp] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    joined: Mapped[int] = mapped_column(default=0, server_default="0")
    min_amount_fen: Mapped[fen | None]  # the amount that also unlocks it (the joins' orders together)
    joined_fen: Mapped[fen] = mapped_column(default=0, server_default="0")

    def unlocked(self, joined: int, joined_fen: int) -> bool:
        """Whether this many households, ordering this much, unlock the group price."""
        return joined >= self.min_households or (self.min_amount_fen is not None and joined_fen >= self.min_amount_fen)
    created_by_staff_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("staff.id"))
    # Opened by a shopper on a deal that allows it (deals.group_price_fen): that deal and shopper.
    from_deal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("deals.id"))
    opened_by_shopper_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("shoppers.id"))
    settled_at: Mapped[Timestamp | None]  # when it succeeded or failed
    created_at: Mapped[created_at]

    product: Mapped[Product] = relationship(lazy="joined")
    compound: Mapped[Compound] = relationship()


class GroupJoin(Base):
    """A household's place in a group deal, with the order it joined with; one per shopper and deal."""

    __tablename__ = "group_joins"
    __table_args__ = (
        UniqueConstraint("group_deal_id", "shopper_id"),
        CheckConstraint(f"status IN {JOIN_STATUSES}", name="status"),
        CheckConstraint("quantity > 0", name="quantity"),
    )

    id: Mapped[intpk]
    group_deal_id: Mapped[int] = mapped_column(BigId, ForeignKey("group_deals.id"))
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id"), index=True)
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), unique=True)
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")
    created_at: Mapped[created_at]

    order: Mapped[Order] = relationship(lazy="joined")
