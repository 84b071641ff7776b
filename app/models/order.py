"""Orders picked up from the van, and the stored answers of idempotent requests."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, Timestamp, created_at, fen, intpk
from app.models.catalog import Product
from app.models.compound import Compound
from app.models.shopper import Shopper

ORDER_STATUSES = ("reserved", "pending_payment", "paid", "completed", "cancelled", "refunding", "refunded")
PAY_METHODS = ("at_van", "wechat")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (CheckConstraint(f"status IN {ORDER_STATUSES}", name="status"),
                      CheckConstraint(f"pay_method IN {PAY_METHODS}", name="pay_method"),
                      CheckConstraint("refunded_fen >= 0", name="refunded_fen"))

    id: Mapped[intpk]
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id"), index=True)
    courier_id: Mapped[int] = mapped_column(BigId, ForeignKey("couriers.id"), index=True)
    compound_id: Mapped[int] = mapped_column(BigId, ForeignKey("compounds.id"), index=True)
    store_session_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("store_sessions.id"))
    coupon_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("coupons.id"), unique=True)
    source: Mapped[str] = mapped_column(String(20), default="store")
    status: Mapped[str] = mapped_column(String(20), default="reserved")
    subtotal_fen: Mapped[fen]
    discount_fen: Mapped[fen] = mapped_column(default=0)
    total_fen: Mapped[fen]
    pickup_code: Mapped[str] = mapped_column(String(12), index=True)  # ops find an order by it
    # Wrong codes tried at the van; at the limit, handover is refused until ops resets it.
    wrong_code_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    completed_at: Mapped[Timestamp | None]
    pay_method: Mapped[str] = mapped_column(String(10), default="at_van", server_default="at_van")
    # Unpaid WeChat orders past it are settled by the payment loop (ORDER_PAY_MINUTES).
    pay_deadline: Mapped[Timestamp | None] = mapped_column(index=True)
    paid_at: Mapped[Timestamp | None]
    cancelled_at: Mapped[Timestamp | None]
    refunded_fen: Mapped[fen] = mapped_column(default=0, server_default="0")
    # A group order waiting for its group's outcome (app/services/groups): off the pick list, not
    # handed over, until the group succeeds.
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[created_at] = mapped_column(index=True)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", lazy="selectin", order_by="OrderItem.id"
    )
    shopper: Mapped[Shopper] = relationship(lazy="joined")
    compound: Mapped[Compound] = relationship(lazy="joined")


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    unit_price_fen: Mapped[fen]
    # Not on today's van (ops allow the product off the van): it comes on the courier's next run.
    next_run: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    order: Mapped[Order] = relationship(back_populates="items")
    product: Mapped[Product] = relationship(lazy="joined")


class IdempotentAnswer(Base):
    """The first answer to a request that carried a client-made id, replayed on retries."""

    __tablename__ = "idempotent_answers"
    __table_args__ = (UniqueConstraint("scope", "owner_id", "key"),)

    id: Mapped[intpk]
    scope: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(BigId)
    key: Mapped[str] = mapped_column(String(100))
    status: Mapped[int]
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[created_at]
