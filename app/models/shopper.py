"""Shoppers, their addresses and their store sessions (courier x compound)."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, Timestamp, created_at, intpk, str500
from app.models.compound import Compound
from app.models.courier import Courier


class Shopper(Base):
    __tablename__ = "shoppers"

    id: Mapped[intpk]
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64))
    # WeChat's session_key: replaced on every login, never leaves the server.
    session_key: Mapped[str] = mapped_column(String(64))
    nickname: Mapped[str | None] = mapped_column(String(64))
    avatar_url: Mapped[str500 | None]
    phone: Mapped[str | None] = mapped_column(String(32))
    last_login_at: Mapped[Timestamp | None]
    created_at: Mapped[created_at]


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[intpk]
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(300))
    compound_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("compounds.id"))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]

    compound: Mapped[Compound | None] = relationship(lazy="joined")


class StoreSession(Base):
    __tablename__ = "store_sessions"

    id: Mapped[intpk]
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id"), index=True)
    courier_id: Mapped[int] = mapped_column(BigId, ForeignKey("couriers.id"))
    compound_id: Mapped[int] = mapped_column(BigId, ForeignKey("compounds.id"), index=True)
    created_at: Mapped[created_at] = mapped_column(index=True)

    courier: Mapped[Courier] = relationship(lazy="joined")
    compound: Mapped[Compound] = relationship(lazy="joined")
