"""The promotion calendar marketing keeps: events with their dates and expected discounts by category."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import PromotionEvent, Wish
from app.services.errors import InvalidRequest
from app.services.rows import apply_changes, get_row
from app.services.shopping_plan.plan import Event

MAX_DISCOUNT_PCT = 90  # an expectation above this is a typo


def check_event(starts_on: date, ends_on: date, expected_discount_pct: dict) -> None:
    if ends_on < starts_on:
        raise InvalidRequest({"ends_on": "must be on or after starts_on"})
    bad = [c for c, pct in expected_discount_pct.items() if not 0 <= pct <= MAX_DISCOUNT_PCT]
    if bad:
        raise InvalidRequest({"expected_discount_pct": f"percent off must be 0-{MAX_DISCOUNT_PCT}: {bad}"})


def create_event(session: Session, *, name: str, starts_on: date, ends_on: date,
                 expected_discount_pct: dict) -> PromotionEvent:
    check_event(starts_on, ends_on, expected_discount_pct)
    event = PromotionEvent(name=name, starts_on=starts_on, ends_on=ends_on,
                           expected_discount_pct=dict(expected_discount_pct))
    session.add(event)
    session.flush()
    return event


def get_event(session: Session, event_id: int) -> PromotionEvent:
    return get_row(session, PromotionEvent, event_id, "promotion")


def update_event(session: Session, event: PromotionEvent, **changes) -> dict:
    """Apply the given fields (those of `create_event`), checked as a new event's; {field: [before, after]}."""
    merged = {name: changes.get(name, getattr(event, name)) for name in
              ("starts_on", "ends_on", "expected_discount_pct")}
    check_event(**merged)
    changed = apply_changes(event, changes)
    session.flush()
    return changed


def delete_event(session: Session, event: PromotionEvent) -> None:
    """Remove the event; plans that waited for it are planned again at the planner's next round."""
    session.execute(update(Wish).where(Wish.plan_event_id == event.id)
                    .values(plan_event_id=None, planned_at=None).execution_options(synchronize_session=False))
    session.delete(event)
    session.flush()


def events(session: Session, ending_from: date | None = None) -> list[PromotionEvent]:
    """The calendar in date order (those ending on or after `ending_from`, if given)."""
    query = select(PromotionEvent).order_by(PromotionEvent.starts_on, PromotionEvent.id)
    if ending_from is not None:
        query = query.where(PromotionEvent.ends_on >= ending_from)
    return list(session.scalars(query))


def as_events(rows) -> list[Event]:
    """The plan's view of calendar rows."""
    return [Event(r.id, r.name, r.starts_on, r.ends_on, r.expected_discount_pct) for r in rows]
