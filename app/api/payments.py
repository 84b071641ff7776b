"""WeChat Pay's notifications: verified, then applied once."""
from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from app.actions import payments as payment_actions
from app.api.bodies import documented_body
from app.api.errors import ErrorBody
from app.schemas.payments import NotificationIn

blp = Blueprint("payments", __name__, url_prefix="/api/v1/payments", description="WeChat Pay notifications")


@blp.post("/wechat/notify")
@documented_body(blp, NotificationIn)
@blp.response(204)
@blp.alt_response(401, schema=ErrorBody, description="bad_signature: signature, serial, timestamp (> 5 min off) "
                                                     "or decryption failed; nothing changed")
def wechat_notify():
    """WeChat Pay's signed notification (TRANSACTION.SUCCESS, REFUND.*): 204 once verified and
    recorded, a repeat changes nothing; an amount or merchant not matching is a discrepancy, never paid."""
    payment_actions.receive_notification(request.headers, request.get_data(cache=False))
    return ""
