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
        body["coupon"] = coupon_body(record.coupon.id, record.coupon.template, record.coupon.status)
    if record.order_id:
        order = record.order
        body["order"] = {"id": order.id, "pickup_code": order.pickup_code}
    return body


def coupon_body(coupon_id: int, terms, status: str) -> dict:
    """A won coupon; `terms` is its template, or anything with the template's title, discount_fen,
    threshold_fen and valid_until (what a RoundView keeps of it)."""
    return {"id": coupon_id, "title": terms.title, "discount_fen": terms.discount_fen,
            "threshold_fen": terms.threshold_fen, "valid_until": terms.valid_until.isoformat(), "status": status}


def coupon_win_body(shake_id: str, terms, coupon_id: int, shakes_left: int) -> dict:
    """The answer to a coupon won just now: what shake_body says of the recorded row, unread."""
    prize = {"kind": "coupon", "title": terms.title, "coupon": coupon_body(coupon_id, terms, "unused")}
    return {"shake_id": shake_id, "result": "win", "prize": prize, "shakes_left": shakes_left}


def won_order_id(body: dict) -> int | None:
    """The pickup order an answer's prize became, if it is an item won."""
    order = (body.get("prize") or {}).get("order")
    return order["id"] if order else None
