"""Ops setting a commission rate from the console: the change and its audit entry, together."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.services.audit import trail
from app.services.earnings import rules
from app.services.earnings.rules import RateChange

TARGET_TYPE = "commission_rule"


def set_commission_rate(session: Session, staff_id: int, category: str | None, rate_bp: int | None,
                        effective_from: datetime | None = None) -> RateChange:
    """Set (or with None remove) a category's rate, or the default's (category None), from
    `effective_from` (default now); audited as `commission_rule.set` with the rate before and after
    and when it applies from. The same rate again logs nothing."""
    change = rules.set_rate(session, category, rate_bp, effective_from)
    if change.changed:
        trail.record(session, staff_id, "commission_rule.set", (TARGET_TYPE, change.rule_id),
                     {"category": category, "default": category is None,
                      "rate_bp": [change.before_bp, change.after_bp],
                      "effective_from": effective_from.isoformat() if effective_from else None})
    return change
