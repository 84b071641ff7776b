"""Test hooks of the WeChat Pay stand-in under /sandbox/pay/: the shopper's side and test settings."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import jsonify, redirect, request
from markupsafe import escape

from wechat.sandbox.pay_state import NOTIFICATION_MODES, SUMMARIES
from wechat.sandbox.replies import hook_error, json_body

REFUND_FAILURES = ("refused", "unavailable", "abnormal")
ANSWER_TAMPERS = ("body", "signature", "serial")
PAGE = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>微信支付 WeChat Pay (sandbox)</title></head>
<body style="font-family: sans-serif; text-align: center; padding: 2em">
<p>{description}</p><p style="font-size: 2em">¥{yuan}</p>
<form method="post" action="/sandbox/pay/page">
<input type="hidden" name="prepay_id" value="{prepay_id}">
<input type="hidden" name="return" value="{back}">
<button type="submit" style="font-size: 1.2em; padding: .5em 2em">确认支付 Pay</button>
</form></body></html>
"""


def _safe_return(url):
    """Only http(s) return URLs: a javascript: one would run in the page's origin."""
    parts = urlsplit(url or "")
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def register_pay_hooks(app, state):
    """The /sandbox/pay/ hooks."""

    @app.post("/sandbox/pay/transactions/<path:out_trade_no>/pay")
    def pay(out_trade_no):
        amount = json_body().get("amount_fen")  # a notification claiming another amount (a discrepancy)
        if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool)):
            return hook_error(422, "invalid_request", "amount_fen must be an integer")
        outcome, view = state.pay(out_trade_no, amount)
        if outcome == "not_found":
            return hook_error(404, "not_found", "no such out_trade_no")
        if outcome == "not_payable":
            return hook_error(409, "not_payable", f"the order is {view['trade_state']}")
        return jsonify(transaction=view)

    @app.get("/sandbox/pay/transactions/<path:out_trade_no>")
    def transaction(out_trade_no):
        with state.lock:
            order = state.transactions.get(out_trade_no)
            if order is None:
                return hook_error(404, "not_found", "no such out_trade_no")
            refunds = [state.refund_view(refund) for refund in state.refunds.values()
                       if refund["out_trade_no"] == out_trade_no]
            return jsonify(transaction=state.transaction_view(order), prepay_id=order["prepay_id"],
                           request=order["request"], refunds=refunds)

    @app.get("/sandbox/pay/notifications")
    def notifications():
        with state.lock:
            dropped = state.dropped
        return jsonify(notifications=state.notifications(), dropped=dropped)

    @app.post("/sandbox/pay/notifications")
    def send_notification():
        body = json_body()
        url, event_type, resource = body.get("url"), body.get("event_type"), body.get("resource")
        if not isinstance(url, str) or event_type not in SUMMARIES or not isinstance(resource, dict):
            return hook_error(422, "invalid_request", "url, a known event_type and a resource are required")
        state.notify(url, event_type, resource)
        return jsonify(sent=True)

    _register_settings(app, state)
    _register_page(app, state)


def _register_settings(app, state):
    """Hooks that change how the stand-in behaves."""

    @app.post("/sandbox/pay/notification-mode")
    def notification_mode():
        body = json_body()
        mode, seconds = body.get("mode"), body.get("seconds", 0)
        if mode not in NOTIFICATION_MODES or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 600:
            return hook_error(422, "invalid_request", f"mode is one of {', '.join(NOTIFICATION_MODES)}; "
                              "seconds 0-600")
        with state.lock:
            state.mode, state.late_seconds = mode, float(seconds)
        return jsonify(mode=mode, seconds=seconds)

    @app.post("/sandbox/pay/fail-next-refund")
    def fail_next_refund():
        kind = json_body().get("kind", "refused")
        if kind not in REFUND_FAILURES:
            return hook_error(422, "invalid_request", f"kind is one of {', '.join(REFUND_FAILURES)}")
        with state.lock:
            state.next_refund_failure = kind
        return jsonify(kind=kind)

    @app.post("/sandbox/pay/refund-settlement")
    def refund_settlement():
        seconds = json_body().get("seconds")
        if seconds is not None and (not isinstance(seconds, (int, float)) or not 0 <= seconds <= 600):
            return hook_error(422, "invalid_request", "seconds is 0-600, or null (only the settle hook)")
        with state.lock:
            state.refund_settle_seconds = seconds
        return jsonify(seconds=seconds)

    @app.post("/sandbox/pay/refunds/<path:out_refund_no>/settle")
    def settle(out_refund_no):
        view = state.settle_refund(out_refund_no)
        return jsonify(refund=view) if view else hook_error(404, "not_found", "no such out_refund_no")

    @app.post("/sandbox/pay/tamper-next-answer")
    def tamper_next_answer():
        what = json_body().get("what")
        if what not in ANSWER_TAMPERS:
            return hook_error(422, "invalid_request", f"what is one of {', '.join(ANSWER_TAMPERS)}")
        with state.lock:
            state.next_answer_tamper = what
        return jsonify(what=what)

    app.add_url_rule("/sandbox/pay/reset", "pay_reset", lambda: jsonify(reset=state.reset() is None),
                     methods=["POST"])


def _register_page(app, state):
    """The shopper's pay page of the H5 demo: one button that pays and goes back."""

    @app.get("/sandbox/pay/page")
    def page():
        order = state.order_by_prepay_id(request.args.get("prepay_id", ""))
        back = _safe_return(request.args.get("return"))
        if order is None or back is None:
            return hook_error(404, "not_found", "unknown prepay_id, or no http(s) return URL")
        return PAGE.format(description=escape(order["request"]["description"]),
                           yuan=escape(f"{order['amount'] / 100:.2f}"),
                           prepay_id=escape(order["prepay_id"]), back=escape(back))

    @app.post("/sandbox/pay/page")
    def page_pay():
        order = state.order_by_prepay_id(request.form.get("prepay_id", ""))
        back = _safe_return(request.form.get("return"))
        if order is None or back is None:
            return hook_error(404, "not_found", "unknown prepay_id, or no http(s) return URL")
        state.pay(order["out_trade_no"])
        return redirect(back, code=303)
