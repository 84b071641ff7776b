"""Ops on one order from the console: cancel it, or unlock its handover after too many wrong codes."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.actions import payments as payment_actions
from app.api.auth import auth_required, principal
from app.api.errors import ErrorBody
from app.extensions import db
from app.schemas.orders import CancelIn, ConsoleOrderEnvelope
from app.schemas.payments import ReconciliationArgs, ReconciliationOut, RefundIn
from app.services.audit import changes
from app.services.payments import reconciliation

blp = Blueprint("console_orders", __name__, url_prefix="/api/v1/console", description="Orders (ops)")


@blp.post("/orders/<int:order_id>/cancel")
@auth_required("staff", "ops")
@blp.arguments(CancelIn)
@blp.response(200, ConsoleOrderEnvelope)
@blp.alt_response(409, schema=ErrorBody, description="not_cancellable: handed over already")
def cancel_order(body, order_id):
    """Cancel an order not yet handed over; its coupon goes back to the shopper. Audited; a repeat changes nothing."""
    return {"order": payment_actions.cancel_by_staff(principal().subject_id, order_id, body["reason"])}


@blp.post("/orders/<int:order_id>/unlock-handover")
@auth_required("staff", "ops")
@blp.response(200, ConsoleOrderEnvelope)
def unlock_handover(order_id):
    """Let the courier try pickup codes again (wrong tries back to 0). Audited."""
    order = changes.unlock_handover(db.session, principal().subject_id, order_id)
    db.session.commit()
    return {"order": order}


@blp.post("/orders/<int:order_id>/refund")
@auth_required("staff", "ops")
@blp.arguments(RefundIn)
@blp.response(200, ConsoleOrderEnvelope)
@blp.alt_response(409, schema=ErrorBody, description="not_refundable: not paid by WeChat Pay, or handed over")
def refund_order(body, order_id):
    """Refund a paid order not yet handed over, in full through WeChat Pay (refunding, then refunded). Audited; a repeat changes nothing."""
    return {"order": payment_actions.refund_by_staff(principal().subject_id, order_id, body["reason"])}


@blp.get("/reports/reconciliation")
@auth_required("staff", "ops")
@blp.arguments(ReconciliationArgs, location="query")
@blp.response(200, ReconciliationOut)
def reconciliation_report(query):
    """The Asia/Shanghai day's WeChat Pay money: paid, refunded, handed over (count and fen), and the discrepancies."""
    return reconciliation.reconciliation(db.session, query["date"])
