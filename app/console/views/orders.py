"""Orders (ops): find one by id or pickup code, cancel it, unlock its handover."""
from __future__ import annotations

from datetime import date

from flask import flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from app.actions import payments as payment_actions
from app.console.auth import requires
from app.console.blueprint import bp
from app.extensions import db
from app.schemas.orders import CancelIn
from app.schemas.payments import RefundIn
from app.services.audit import changes
from app.services.payments import reconciliation
from app.services.store import orders as order_service
from app.services.store.pickups import MAX_WRONG_CODES


@bp.get("/orders")
@requires("orders")
def orders():
    """The search box, and the orders it finds (the one with that id, those with that pickup code)."""
    query = request.args.get("q", "").strip()[:40]
    found = order_service.find_orders(db.session, query) if query else []
    return render_template("console/orders.html", active="orders", query=query, orders=found,
                           max_wrong_codes=MAX_WRONG_CODES)


def form_reason(schema) -> str | None:
    """The form's reason, checked by the JSON API's schema; None when it is missing or too long."""
    try:
        return schema().load({"reason": request.form.get("reason", "")})["reason"]
    except ValidationError:
        return None


@bp.post("/orders/<int:order_id>/cancel")
@requires("orders")
def cancel_order(order_id: int):
    """Cancel the order (a reason is required; the same checks as the JSON API), then show it again."""
    reason = form_reason(CancelIn)
    if reason is None:
        flash("请填写取消原因（200 字以内）· Say why the order is cancelled (up to 200 characters).")
    else:
        order = payment_actions.cancel_by_staff(g.staff.id, order_id, reason)
        flash(f"订单 #{order.id} 已取消 · Order #{order.id} cancelled.")
    return redirect(url_for("console_web.orders", q=order_id))


@bp.post("/orders/<int:order_id>/unlock-handover")
@requires("orders")
def unlock_handover(order_id: int):
    """Let the courier try pickup codes again."""
    changes.unlock_handover(db.session, g.staff.id, order_id)
    db.session.commit()
    flash(f"订单 #{order_id} 已解锁，小哥可重新输入取货码 · Order #{order_id} unlocked: the courier may enter codes again.")
    return redirect(url_for("console_web.orders", q=order_id))


@bp.post("/orders/<int:order_id>/refund")
@requires("orders")
def refund_order(order_id: int):
    """Refund a paid order in full through WeChat Pay (a reason is required; audited as the JSON API does)."""
    reason = form_reason(RefundIn)
    if reason is None:
        flash("请填写退款原因（200 字以内）· Say why the order is refunded (up to 200 characters).")
    else:
        order = payment_actions.refund_by_staff(g.staff.id, order_id, reason)
        flash(f"订单 #{order.id} 退款中 · Order #{order.id} is being refunded.")
    return redirect(url_for("console_web.orders", q=order_id))


@bp.get("/orders/reconciliation")
@requires("orders")
def reconciliation_page():
    """The day's WeChat Pay money (Asia/Shanghai): paid, refunded, handed over, and the discrepancies."""
    typed = request.args.get("date", "")[:10]
    try:
        day = date.fromisoformat(typed) if typed else reconciliation.today()
    except ValueError:
        flash("日期格式为 YYYY-MM-DD · The date is YYYY-MM-DD.")
        day = reconciliation.today()
    report = reconciliation.reconciliation(db.session, day)
    return render_template("console/reconciliation.html", active="orders", report=report)
