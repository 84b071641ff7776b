"""A shopper's subscribe message acceptances (wx.requestSubscribeMessage)."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from app.api.auth import auth_required, principal
from app.extensions import db
from app.schemas import messages as s
from app.services.messages import subscriptions

blp = Blueprint("shopper_subscriptions", __name__, url_prefix="/api/v1",
                description="Subscribe messages a shopper accepted")


def our_templates() -> list[str]:
    config = current_app.config
    return [config["WECHAT_TEMPLATE_VAN_ARRIVED"], config["WECHAT_TEMPLATE_ORDER_STATUS"]]


@blp.post("/me/subscriptions")
@auth_required("shopper")
@blp.arguments(s.Acceptances)
@blp.response(200, s.Subscriptions)
def accept(body):
    """Count what wx.requestSubscribeMessage accepted: one message per acceptance, as WeChat
    counts them (accepting a template twice allows two), up to 50 per template. Template ids
    that are not ours are ignored (not refused): the answer lists only our templates."""
    counts = subscriptions.accept(db.session, principal().subject_id, body["accepted"], our_templates())
    db.session.commit()
    return {"subscriptions": counts}


@blp.get("/me/subscriptions")
@auth_required("shopper")
@blp.response(200, s.Subscriptions)
def sends_left():
    """Messages of each of our templates the shopper still lets us send."""
    return {"subscriptions": subscriptions.sends_left(db.session, principal().subject_id, our_templates())}
