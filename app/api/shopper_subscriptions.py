"""A shopper's subscribe message acceptances (wx.requestSubscribeMessage)."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from app.actions import messages
from app.api.auth import auth_required, principal
from app.extensions import db
from app.schemas import messages as s
from app.services.messages import subscriptions

blp = Blueprint("shopper_subscriptions", __name__, url_prefix="/api/v1",
                description="Subscribe messages a shopper accepted")


@blp.post("/me/subscriptions")
@auth_required("shopper")
@blp.arguments(s.OptionalIdempotencyHeader, location="headers")
@blp.arguments(s.Acceptances)
@blp.response(200, s.Subscriptions)
def accept(headers, body):
    """Count what wx.requestSubscribeMessage accepted.

    One message per acceptance, as WeChat counts them (accepting a template twice allows two),
    up to 50 per template. Template ids that are not ours are ignored, not refused: the answer
    lists our templates only. With an Idempotency-Key, a retried request counts once.
    """
    answer = messages.accept(principal().subject_id, body["accepted"], headers.get("idempotency_key"))
    return jsonify(answer.body), answer.status


@blp.get("/me/subscriptions")
@auth_required("shopper")
@blp.response(200, s.Subscriptions)
def sends_left():
    """Messages of each of our templates the shopper still lets us send."""
    counts = subscriptions.sends_left(db.session, principal().subject_id, messages.our_templates())
    return {"subscriptions": counts}
