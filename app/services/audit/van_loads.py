"""Ops setting a courier's van load from the console: the change and its audit entry, together."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.models import Courier, VanLoadItem
from app.services.audit import trail
from app.services.van import loads


def set_van_load(session: Session, staff_id: int, courier: Courier, items: list[dict],
                 now: datetime) -> list[VanLoadItem]:
    """Replace the courier's van load for today, as the courier would, and audit it (the caller commits)."""
    load = loads.replace_van_load(session, courier.id, items, now)
    trail.record(session, staff_id, "van_load.set", courier,
                 {"date": loads.van_day(now).isoformat(),
                  "items": [{"product_id": i["product_id"], "quantity": i["quantity"]} for i in items]})
    return load
