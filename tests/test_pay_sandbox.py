"""The sandbox's WeChat Pay stand-in: it checks the merchant's signatures, signs its answers, and
sends notifications the way WeChat Pay does (on time, late, twice or never)."""
from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Flask, request
from wechatpayv3.type import RequestType
from wechatpayv3.utils import build_authorization, load_private_key
from werkzeug.serving import make_server

from wechat import PaySettings, WeChatPay, load_pay_keys, make_pay_keys
from wechat.pay import wechat_time
from wechat.sandbox import SANDBOX_APPID, start_sandbox

JSAPI = "/v3/pay/transactions/jsapi"


@pytest.fixture(scope="module")
def pay_sandbox(pay_keys):
    with start_sandbox(pay=pay_keys) as running:
        yield running


@pytest.fixture
def receiver():
    """A merchant's notify endpoint that keeps what it received, answering 204."""
    app, received = Flask("receiver"), []

    @app.post("/notify")
    def notify():
        received.append({"headers": dict(request.headers), "body": request.get_data()})
        return "", 204

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/notify", received
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def pay(pay_sandbox, pay_keys, receiver):
    pay_sandbox.pay.reset()
    config = dict(pay_keys.app_config(pay_sandbox.url), WECHAT_APPID=SANDBOX_APPID, WECHATPAY_NOTIFY_URL=receiver[0])
    return WeChatPay(PaySettings.from_config(config))


