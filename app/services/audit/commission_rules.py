"""Ops setting a commission rate from the console: the change and its audit entry, together."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.services.audit import trail
from app.services.earnings import rules
from app.services.earnings.rules import RateChange

TARGET_TYPE = "commission_rule"


def set_commission_rate(session: Session, staff_id: int, category: str | None, rate_bp: int | None) -> RateChange:
    """Set (or with None remove) a category's rate, or the default's (category None); audited as
    `commission_rule.set` with the rate before and after. The same rate again logs nothing."""
    change = rules.set_rate(session, category, rate_bp)
    if change.changed:
        trail.record(session, staff_id, "commission_rule.set", (TARGET_TYPE, change.rule_id),
                     {"category": category, "default": category is None,
                      "rate_bp": [change.before_bp, change.after_bp]})
    return change
