"""Console staff accounts."""
from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at, first_token_version, intpk

STAFF_ROLES = ("admin", "marketing", "ops")


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint(f"role IN {STAFF_ROLES}", name="role"),)

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[created_at]
    # A disabled account cannot sign in and its tokens stop working (app/services/accounts/standing.py).
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # In every token and console session; bumping it (console sign-out) voids them all.
    token_version: Mapped[int] = mapped_column(Integer, default=first_token_version, server_default="0")
