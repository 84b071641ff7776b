"""Helpers for the van load tests: declare a van load, read what is left of a product on it."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import VanLoadItem

VAN_LOAD = "/api/v1/courier/van-load"


def load_van(client, courier_headers, items) -> dict:
    """PUT today's van load ([(product, quantity)]); returns the van_load body."""
    answer = client.put(VAN_LOAD, json={"items": [{"product_id": p.id, "quantity": q} for p, q in items]},
                        headers=courier_headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["van_load"]


def quantity_and_reserved(product) -> tuple[int, int]:
    """(quantity, reserved) of the product (or product id) on the one van load that has it."""
    product_id = product if isinstance(product, int) else product.id
    db.session.expire_all()
    item = db.session.scalars(select(VanLoadItem).where(VanLoadItem.product_id == product_id)).one()
    return item.quantity, item.reserved
