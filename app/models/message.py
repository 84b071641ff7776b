"""Subscribe messages: the sends each shopper's acceptances allow, and the outbox they leave by."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, Timestamp, created_at, intpk

OUTBOX_KINDS = ("van_arrived", "send")
OUTBOX_STATUSES = ("pending", "done", "sent", "refused", "failed")


class MessageSubscription(Base):
    """Messages of one template a shopper still lets us send: one per acceptance, as WeChat counts."""

    __tablename__ = "message_subscriptions"
    __table_args__ = (UniqueConstraint("shopper_id", "template_id"),
                      CheckConstraint("sends_left >= 0", name="sends_left"))

    id: Mapped[intpk]
    shopper_id: Mapped[int] = mapped_column(BigId, ForeignKey("shoppers.id"))
    template_id: Mapped[str] = mapped_column(String(64))
    sends_left: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[created_at]


class OutboxMessage(Base):
    """A message waiting to leave: a `van_arrived` job (one per arrival, expanded off the request
    path into one `send` per subscribed resident) or a `send` to one shopper."""

    __tablename__ = "message_outbox"
    __table_args__ = (CheckConstraint(f"kind IN {OUTBOX_KINDS}", name="kind"),
                      CheckConstraint(f"status IN {OUTBOX_STATUSES}", name="status"),
                      # the loop's one question: what is pending and due, oldest first
                      Index("ix_message_outbox_status_due_at", "status", "due_at"))

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    # a job: the compound and the arrival that opened its rounds
    compound_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("compounds.id"))
    arrival_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("arrivals.id"))
    # a send: whom, which template, what
    shopper_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("shoppers.id"))
    template_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict | None] = mapped_column(JSON)
    page: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # not before then: a retry's backoff, or another loop's claim while it sends
    due_at: Mapped[Timestamp]
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[Timestamp | None]
    created_at: Mapped[created_at]

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"
