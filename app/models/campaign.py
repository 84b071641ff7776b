"""Shake campaigns: which compounds, when, how long a round lasts, and each round's prize pool."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Float, ForeignKey, String, Table, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, Timestamp, created_at, intpk, str120
from app.models.catalog import Product
from app.models.compound import Compound
from app.models.coupon import CouponTemplate

CAMPAIGN_STATUSES = ("active", "paused")
PRIZE_KINDS = ("coupon", "item")

campaign_compounds = Table(
    "campaign_compounds",
    Base.metadata,
    Column("campaign_id", BigId, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("compound_id", BigId, ForeignKey("compounds.id", ondelete="CASCADE"), primary_key=True),
)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(f"status IN {CAMPAIGN_STATUSES}", name="status"),
        CheckConstraint("window_seconds > 0", name="window_seconds"),
        CheckConstraint("shakes_per_shopper >= 1 AND wins_per_shopper >= 0", name="per_shopper"),
        CheckConstraint("rounds_per_compound_per_day >= 1", name="rounds_per_compound_per_day"),
    )

    id: Mapped[intpk]
    title: Mapped[str120]
    starts_at: Mapped[Timestamp]
    ends_at: Mapped[Timestamp]
    window_seconds: Mapped[int]
    shakes_per_shopper: Mapped[int]
    wins_per_shopper: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[created_at]
    # At most this many rounds a day (Asia/Shanghai) in each compound, however often vans arrive.
    rounds_per_compound_per_day: Mapped[int] = mapped_column(default=2, server_default=text("2"))

    compounds: Mapped[list[Compound]] = relationship(secondary=campaign_compounds, order_by=Compound.id)
    prizes: Mapped[list[CampaignPrize]] = relationship(
        back_populates="campaign", order_by="CampaignPrize.id"
    )


class CampaignPrize(Base):
    """One line of a round's prize pool: `per_round` of these, each shake wins with `win_probability`.

    `total` (None: no cap) bounds what the line gives over the whole campaign; `allocated` is
    what rounds hold of it: each round takes its stock when it opens and gives back what it
    did not award when it closes, so open rounds together never hold more than the total.
    """

    __tablename__ = "campaign_prizes"
    __table_args__ = (
        CheckConstraint(f"kind IN {PRIZE_KINDS}", name="kind"),
        CheckConstraint("per_round >= 1", name="per_round"),
        CheckConstraint("allocated >= 0 AND (total IS NULL OR allocated <= total)",
                        name="allocated_within_total"),
        CheckConstraint("win_probability > 0 AND win_probability <= 1", name="win_probability"),
        CheckConstraint(
            "(kind = 'coupon' AND coupon_template_id IS NOT NULL) OR (kind = 'item' AND product_id IS NOT NULL)",
            name="prize_target",
        ),
    )

    id: Mapped[intpk]
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    coupon_template_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("coupon_templates.id"))
    product_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("products.id"))
    per_round: Mapped[int]
    win_probability: Mapped[float] = mapped_column(Float)
    total: Mapped[int | None]
    allocated: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    campaign: Mapped[Campaign] = relationship(back_populates="prizes")
    # Loaded when a prize is won or shown, not on every shake.
    coupon_template: Mapped[CouponTemplate | None] = relationship()
    product: Mapped[Product | None] = relationship()

    @property
    def title(self) -> str:
        return self.coupon_template.title if self.kind == "coupon" else self.product.name
