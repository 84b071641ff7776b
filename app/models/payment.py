"""WeChat Pay money trail: a payment per order, its refunds, the notifications seen, and what did not add up."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import BigId, Base, Timestamp, created_at, fen, intpk
from app.models.order import Order

REFUND_STATUSES = ("queued", "processing", "success", "closed", "abnormal")


class Payment(Base):
    """The WeChat Pay order behind one of our orders (prepaid once, whatever the retries)."""

    __tablename__ = "payments"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), unique=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    amount_fen: Mapped[fen]
    prepay_id: Mapped[str | None] = mapped_column(String(64))
    transaction_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[created_at]

    order: Mapped[Order] = relationship(lazy="joined")


class PaymentRefund(Base):
    """A full refund of an order's payment; one per order, so money never goes back twice."""

    __tablename__ = "payment_refunds"
    __table_args__ = (CheckConstraint(f"status IN {REFUND_STATUSES}", name="status"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"), unique=True)
    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)
    amount_fen: Mapped[fen]
    reason: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(40))  # shopper, staff:<id>, system
    # queued: not yet accepted by WeChat Pay (down); the payment loop sends it again.
    status: Mapped[str] = mapped_column(String(20), default="queued")
    refund_id: Mapped[str | None] = mapped_column(String(64))
    succeeded_at: Mapped[Timestamp | None] = mapped_column(index=True)
    created_at: Mapped[created_at]


class PaymentNotification(Base):
    """A notification already handled, by WeChat Pay's id: a repeat changes nothing."""

    __tablename__ = "payment_notifications"

    id: Mapped[intpk]
    notification_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[created_at]


class PaymentDiscrepancy(Base):
    """Money that did not match an order (amount, merchant, a success for a closed order): for ops."""

    __tablename__ = "payment_discrepancies"

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(40))
    out_trade_no: Mapped[str | None] = mapped_column(String(32))
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orders.id"), index=True)
    amount_fen: Mapped[int | None]
    detail: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[created_at] = mapped_column(index=True)
