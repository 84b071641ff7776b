"""The year's promotions (年货节, 618, 双11) and shoppers' wishes planned against them."""
from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, Timestamp, created_at, fen, intpk, str120


class PromotionEvent(Base):
    """A shopping event of the calendar marketing keeps: its dates (Asia/Shanghai days, both
    included) and the discount expected per product category, in percent off the list price."""

    __tablename__ = "promotion_events"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates"),)

    id: Mapped[intpk]
    name: Mapped[str120]
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    expected_discount_pct: Mapped[dict] = mapped_column(JSON)  # category ("*": any other) -> percent
    created_at: Mapped[created_at]


class Wish(Base):
    """Something a shopper wants by `need_by`: a product or any item of a category, within an
    optional budget; with the plan last stored for it (when to buy), refreshed by the planner loop."""

    __tablename__ = "wishes"
    __table_args__ = (
        CheckConstraint("product_id IS NOT NULL OR category IS NOT NULL", name="what"),
        Index("ix_wishes_compound_id_plan_buy_on", "compound_id", "plan_buy_on"),
    )

    id: Mapped[intpk]
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("products.id"))
    category: Mapped[str | None] = mapped_column(String(60))
    budget_fen: Mapped[int | None]
    need_by: Mapped[date]
    # Where the shopper shops (home, else latest store session) when last planned: prices are this compound's.
    compound_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("compounds.id"))
    plan_buy_on: Mapped[date | None]
    plan_event_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("promotion_events.id"))
    plan_product_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("products.id"))
    plan_expected_price_fen: Mapped[fen | None]
    plan_saving_fen: Mapped[fen | None]
    planned_at: Mapped[Timestamp | None]
    created_at: Mapped[created_at]


class WishNotice(Base):
    """"The time has come" told once per wish and reason (`event:<id>` or `price`), whether or not
    the shopper had a send left (`queued`)."""

    __tablename__ = "wish_notices"
    __table_args__ = (UniqueConstraint("wish_id", "reason"),)

    id: Mapped[intpk]
    wish_id: Mapped[int] = mapped_column(BigId, ForeignKey("wishes.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(40))
    queued: Mapped[bool]
    created_at: Mapped[created_at]
