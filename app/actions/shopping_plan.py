"""The year's promotions and a shopping plan: marketing's calendar edits (audited), shoppers' wishes
(an Idempotency-Key makes adding one safe to retry), and the planner loop that keeps stored plans
fresh and says "time to buy" once. `replan_wishes()` is one round (tests and
`flask --app wsgi replan-wishes` call it by hand)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app

from app.background import BackgroundLoop
from app.extensions import db
from app.models import PromotionEvent, utcnow
from app.schemas.shopping_plan import WishEnvelope
from app.services import idempotency
from app.services.audit import trail
from app.services.shopping_plan import calendar, notices, wishes

log = logging.getLogger(__name__)
TARGET_TYPE = "promotion"
PLAN_EVERY_SECONDS = 300.0
SHOPPERS_PER_BATCH = 200
WISH = WishEnvelope()


def create_event(staff_id: int, body: dict) -> PromotionEvent:
    event = calendar.create_event(db.session, **body)
    trail.record(db.session, staff_id, "promotion.create", (TARGET_TYPE, event.id), body)
    db.session.commit()
    return event


def update_event(staff_id: int, event_id: int, body: dict) -> PromotionEvent:
    event = calendar.get_event(db.session, event_id)
    changed = calendar.update_event(db.session, event, **body)
    if changed:
        trail.record(db.session, staff_id, "promotion.update", (TARGET_TYPE, event.id), {"changes": changed})
    db.session.commit()
    return event


def delete_event(staff_id: int, event_id: int) -> None:
    event = calendar.get_event(db.session, event_id)
    details = {"name": event.name, "starts_on": event.starts_on, "ends_on": event.ends_on,
               "expected_discount_pct": event.expected_discount_pct}
    calendar.delete_event(db.session, event)
    trail.record(db.session, staff_id, "promotion.delete", (TARGET_TYPE, event_id), details)
    db.session.commit()


def add_wish(shopper_id: int, body: dict, idempotency_key: str | None) -> idempotency.Answer:
    """Record a wish with its plan and commit; with a key, a retry replays the first answer."""

    def produce():
        return 201, WISH.dump({"wish": wishes.add_wish(db.session, shopper_id, now=utcnow(), **body)})

    return idempotency.answer_once_if_keyed(db.session, "wish", shopper_id, idempotency_key, produce)


def remove_wish(shopper_id: int, wish_id: int) -> None:
    wishes.delete_wish(db.session, shopper_id, wish_id)
    db.session.commit()


def replan_wishes(now: datetime | None = None, every: timedelta | None = None) -> notices.Replanned:
    """One round: every shopper whose stored plans are older than SHOPPING_PLAN_REPLAN_MINUTES planned
    again, a batch per commit; "time to buy" queued once per wish and reason."""
    config = current_app.config
    template_id = config["WECHAT_TEMPLATE_SHOPPING_PLAN"]
    every = every if every is not None else timedelta(minutes=config.get("SHOPPING_PLAN_REPLAN_MINUTES", 60))
    total = notices.Replanned()
    while True:
        batch = notices.replan_due(db.session, now or utcnow(), template_id, every, SHOPPERS_PER_BATCH)
        db.session.commit()
        for name in ("shoppers", "told", "not_subscribed"):
            getattr(total, name).extend(getattr(batch, name))
        if len(batch.shoppers) < SHOPPERS_PER_BATCH:
            return total


class ShoppingPlanner(BackgroundLoop):
    retry_seconds = PLAN_EVERY_SECONDS

    def tick(self) -> float:
        with self.app.app_context():
            try:
                replanned = replan_wishes()
                if replanned.told:
                    log.info("time to buy told for %d wishes", len(replanned.told))
            finally:
                db.session.remove()
        return float(self.app.config.get("SHOPPING_PLAN_SECONDS", PLAN_EVERY_SECONDS))
