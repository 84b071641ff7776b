"""The audit log: who changed what in the console, written in the same transaction as the change."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, created_at, intpk
from app.models.staff import Staff


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    # "Everything that happened to campaign 7" is the question admins ask most.
    __table_args__ = (Index(None, "target_type", "target_id"),)

    id: Mapped[intpk]
    staff_id: Mapped[int] = mapped_column(BigId, ForeignKey("staff.id"), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int] = mapped_column(BigId)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[created_at] = mapped_column(index=True)

    staff: Mapped[Staff] = relationship(lazy="joined")