def hook(sandbox, path, body=None):
    answer = requests.post(f"{sandbox.url}/sandbox/pay/{path}", json=body or {}, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def order_terms(**changes):
    expire = datetime.now(timezone.utc) + timedelta(minutes=15)
    terms = {"appid": SANDBOX_APPID, "mchid": "1900000109", "description": "apples", "out_trade_no": "order_000001",
             "time_expire": wechat_time(expire), "notify_url": "http://127.0.0.1:9/notify",
             "amount": {"total": 100, "currency": "CNY"}, "payer": {"openid": "o_shopper"}}
    return {**terms, **changes}


def signed_post(sandbox, pay_keys, path, body, private_key_path=None, serial=None):
    """A request signed as wechatpayv3 signs it, with the merchant's key unless told otherwise."""
    text = json.dumps(body)
    key = load_private_key((private_key_path or pay_keys.merchant_private_key_path).read_text())
    auth = build_authorization(path, "POST", pay_keys.mchid, serial or pay_keys.cert_serial, key, data=text)
    return requests.post(sandbox.url + path, data=text, timeout=5,
                         headers={"Authorization": auth, "Content-Type": "application/json"})


def test_a_request_without_the_merchants_signature_is_refused(pay_sandbox, pay_keys, tmp_path):
    unsigned = requests.post(pay_sandbox.url + JSAPI, json=order_terms(), timeout=5)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "SIGN_ERROR"
    stranger = make_pay_keys(tmp_path)
    forged = signed_post(pay_sandbox, pay_keys, JSAPI, order_terms(), stranger.merchant_private_key_path)
    assert forged.status_code == 401 and forged.json()["code"] == "SIGN_ERROR"
    wrong_serial = signed_post(pay_sandbox, pay_keys, JSAPI, order_terms(), serial="0123ABCD")
    assert wrong_serial.status_code == 401
    good = signed_post(pay_sandbox, pay_keys, JSAPI, order_terms(out_trade_no="order_000777"))
    assert good.status_code == 200 and good.json()["prepay_id"]
    assert "order_000001" not in pay_sandbox.pay.transactions


def test_a_body_changed_after_signing_is_refused(pay_sandbox, pay_keys):
    text = json.dumps(order_terms())
    key = load_private_key(pay_keys.merchant_private_key_path.read_text())
    auth = build_authorization(JSAPI, "POST", pay_keys.mchid, pay_keys.cert_serial, key, data=text)
    changed = text.replace('"total": 100', '"total": 1')
    answer = requests.post(pay_sandbox.url + JSAPI, data=changed, headers={"Authorization": auth}, timeout=5)
    assert answer.status_code == 401 and answer.json()["code"] == "SIGN_ERROR"


def test_every_answer_is_signed_with_the_platform_key(pay_sandbox, pay_keys):
    answer = signed_post(pay_sandbox, pay_keys, JSAPI, order_terms(out_trade_no="order_000888"))
    refused = requests.post(pay_sandbox.url + JSAPI, json={}, timeout=5)
    platform = load_pem_public_key(pay_keys.platform_public_key_path.read_bytes())
    for each in (answer, refused):
        headers = each.headers
        assert headers["Wechatpay-Serial"] == pay_keys.public_key_id
        assert headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
        message = f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n".encode() + each.content + b"\n"
        platform.verify(base64.b64decode(headers["Wechatpay-Signature"]), message, PKCS1v15(), SHA256())


@pytest.mark.parametrize("changes, code", [
    ({"appid": "wx_other"}, "APPID_MCHID_NOT_MATCH"),
    ({"mchid": "1900000000"}, "APPID_MCHID_NOT_MATCH"),
    ({"amount": {"total": 0}}, "PARAM_ERROR"),
    ({"amount": {"total": "100"}}, "PARAM_ERROR"),
    ({"payer": {}}, "PARAM_ERROR"),
    ({"out_trade_no": "x"}, "PARAM_ERROR"),
    ({"notify_url": "javascript:alert(1)"}, "PARAM_ERROR"),
    ({"time_expire": "2020-01-01T00:00:00+08:00"}, "PARAM_ERROR"),
    ({"time_expire": "2099-01-01T00:00:00"}, "PARAM_ERROR"),
])
def test_an_order_with_bad_terms_is_refused(pay, changes, code):
    status, text = pay._core.request(JSAPI, method=RequestType.POST, data=order_terms(**changes))
    assert status == 400 and json.loads(text)["code"] == code


def test_the_notification_is_posted_to_the_notify_url_exactly_as_kept(pay, pay_sandbox, receiver):
    prepay(pay)
    hook(pay_sandbox, "transactions/order_000001/pay")
    kept = pay_sandbox.pay.wait_for_notifications(1)[0]
    received = wait_until(lambda: receiver[1])[0]
    assert received["body"] == kept["body"].encode("utf-8")
    assert all(received["headers"][name] == value for name, value in kept["headers"].items())
    assert pay.read_notification(received["headers"], received["body"]).transaction.trade_state == "SUCCESS"
    assert wait_until(lambda: pay_sandbox.pay.notifications()[0]["answer"]) == 204
    listed = requests.get(f"{pay_sandbox.url}/sandbox/pay/notifications", timeout=5).json()
    assert listed["notifications"][0]["body"] == kept["body"] and listed["dropped"] == 0


def test_twice_sends_two_identical_notifications(pay, pay_sandbox, receiver):
    hook(pay_sandbox, "notification-mode", {"mode": "twice"})
    prepay(pay)
    hook(pay_sandbox, "transactions/order_000001/pay")
    first, second = pay_sandbox.pay.wait_for_notifications(2)
    assert (first["headers"], first["body"]) == (second["headers"], second["body"])
    assert len(wait_until(lambda: len(receiver[1]) == 2 and receiver[1])) == 2


def test_drop_sends_nothing_but_the_order_is_paid(pay, pay_sandbox, receiver):
    hook(pay_sandbox, "notification-mode", {"mode": "drop"})
    prepay(pay)
    hook(pay_sandbox, "transactions/order_000001/pay")
    time.sleep(0.2)
    assert pay_sandbox.pay.notifications() == [] and receiver[1] == []
    assert pay.query("order_000001").trade_state == "SUCCESS"
    assert requests.get(f"{pay_sandbox.url}/sandbox/pay/notifications", timeout=5).json()["dropped"] == 1


def test_late_sends_the_notification_after_the_delay(pay, pay_sandbox, receiver):
    hook(pay_sandbox, "notification-mode", {"mode": "late", "seconds": 0.5})
    prepay(pay)
    paid_at = time.time()
    hook(pay_sandbox, "transactions/order_000001/pay")
    assert pay_sandbox.pay.notifications() == []
    assert pay.query("order_000001").trade_state == "SUCCESS"
    sent = pay_sandbox.pay.wait_for_notifications(1)[0]
    assert sent["sent_at"] - paid_at >= 0.5
    assert pay.read_notification(sent["headers"], sent["body"].encode()).event_type == "TRANSACTION.SUCCESS"


def test_a_rigged_abnormal_refund_is_notified_as_such(pay, pay_sandbox):
    prepay(pay)
    hook(pay_sandbox, "transactions/order_000001/pay")
    hook(pay_sandbox, "refund-settlement", {"seconds": None})
    hook(pay_sandbox, "fail-next-refund", {"kind": "abnormal"})
    refund = pay.refund(out_trade_no="order_000001", out_refund_no="refund_000001", refund_fen=100, total_fen=100,
                        reason="x")
    time.sleep(0.2)
    assert refund.status == "PROCESSING" and pay.query_refund("refund_000001").status == "PROCESSING"
    assert hook(pay_sandbox, "refunds/refund_000001/settle")["refund"]["status"] == "ABNORMAL"
    sent = pay_sandbox.pay.wait_for_notifications(2)[1]
    notice = pay.read_notification(sent["headers"], sent["body"].encode())
    assert notice.event_type == "REFUND.ABNORMAL" and notice.refund.status == "ABNORMAL"
    assert pay.query("order_000001").trade_state == "SUCCESS"


def test_an_unpaid_order_closes_at_its_time_expire(pay, pay_sandbox):
    prepay(pay)
    pay_sandbox.pay.transactions["order_000001"]["expires_at"] = time.time() - 1
    assert pay.query("order_000001").trade_state == "CLOSED"
    answer = requests.post(f"{pay_sandbox.url}/sandbox/pay/transactions/order_000001/pay", timeout=5)
    assert answer.status_code == 409


def test_a_notification_claiming_another_amount_can_be_sent(pay, pay_sandbox):
    prepay(pay)
    hook(pay_sandbox, "transactions/order_000001/pay", {"amount_fen": 1})
    sent = pay_sandbox.pay.wait_for_notifications(1)[0]
    assert pay.read_notification(sent["headers"], sent["body"].encode()).transaction.amount_fen == 1
    assert pay.query("order_000001").amount_fen == 100


def test_the_pay_page_escapes_and_pays_then_returns(pay, pay_sandbox):
    prepay_id = prepay(pay, description='<script>alert("x")</script>')
    page_url = f"{pay_sandbox.url}/sandbox/pay/page"
    back = 'http://shop.test/h5/order?id=1&x="><b>'
    page = requests.get(page_url, params={"prepay_id": prepay_id, "return": back}, timeout=5)
    assert page.status_code == 200 and "确认支付 Pay" in page.text
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text and '"><b>' not in page.text
    for bad in ("javascript:alert(1)", ""):
        assert requests.get(page_url, params={"prepay_id": prepay_id, "return": bad}, timeout=5).status_code == 404
    paid = requests.post(page_url, data={"prepay_id": prepay_id, "return": back}, allow_redirects=False, timeout=5)
    assert paid.status_code == 303 and unquote(paid.headers["Location"]) == back
    assert pay.query("order_000001").trade_state == "SUCCESS"


def prepay(pay, **terms):
    terms = {"description": "apples", "payer_openid": "o_shopper",
             "time_expire": datetime.now(timezone.utc) + timedelta(minutes=15), **terms}
    return pay.prepay(out_trade_no="order_000001", amount_fen=100, **terms)


def wait_until(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(IndexError, KeyError):
            value = check()
            if value:
                return value
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_a_reset_forgets_orders_and_drops_late_notifications(pay, pay_sandbox):
    hook(pay_sandbox, "notification-mode", {"mode": "late", "seconds": 0.3})
    prepay(pay)
    hook(pay_sandbox, "transactions/order_000001/pay")
    assert requests.post(f"{pay_sandbox.url}/sandbox/reset", timeout=5).json() == {"reset": True}
    time.sleep(0.5)
    assert pay_sandbox.pay.notifications() == [] and pay.query("order_000001") is None


def test_the_standalone_sandbox_stands_in_for_wechat_pay_with_keys_from_a_directory(tmp_path):
    keys = make_pay_keys(tmp_path)
    assert load_pay_keys(tmp_path) == keys
    assert {path.name: path.stat().st_mode & 0o077 for path in tmp_path.iterdir() if "private" in path.name
            or path.suffix == ".json"} == dict.fromkeys(["merchant_private_key.pem", "platform_private_key.pem",
                                                         "pay_keys.json"], 0)
    command = [sys.executable, "-m", "wechat.sandbox", "--port", "0", "--pay-keys", str(tmp_path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            url = process.stdout.readline().split(" on ")[-1].strip()
            config = dict(keys.app_config(url), WECHAT_APPID=SANDBOX_APPID, PUBLIC_URL="http://shop.test")
            client = WeChatPay(PaySettings.from_config(config))
            assert prepay(client).startswith("wx") and client.query("order_000001").trade_state == "NOTPAY"
        finally:
            process.terminate()
