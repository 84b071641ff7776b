"""What a courier earns on his store's sales: a commission rate per product category, set by ops."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, String
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
