"""Demo data: a city district, two couriers, products, deals and coupons."""
from __future__ import annotations

from sqlalchemy.orm import Session


def seed_demo(session: Session) -> list[str]:
    return []
