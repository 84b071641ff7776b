"""The handover at the van: the shopper reads the pickup code, the courier's tap completes the order."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.auth import auth_required, principal
from app.api.errors import ErrorBody
from app.extensions import db
from app.models import utcnow
from app.schemas.base import In, Text
from app.services import idempotency
from app.services.store import pickups

blp = Blueprint("courier_pickups", __name__, url_prefix="/api/v1/courier", description="Handover at the van")


class HandoverIn(In):
    pickup_code = Text(12, required=True)
    event_id = Text(100, load_default=None,
                    metadata={"description": "client-made id: a resend replays the first answer"})


class HandedOverOrder(Schema):
    id = fields.Integer()
    status = fields.String()


class HandoverAnswer(Schema):
    order = fields.Nested(HandedOverOrder)


@blp.post("/pickups/<int:order_id>/handover")
@auth_required("courier")
@blp.arguments(HandoverIn)
@blp.response(200, HandoverAnswer)
@blp.alt_response(409, schema=ErrorBody, description="wrong_code, with attempts_left")
@blp.alt_response(429, schema=ErrorBody, description="too_many_attempts: locked until ops resets the order")
def handover(body, order_id):
    """Complete the order when the pickup code is right; exactly once, however often it is sent."""
    answer = hand_over_once(principal().subject_id, order_id, body)
    return jsonify(answer.body), answer.status


def hand_over_once(courier_id: int, order_id: int, body: dict) -> idempotency.Answer:
    """Run the handover; with an `event_id`, once per id (a resend gets the first answer)."""

    def produce() -> tuple[int, dict]:
        outcome = pickups.hand_over(db.session, courier_id, order_id, body["pickup_code"], utcnow())
        if outcome.refusal is not None:
            return outcome.refusal.status, idempotency.error_body(outcome.refusal)
        return 200, HandoverAnswer().dump({"order": outcome.order})

    if body["event_id"] is not None:
        return idempotency.answer_once(db.session, "handover", courier_id, body["event_id"], produce)
    status, answer = produce()
    db.session.commit()  # a wrong code is counted even though the answer is a refusal
    return idempotency.Answer(status, answer, replayed=False)
