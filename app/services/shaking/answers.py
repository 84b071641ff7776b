"""What a shake answers (API.md's shake body), defined here once, and what an engine hands back.

Every answer, whichever engine decided it and however it was made (read back from the
shake's row, built from the Redis engine's view of a coupon won just now, or a lose the
Lua script stored), is a ShakeAnswer made into its body by `body()`.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.models import Order, Shake
from app.services.idempotency import Answer


@dataclass(frozen=True)
class PrizeWon:
    """What the shopper won, with the coupon or the pickup order it became."""

    kind: str
    title: str
    coupon: dict | None = None  # API.md's coupon, for a coupon prize
    order: dict | None = None  # {"id", "pickup_code"}, for an item prize

    def body(self) -> dict:
        body = {"kind": self.kind, "title": self.title}
        if self.coupon is not None:
            body["coupon"] = self.coupon
        if self.order is not None:
            body["order"] = self.order
        return body


@dataclass(frozen=True)
class ShakeAnswer:
    shake_id: str
    prize: PrizeWon | None
    shakes_left: int

    def body(self) -> dict:
        return {"shake_id": self.shake_id, "result": "lose" if self.prize is None else "win",
                "prize": None if self.prize is None else self.prize.body(), "shakes_left": self.shakes_left}

    @classmethod
    def lose(cls, shake_id: str, shakes_left: int) -> ShakeAnswer:
        return cls(shake_id, None, shakes_left)

    @classmethod
    def of_record(cls, record: Shake, shakes_left: int) -> ShakeAnswer:
        """The answer a recorded shake gives."""
        return cls(record.shake_id, prize_won(record), shakes_left)

    @classmethod
    def coupon_won(cls, shake_id: str, terms, coupon_id: int, shakes_left: int) -> ShakeAnswer:
        """A coupon won just now: what of_record says of its row, without reading it back."""
        return cls(shake_id, PrizeWon("coupon", terms.title, coupon=coupon_body(coupon_id, terms, "unused")),
                   shakes_left)


def prize_won(record: Shake) -> PrizeWon | None:
    """What a recorded shake won, if anything."""
    if not record.won:
        return None
    prize = record.round_prize.prize
    coupon = coupon_body(record.coupon.id, record.coupon.template, record.coupon.status) if record.coupon_id else None
    order = {"id": record.order.id, "pickup_code": record.order.pickup_code} if record.order_id else None
    return PrizeWon(prize.kind, prize.title, coupon, order)


def coupon_body(coupon_id: int, terms, status: str) -> dict:
    """A won coupon; `terms` is its template, or anything with the template's title, discount_fen,
    threshold_fen and valid_until (what the Redis engine's RoundView keeps of it)."""
    return {"id": coupon_id, "title": terms.title, "discount_fen": terms.discount_fen,
            "threshold_fen": terms.threshold_fen, "valid_until": terms.valid_until.isoformat(), "status": status}


@dataclass(frozen=True)
class ShakeResult:
    """A shake as an engine answered it."""

    answer: Answer  # status and body as sent, stored and replayed (a refusal in API.md's error shape)
    won_order: Order | None = None  # the pickup order this very shake won, not on a replay: announce it
