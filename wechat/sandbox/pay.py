"""A stand-in of WeChat Pay API v3 (JSAPI, public-key mode), served by the sandbox app.

Requests must carry the merchant's signature (401 SIGN_ERROR otherwise); every answer is signed
with the platform key. The shopper's side (paying) and test settings are under /sandbox/pay/
(wechat.sandbox.pay_hooks).
"""
from __future__ import annotations

import re
import secrets
import time
from datetime import datetime
from urllib.parse import quote, urlsplit

from flask import Response, jsonify, request

from wechat.sandbox.pay_hooks import register_pay_hooks
from wechat.sandbox.pay_state import PaySandboxState

AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048 "
AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')
CLOCK_SKEW_SECONDS = 300
OUT_NO = re.compile(r"[0-9A-Za-z_\-|*@]{6,64}")


def pay_error(status, code, message):
    """WeChat Pay's error answer."""
    return jsonify(code=code, message=message), status


def register_pay(app, appid, keys):
    """Serve WeChat Pay's paths and the /sandbox/pay hooks; state at app.extensions["wechat_sandbox_pay"]."""
    state = PaySandboxState(appid, keys)
    app.extensions["wechat_sandbox_pay"] = state
    app.before_request(lambda: _check_signature(state))
    app.after_request(lambda response: _sign_answer(state, response))
    _register_transactions(app, state)
    _register_refunds(app, state)
    register_pay_hooks(app, state)
    return state


def _raw_target():
    """The request target exactly as the merchant signed it (path and query, still quoted)."""
    raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI")
    if raw:
        return raw
    query = request.query_string.decode("latin-1")
    return quote(request.path) + (f"?{query}" if query else "")


