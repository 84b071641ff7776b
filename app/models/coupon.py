"""Coupon templates (what ops offers a compound) and coupons (what a shopper holds)."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, Timestamp, created_at, fen, intpk, str120
from app.models.compound import Compound

coupon_template_compounds = Table(
    "coupon_template_compounds",
    Base.metadata,
    Column("coupon_template_id", BigId, ForeignKey("coupon_templates.id", ondelete="CASCADE"), primary_key=True),
    Column("compound_id", BigId, ForeignKey("compounds.id", ondelete="CASCADE"), primary_key=True),
)


class CouponTemplate(Base):
    __tablename__ = "coupon_templates"
    __table_args__ = (
        # The stock invariant lives in the database too: no claim can push issued past total.
        CheckConstraint("issued >= 0 AND issued <= total", name="issued_within_total"),
        CheckConstraint("discount_fen > 0", name="discount_fen"),
        CheckConstraint("per_shopper_limit >= 1", name="per_shopper_limit"),
    )

    id: Mapped[intpk]
    title: Mapped[str120]
    discount_fen: Mapped[fen]
    threshold_fen: Mapped[fen]
    total: Mapped[int]
    issued: Mapped[int] = mapped_column(default=0)
    per_shopper_limit: Mapped[int]
    valid_from: Mapped[Timestamp]
    valid_until: Mapped[Timestamp]
    created_at: Mapped[created_at]

    compounds: Mapped[list[Compound]] = relationship(
        secondary=coupon_template_compounds
    )

    @property
    def remaining(self) -> int:
        return self.total - self.issued


class Coupon(Base):
    __tablename__ = "coupons"
    __table_args__ = (
        # claim_no is 1..per_shopper_limit for claimed coupons (NULL for prizes), so the
        # per-shopper limit is a unique constraint, not a count that races.
        UniqueConstraint("template_id", "shopper_id", "claim_no"),
    )

    id: Mapped[intpk]
    template_id: Mapped[int] = mapped_column(BigId, ForeignKey("coupon_templates.id"), index=True)
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id"), index=True)
    claim_no: Mapped[int | None]
    # The courier whose store the claim came through (the shopper's latest store session in a
    # compound of the template); NULL for a won coupon (its round's arrival names the courier).
    courier_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("couriers.id"), index=True)
    source: Mapped[str] = mapped_column(String(20), default="claim")
    status: Mapped[str] = mapped_column(String(20), default="unused")
    used_at: Mapped[Timestamp | None]
    created_at: Mapped[created_at]

    template: Mapped[CouponTemplate] = relationship(lazy="joined")
