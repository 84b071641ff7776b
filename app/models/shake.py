"""Arrivals of a van, the shake rounds they open, and every shake drawn in a round."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, LargeBinary, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, Timestamp, created_at, intpk
from app.models.campaign import Campaign, CampaignPrize
from app.models.compound import Compound

if TYPE_CHECKING:
    from app.models.coupon import Coupon
    from app.models.order import Order


class Arrival(Base):
    """A courier's "arrived" tap, recorded once per device event id."""

    __tablename__ = "arrivals"
    __table_args__ = (
        UniqueConstraint("courier_id", "event_id"),
        # A courier's taps of the last minute: the per-minute limit looks here on every tap.
        Index("ix_arrivals_courier_received", "courier_id", "received_at"),
    )

    id: Mapped[intpk]
    courier_id: Mapped[int] = mapped_column(BigId, ForeignKey("couriers.id"), index=True)
    compound_id: Mapped[int] = mapped_column(BigId, ForeignKey("compounds.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[Timestamp]
    received_at: Mapped[created_at]
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    # How far the device said it was from the compound's centre, and whether that is
    # beyond the compound's radius (flagged for ops: GPS in a van drifts).
    distance_m: Mapped[int | None]
    far_from_compound: Mapped[bool] = mapped_column(default=False)
    stale: Mapped[bool] = mapped_column(default=False)
    # Refused as more than the compound's radius + TOO_FAR_MARGIN_M away (422 too_far), and a
    # repeat of the courier's arrival that opened a round there minutes ago (opens nothing).
    too_far: Mapped[bool] = mapped_column(default=False, server_default=false())
    repeat: Mapped[bool] = mapped_column(default=False, server_default=false())

    compound: Mapped[Compound] = relationship()


class ShakeRound(Base):
    """A shake window in one compound for one campaign, opened by an arrival."""

    __tablename__ = "shake_rounds"
    __table_args__ = (
        # Set while the round is open and cleared when it closes: at most one open round
        # per campaign and compound, even when two vans arrive in the same second.
        UniqueConstraint("open_slot"),
    )

    id: Mapped[intpk]
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id"), index=True)
    compound_id: Mapped[int] = mapped_column(BigId, ForeignKey("compounds.id"), index=True)
    arrival_id: Mapped[int] = mapped_column(BigId, ForeignKey("arrivals.id"))
    opens_at: Mapped[Timestamp]
    closes_at: Mapped[Timestamp] = mapped_column(index=True)
    closed_at: Mapped[Timestamp | None]
    open_slot: Mapped[str | None] = mapped_column(String(60))
    # The secret every shake's number comes from (app/services/draws), and the commitment to it
    # (hex SHA-256) shown from the start: the seed itself only once the round has closed. None:
    # a round opened before draws were verifiable.
    seed: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    seed_sha256: Mapped[str | None] = mapped_column(String(64))

    # A shake needs the campaign's limits and the round's prizes; nothing else is eager.
    campaign: Mapped[Campaign] = relationship(lazy="joined")
    compound: Mapped[Compound] = relationship()
    prizes: Mapped[list[RoundPrize]] = relationship(lazy="selectin", order_by="RoundPrize.id")

    @property
    def campaign_status(self) -> str:
        return self.campaign.status


class RoundPrize(Base):
    """A round's stock of one prize; taken with one conditional UPDATE per win."""

    __tablename__ = "round_prizes"
    __table_args__ = (
        CheckConstraint("awarded >= 0 AND awarded <= stock", name="awarded_within_stock"),
        UniqueConstraint("round_id", "prize_id"),
    )

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(BigId, ForeignKey("shake_rounds.id"), index=True)
    prize_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaign_prizes.id"))
    stock: Mapped[int]
    awarded: Mapped[int] = mapped_column(default=0)

    prize: Mapped[CampaignPrize] = relationship(lazy="joined")


class RoundShopper(Base):
    """A shopper's shakes and wins in a round, bumped by conditional UPDATEs under the limits."""

    __tablename__ = "round_shoppers"
    __table_args__ = (
        UniqueConstraint("round_id", "shopper_id"),
        CheckConstraint("shakes >= 0 AND wins >= 0", name="counts"),
    )

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(BigId, ForeignKey("shake_rounds.id"))
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id"), index=True)
    shakes: Mapped[int] = mapped_column(default=0)
    wins: Mapped[int] = mapped_column(default=0)


# As each database renders decided_wins.prizes_unmade's WHERE, so that its planner uses the index.
PRIZE_UNMADE = {"postgresql": "won AND coupon_id IS NULL AND order_id IS NULL",
                "sqlite": "won = 1 AND coupon_id IS NULL AND order_id IS NULL"}


class Shake(Base):
    """One shake and its result; (shopper, shake_id) replays the first answer."""

    __tablename__ = "shakes"
    __table_args__ = (
        UniqueConstraint("shopper_id", "shake_id"),
        # Wins whose prize was never made (their worker stopped between claiming the stock and
        # making the prize): few rows at any time, looked for every few seconds.
        Index("ix_shakes_prize_unmade", "created_at",
              postgresql_where=text(PRIZE_UNMADE["postgresql"]), sqlite_where=text(PRIZE_UNMADE["sqlite"])),
        # The shake that won an item order (a cancelled win gives its unit back): wins only, so
        # a shake that wins nothing writes no entry.
        Index("ix_shakes_order_id", "order_id", unique=True, postgresql_where=text("order_id IS NOT NULL"),
              sqlite_where=text("order_id IS NOT NULL")),
    )

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(BigId, ForeignKey("shake_rounds.id"), index=True)
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id"))
    shake_id: Mapped[str] = mapped_column(String(100))
    won: Mapped[bool] = mapped_column(default=False)
    round_prize_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("round_prizes.id"))
    coupon_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("coupons.id"))
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orders.id"))
    created_at: Mapped[created_at] = mapped_column(index=True)

    round_prize: Mapped[RoundPrize | None] = relationship(lazy="joined")
    coupon: Mapped[Coupon | None] = relationship()  # what a won coupon prize became
    order: Mapped[Order | None] = relationship()  # what a won item became: an order to pick up


class ShopperCompoundDay(Base):
    """The one compound a shopper shakes in for a campaign on a day (Asia/Shanghai): the first
    where they shook in a round of it that day (the SQL draw engine's; the Redis one keeps it in Redis)."""

    __tablename__ = "shopper_compound_days"
    __table_args__ = (UniqueConstraint("campaign_id", "shopper_id", "day"),)

    id: Mapped[intpk]
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id"))
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id"), index=True)
    day: Mapped[date]
    compound_id: Mapped[int] = mapped_column(BigId, ForeignKey("compounds.id"))