def _check_signature(state):
    """Refuse a /v3/ request the merchant did not sign (or signed long ago)."""
    if not request.path.startswith("/v3/"):
        return None
    header = request.headers.get("Authorization", "")
    fields = dict(AUTH_FIELD.findall(header[len(AUTH_SCHEME):])) if header.startswith(AUTH_SCHEME) else {}
    if fields.get("mchid") != state.mchid or fields.get("serial_no") != state.cert_serial:
        return pay_error(401, "SIGN_ERROR", "Authorization is missing or names another merchant or serial")
    timestamp = fields.get("timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > CLOCK_SKEW_SECONDS:
        return pay_error(401, "SIGN_ERROR", "the signature's timestamp is too far from now")
    body = request.get_data(as_text=True)
    nonce = fields.get("nonce_str", "")
    message = f"{request.method}\n{_raw_target()}\n{timestamp}\n{nonce}\n{body}\n"
    if not state.verify_merchant(message, fields.get("signature", "")):
        return pay_error(401, "SIGN_ERROR", "the signature does not verify with the merchant's key")
    return None


def _sign_answer(state, response):
    """Sign every /v3/ answer with the platform key; a rigged test answer is then spoiled."""
    if not request.path.startswith("/v3/"):
        return response
    body = response.get_data()
    response.headers.update(state.signed_headers(body))
    response.headers["Request-ID"] = secrets.token_hex(16)
    tamper = state.take_tamper()
    if tamper == "body":
        response.set_data(body.replace(b"}", b' }', 1) if body else b" ")
    elif tamper == "signature":
        signature = response.headers["Wechatpay-Signature"]
        response.headers["Wechatpay-Signature"] = ("A" if signature[0] != "A" else "B") + signature[1:]
    elif tamper == "serial":
        response.headers["Wechatpay-Serial"] = "PUB_KEY_ID_0000000000000000000000000000UNKNOWN"
    return response


def _json_body():
    """The request's JSON object, or None."""
    body = request.get_json(force=True, silent=True)
    return body if isinstance(body, dict) else None


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _jsapi_problem(state, body):
    """Why a JSAPI order is refused, as (status, code, message), or None."""
    if body is None:
        return 400, "PARAM_ERROR", "the body is not a JSON object"
    if body.get("appid") != state.appid or body.get("mchid") != state.mchid:
        return 400, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match"
    if not isinstance(body.get("out_trade_no"), str) or not OUT_NO.fullmatch(body["out_trade_no"]):
        return 400, "PARAM_ERROR", "out_trade_no is missing or malformed"
    if not isinstance(body.get("description"), str) or not 0 < len(body["description"]) <= 127:
        return 400, "PARAM_ERROR", "description is missing or too long"
    amount, payer = body.get("amount"), body.get("payer")
    if (not isinstance(amount, dict) or not _positive_int(amount.get("total"))
            or amount.get("currency", "CNY") != "CNY"):
        return 400, "PARAM_ERROR", "amount.total must be a positive integer of fen (CNY)"
    if not isinstance(payer, dict) or not isinstance(payer.get("openid"), str) or not payer["openid"]:
        return 400, "PARAM_ERROR", "payer.openid is missing"
    url = urlsplit(body.get("notify_url") or "") if isinstance(body.get("notify_url"), str) else None
    if url is None or url.scheme not in ("http", "https") or not url.netloc:
        return 400, "PARAM_ERROR", "notify_url must be an http(s) URL"
    return _time_expire_problem(body.get("time_expire"))


def _time_expire_problem(value):
    """time_expire must be an RFC 3339 time with its offset, in the future."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        return 400, "PARAM_ERROR", "time_expire must be RFC 3339 with an offset"
    if moment.timestamp() <= time.time():
        return 400, "PARAM_ERROR", "time_expire has passed"
    return None


def _register_transactions(app, state):
    """Placing, querying and closing JSAPI orders."""

    @app.post("/v3/pay/transactions/jsapi")
    def jsapi():
        body = _json_body()
        problem = _jsapi_problem(state, body)
        if problem:
            return pay_error(*problem)
        with state.lock:
            order = state.transactions.get(body["out_trade_no"])
            if order is not None:
                return _repeated_prepay(state, order, body)
            order = {"out_trade_no": body["out_trade_no"], "request": body, "trade_state": "NOTPAY",
                     "prepay_id": "wx" + time.strftime("%d%H%M%S") + secrets.token_hex(12),
                     "amount": body["amount"]["total"], "openid": body["payer"]["openid"],
                     "notify_url": body["notify_url"],
                     "expires_at": datetime.fromisoformat(body["time_expire"]).timestamp()}
            state.transactions[order["out_trade_no"]] = order
            return jsonify(prepay_id=order["prepay_id"])

    @app.get("/v3/pay/transactions/out-trade-no/<path:out_trade_no>")
    def query(out_trade_no):
        if request.args.get("mchid") != state.mchid:
            return pay_error(400, "PARAM_ERROR", "mchid is missing or not ours")
        with state.lock:
            order = state.transactions.get(out_trade_no)
            if order is None:
                return pay_error(404, "ORDER_NOT_EXIST", "订单不存在")
            return jsonify(state.transaction_view(order))

    @app.post("/v3/pay/transactions/out-trade-no/<path:out_trade_no>/close")
    def close(out_trade_no):
        if (_json_body() or {}).get("mchid") != state.mchid:
            return pay_error(400, "PARAM_ERROR", "mchid is missing or not ours")
        with state.lock:
            order = state.transactions.get(out_trade_no)
            if order is None:
                return pay_error(404, "ORDER_NOT_EXIST", "订单不存在")
            if order["trade_state"] in ("SUCCESS", "REFUND"):
                return pay_error(400, "ORDERPAID", "订单已支付")
            order["trade_state"] = "CLOSED"
        return Response(status=204)


def _repeated_prepay(state, order, body):
    """The same order again gets its prepay_id; different terms are a reused out_trade_no (lock held)."""
    state._expire(order)
    if order["trade_state"] in ("SUCCESS", "REFUND"):
        return pay_error(400, "ORDERPAID", "订单已支付")
    if order["trade_state"] == "CLOSED":
        return pay_error(400, "ORDER_CLOSED", "订单已关闭")
    if order["request"] != body:
        return pay_error(400, "INVALID_REQUEST", "OUT_TRADE_NO_USED: 商户订单号重复, with other terms")
    return jsonify(prepay_id=order["prepay_id"])


def _refund_problem(state, body):
    """Why a refund request is refused before looking at the order, or None."""
    if body is None:
        return 400, "PARAM_ERROR", "the body is not a JSON object"
    amount = body.get("amount")
    if not all(isinstance(body.get(key), str) and OUT_NO.fullmatch(body[key])
               for key in ("out_trade_no", "out_refund_no")):
        return 400, "PARAM_ERROR", "out_trade_no and out_refund_no are required"
    if not isinstance(amount, dict) or not all(_positive_int(amount.get(key)) for key in ("refund", "total")):
        return 400, "PARAM_ERROR", "amount.refund and amount.total must be positive integers of fen"
    return None


def _register_refunds(app, state):
    """Asking for and querying refunds."""

    @app.post("/v3/refund/domestic/refunds")
    def refund():
        body = _json_body()
        problem = _refund_problem(state, body)
        if problem:
            return pay_error(*problem)
        with state.lock:
            outcome = _place_refund(state, body)
        if isinstance(outcome, tuple):
            return pay_error(*outcome)
        if outcome.pop("new", False):
            state.schedule_settlement(outcome["out_refund_no"])
        with state.lock:
            return jsonify(state.refund_view(outcome))

    @app.get("/v3/refund/domestic/refunds/<path:out_refund_no>")
    def query_refund(out_refund_no):
        with state.lock:
            found = state.refunds.get(out_refund_no)
            if found is None:
                return pay_error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return jsonify(state.refund_view(found))


def _place_refund(state, body):
    """The refund record (new: "new" set), or (status, code, message); lock held: check and insert at once."""
    earlier = state.refunds.get(body["out_refund_no"])
    if earlier is not None:
        same = earlier["request"] == body
        return earlier if same else (400, "INVALID_REQUEST", "out_refund_no already used with other terms")
    order = state.transactions.get(body["out_trade_no"])
    if order is None:
        return 404, "RESOURCE_NOT_EXISTS", "订单不存在"
    if order["trade_state"] not in ("SUCCESS", "REFUND"):
        return 400, "INVALID_REQUEST", "the order is not paid"
    amount = body["amount"]
    if amount["total"] != order["amount"]:
        return 400, "PARAM_ERROR", "amount.total is not the order's amount"
    refunded = sum(r["refund"] for r in state.refunds.values()
                   if r["out_trade_no"] == order["out_trade_no"] and r["status"] in ("SUCCESS", "PROCESSING"))
    if refunded + amount["refund"] > order["amount"]:
        return 400, "INVALID_REQUEST", "the refunds would exceed the order's amount"
    failure, state.next_refund_failure = state.next_refund_failure, None
    if failure == "refused":
        return 403, "NOT_ENOUGH", "基本账户余额不足"
    if failure == "unavailable":
        return 500, "SYSTEM_ERROR", "系统错误"
    record = {"request": body, "out_refund_no": body["out_refund_no"], "out_trade_no": order["out_trade_no"],
              "transaction_id": order["transaction_id"], "refund_id": "50" + secrets.token_hex(14),
              "status": "PROCESSING", "refund": amount["refund"], "total": amount["total"],
              "created_at": time.time(), "settled_at": None, "rigged_abnormal": failure == "abnormal",
              "notify_url": body.get("notify_url") or order["notify_url"]}
    state.refunds[record["out_refund_no"]] = record
    return dict(record, new=True)
