"""What a clearance deal carries: a quantity of units at its price and an end; only it has a quantity."""
from __future__ import annotations

from datetime import datetime

from app.services.errors import InvalidRequest

CLEARANCE = "clearance"


def check_deal(kind: str, quantity: int | None, ends_at: datetime | None, sold: int = 0,
               product_changed: bool = False) -> None:
    """Refuse a deal (new, or as an edit would leave it) whose clearance fields do not fit its kind."""
    if kind != CLEARANCE:
        if quantity is not None:
            raise InvalidRequest({"quantity": "only a clearance deal has a quantity"})
        if sold:
            raise InvalidRequest({"kind": f"{sold} units were sold at clearance: it stays a clearance deal"})
        return
    if quantity is None:
        raise InvalidRequest({"quantity": "a clearance deal needs a quantity (units at the clearance price)"})
    if ends_at is None:
        raise InvalidRequest({"ends_at": "a clearance deal needs an end"})
    if quantity < sold:
        raise InvalidRequest({"quantity": f"below the {sold} units already sold"})
    if product_changed and sold:
        raise InvalidRequest({"product_id": f"{sold} units were sold at clearance: the product stays"})
