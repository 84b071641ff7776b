"""The body a shake is answered with (API.md's shake answer), from its recorded row."""
from __future__ import annotations

from app.models import Shake


def shake_body(record: Shake, shakes_left: int) -> dict:
    return {"shake_id": record.shake_id, "result": "win" if record.won else "lose",
            "prize": prize_body(record), "shakes_left": shakes_left}


def prize_body(record: Shake) -> dict | None:
    """What the shopper won, with the coupon or the pickup order it became."""
    if not record.won:
        return None
    prize = record.round_prize.prize
    body = {"kind": prize.kind, "title": prize.title}
    if record.coupon_id:
        coupon = record.coupon
        body["coupon"] = {"id": coupon.id, "title": coupon.template.title,
                          "discount_fen": coupon.template.discount_fen,
                          "threshold_fen": coupon.template.threshold_fen,
                          "valid_until": coupon.template.valid_until.isoformat(), "status": coupon.status}
    if record.order_id:
        order = record.order
        body["order"] = {"id": order.id, "pickup_code": order.pickup_code}
    return body


def won_order_id(body: dict) -> int | None:
    """The pickup order an answer's prize became, if it is an item won."""
    order = (body.get("prize") or {}).get("order")
    return order["id"] if order else None
