"""Helpers for the clearance tests: a clearance deal through the console API, an order, a deal's counters."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.extensions import db
from app.models import Deal

DEALS = "/api/v1/console/deals"


def in_a_week() -> str:
    return (datetime.now(timezone.utc) + timedelta(days=7)).isoformat()


def clearance_body(make, product, compounds_, quantity=10, **kw) -> dict:
    """A valid POST /console/deals body for a clearance at 60% of the list price."""
    return make.deal_body(product, compounds_, kind="clearance", quantity=quantity,
                          deal_price_fen=product.price_fen * 6 // 10, ends_at=in_a_week(), **kw)


def order(client, headers, session_id, items, key):
    """POST /api/v1/orders with `items` [(product, quantity)]."""
    body = {"store_session_id": session_id, "items": [{"product_id": p.id, "quantity": q} for p, q in items]}
    return client.post("/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": key})


def sold(deal_id: int) -> tuple[int, int | None]:
    """(sold, quantity) of a deal, read afresh."""
    db.session.expire_all()
    deal = db.session.get(Deal, deal_id)
    return deal.sold, deal.quantity


def cancel_by_ops(client, make, order_id: int):
    answer = client.post(f"/api/v1/console/orders/{order_id}/cancel", json={"reason": "shopper called"},
                         headers=make.staff_headers("ops"))
    assert answer.status_code == 200, answer.get_json()
    return answer


def tissue_on_clearance(make, quantity: int):
    """A shop (tests/factories.Shop) whose compound has tissue (list ¥10) on clearance at ¥4:
    (shop, tissue, deal)."""
    shop = make.shop()
    tissue = make.product(price_fen=1000)
    return shop, tissue, make.deal(tissue, [shop.home], 400, kind="clearance", quantity=quantity)
