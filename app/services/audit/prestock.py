"""Staff changing pre-stocking: a courier's reviewed loading list, a confirmed load, the safety margin.
Each change and its audit entry together (the caller commits)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from app.models import Courier, VanLoadItem
from app.services.audit import trail
from app.services.prestock import plans
from app.services.prestock.demand import Margin


def listed(day: date, items: list[dict] | None) -> dict:
    return {"date": day.isoformat(), "items": None if items is None else
            [{"product_id": i["product_id"], "quantity": i["quantity"]} for i in items]}


def review(session: Session, staff_id: int, courier: Courier, day: date, items: list[dict],
           now: datetime) -> plans.LoadingList:
    """Ops adjusting a courier's loading list for a day: what the courier then sees."""
    loading = plans.save_review(session, courier.id, day, items, now)
    trail.record(session, staff_id, "prestock.review", courier, listed(day, items))
    return loading


def confirm(session: Session, staff_id: int, courier: Courier, day: date, items: list[dict] | None,
            now: datetime) -> list[VanLoadItem]:
    """Ops making the loading list the courier's van load for the day, as the courier would."""
    load = plans.confirm(session, courier.id, day, items, now)
    trail.record(session, staff_id, "prestock.confirm", courier, listed(day, items))
    return load


def set_margin(session: Session, staff_id: int, wanted: Margin, now: datetime) -> Margin:
    before = plans.margin(session)
    plans.set_margin(session, wanted, now)
    trail.record(session, staff_id, "prestock.margin", ("prestock_settings", plans.SETTINGS_ID),
                 {"before": {"percent": before.percent, "minimum": before.minimum},
                  "after": {"percent": wanted.percent, "minimum": wanted.minimum}})
    return wanted
