"""A shake, over REST or the socket: admitted, decided once per shake_id, a won item announced."""
from __future__ import annotations

from app import broadcasts, metrics
from app.actions.admission import shake_admission
from app.extensions import db
from app.services.shaking import ShakeResult
from app.wiring import draw_engine


def shake(shopper_id: int, round_id: int, shake_id: str, known_home: int | None = None) -> ShakeResult:
    """One shake, once per shake_id; a won item goes to the courier's pick list (not on a replay).
    `known_home`: the shopper's home compound as their socket read it on connect (DrawEngine.shake)."""
    engine = draw_engine()
    with shake_admission().admit(shopper_id):
        result = engine.shake(db.session, shopper_id, round_id, shake_id, known_home)
    metrics.shake_answered(engine, result.answer.body, result.answer.status)
    if result.won_order is not None:
        broadcasts.pickup_added(result.won_order)
    return result
