"""What a courier earns on his store's sales: a commission rate per product category, set by ops."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamp, intpk, utcnow

# The row whose rate applies to every category without a rule of its own.
DEFAULT_CATEGORY = "*"
MAX_RATE_BP = 10_000  # basis points: 10,000 is the whole sale


class CommissionRule(Base):
    """The courier's share of a category's sales, in basis points (1 bp = 0.01 %)."""

    __tablename__ = "commission_rules"
    __table_args__ = (CheckConstraint(f"rate_bp >= 0 AND rate_bp <= {MAX_RATE_BP}", name="rate_bp"),)

    id: Mapped[intpk]
    category: Mapped[str] = mapped_column(String(60), unique=True)
    rate_bp: Mapped[int]
    updated_at: Mapped[Timestamp] = mapped_column(default=utcnow, onupdate=utcnow)


class CommissionRateChange(Base):
    """Every change of a rate, from when it applies: a statement pays each line at the rate in force
    when it was handed over, so a new rate never rewrites a month already paid. `rate_bp` None:
    the category's rule was removed (it falls back to the default)."""

    __tablename__ = "commission_rate_changes"
    __table_args__ = (
        CheckConstraint(f"rate_bp IS NULL OR (rate_bp >= 0 AND rate_bp <= {MAX_RATE_BP})", name="rate_bp"),
        Index("ix_commission_rate_changes_category_effective_from", "category", "effective_from"),
    )

    id: Mapped[intpk]
    category: Mapped[str] = mapped_column(String(60))
    rate_bp: Mapped[int | None]
    effective_from: Mapped[Timestamp]
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
