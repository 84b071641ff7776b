"""The WeChat Pay client (wechatpayv3 underneath) against the sandbox's stand-in: real RSA, real AES-GCM."""
from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from wechatpayv3.core import Core
from werkzeug.serving import make_server

from wechat import (
    BadNotification,
    PayRefused,
    PaySettings,
    PayUnavailable,
    Refund,
    Transaction,
    WeChatPay,
    make_pay_keys,
)
from wechat.pay import wechat_time
from wechat.sandbox import SANDBOX_APPID, start_sandbox

NOTIFY_URL = "http://127.0.0.1:9/notify"  # nothing listens: the tests read the kept notifications


@pytest.fixture(scope="module")
def pay_sandbox(pay_keys):
    with start_sandbox(pay=pay_keys) as running:
        yield running


@pytest.fixture
def pay(pay_sandbox, pay_keys, monkeypatch):
    """A client of the stand-in, which starts empty; nothing may fetch platform certificates."""
    pay_sandbox.pay.reset()
    monkeypatch.setattr(Core, "_update_certificates", lambda self: pytest.fail("fetched certificates"))
    config = dict(pay_keys.app_config(pay_sandbox.url), WECHAT_APPID=SANDBOX_APPID, WECHATPAY_NOTIFY_URL=NOTIFY_URL)
    return WeChatPay(PaySettings.from_config(config))


def place(pay, out_trade_no="order_000001", amount_fen=1234, **terms):
    terms = {"description": "小哥 apples", "payer_openid": "o_shopper", "time_expire": in_minutes(15), **terms}
    return pay.prepay(out_trade_no=out_trade_no, amount_fen=amount_fen, **terms)


def in_minutes(minutes):
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def shopper_pays(sandbox, out_trade_no="order_000001", **body):
    answer = requests.post(f"{sandbox.url}/sandbox/pay/transactions/{out_trade_no}/pay", json=body, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()["transaction"]


def last_notification(sandbox, count=1):
    sent = sandbox.pay.wait_for_notifications(count)
    assert len(sent) >= count
    return sent[count - 1]


def test_prepay_places_an_order_once_and_refuses_the_same_number_with_other_terms(pay, pay_sandbox):
    expire = in_minutes(15)
    prepay_id = place(pay, time_expire=expire)
    assert prepay_id.startswith("wx")
    assert place(pay, time_expire=expire) == prepay_id  # a retry of the same order
    with pytest.raises(PayRefused) as refused:
        place(pay, amount_fen=999, time_expire=expire)
    assert refused.value.code == "INVALID_REQUEST" and "OUT_TRADE_NO_USED" in refused.value.message
    sent = requests.get(f"{pay_sandbox.url}/sandbox/pay/transactions/order_000001", timeout=5).json()
    assert sent["request"]["amount"] == {"total": 1234, "currency": "CNY"}
    assert sent["request"]["notify_url"] == NOTIFY_URL
    assert sent["request"]["time_expire"] == wechat_time(expire) and sent["request"]["time_expire"].endswith("+08:00")


def test_payment_arguments_are_signed_with_the_merchant_key(pay, pay_keys):
    arguments = pay.payment_arguments(place(pay))
    assert set(arguments) == {"timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert arguments["package"].startswith("prepay_id=wx") and arguments["signType"] == "RSA"
    assert abs(int(arguments["timeStamp"]) - time.time()) < 5
    merchant = load_pem_public_key(pay_keys.merchant_public_key_path.read_bytes())
    message = f"{SANDBOX_APPID}\n{arguments['timeStamp']}\n{arguments['nonceStr']}\n{arguments['package']}\n"
    merchant.verify(base64.b64decode(arguments["paySign"]), message.encode(), PKCS1v15(), SHA256())


def test_query_follows_the_order_from_unknown_to_paid(pay, pay_sandbox, pay_keys):
    assert pay.query("order_000001") is None
    place(pay)
    unpaid = pay.query("order_000001")
    assert (unpaid.trade_state, unpaid.transaction_id, unpaid.amount_fen) == ("NOTPAY", None, 1234)
    shopper_pays(pay_sandbox)
    paid = pay.query("order_000001")
    assert isinstance(paid, Transaction) and paid.trade_state == "SUCCESS"
    assert paid.transaction_id.startswith("4200") and paid.payer_openid == "o_shopper"
    assert (paid.appid, paid.mchid) == (SANDBOX_APPID, pay_keys.mchid)
    assert abs(paid.success_time.timestamp() - time.time()) < 5 and paid.success_time.tzinfo is not None


def test_close_closes_an_unpaid_order_and_tolerates_unknown_and_closed_ones(pay, pay_sandbox):
    place(pay)
    pay.close("order_000001")
    assert pay.query("order_000001").trade_state == "CLOSED"
    pay.close("order_000001")
    pay.close("order_unknown")
    answer = requests.post(f"{pay_sandbox.url}/sandbox/pay/transactions/order_000001/pay", timeout=5)
    assert answer.status_code == 409


def test_close_of_a_paid_order_says_so(pay, pay_sandbox):
    place(pay)
    shopper_pays(pay_sandbox)
    with pytest.raises(PayRefused) as refused:
        pay.close("order_000001")
    assert refused.value.code == "ORDERPAID"
    assert pay.query("order_000001").trade_state == "SUCCESS"


def test_refund_is_processing_then_succeeds_with_a_notification(pay, pay_sandbox):
    place(pay)
    shopper_pays(pay_sandbox)
    refund = pay.refund(out_trade_no="order_000001", out_refund_no="refund_000001", refund_fen=1234,
                        total_fen=1234, reason="cancelled")
    assert isinstance(refund, Refund) and refund.status == "PROCESSING" and refund.refund_id
    notice = pay.read_notification(**as_posted(last_notification(pay_sandbox, 2)))
    assert notice.event_type == "REFUND.SUCCESS" and notice.transaction is None
    assert notice.refund == Refund("refund_000001", "order_000001", refund.refund_id, "SUCCESS", 1234, 1234)
    assert pay.query_refund("refund_000001").status == "SUCCESS"
    assert pay.query("order_000001").trade_state == "REFUND"
    again = pay.refund(out_trade_no="order_000001", out_refund_no="refund_000001", refund_fen=1234,
                       total_fen=1234, reason="cancelled")
    assert (again.refund_id, again.status) == (refund.refund_id, "SUCCESS")  # idempotent on out_refund_no


def test_refunds_never_exceed_the_payment(pay, pay_sandbox):
    place(pay)
    with pytest.raises(PayRefused):  # not paid yet
        pay.refund(out_trade_no="order_000001", out_refund_no="refund_000001", refund_fen=100,
                   total_fen=1234, reason="x")
    shopper_pays(pay_sandbox)
    pay.refund(out_trade_no="order_000001", out_refund_no="refund_000001", refund_fen=1000, total_fen=1234, reason="x")
    with pytest.raises(PayRefused) as refused:
        pay.refund(out_trade_no="order_000001", out_refund_no="refund_000002", refund_fen=235,
                   total_fen=1234, reason="x")
    assert refused.value.code == "INVALID_REQUEST"
    assert pay.query_refund("refund_000002") is None
    assert pay.refund(out_trade_no="order_000001", out_refund_no="refund_000003", refund_fen=234,
                      total_fen=1234, reason="x").refund_fen == 234


@pytest.mark.parametrize("kind, error, code", [("refused", PayRefused, "NOT_ENOUGH"),
                                               ("unavailable", PayUnavailable, "server_error")])
def test_a_failed_refund_is_refused_or_unavailable(pay, pay_sandbox, kind, error, code):
    place(pay)
    shopper_pays(pay_sandbox)
    requests.post(f"{pay_sandbox.url}/sandbox/pay/fail-next-refund", json={"kind": kind}, timeout=5)
    with pytest.raises(error) as failed:
        pay.refund(out_trade_no="order_000001", out_refund_no="refund_000001", refund_fen=1234,
                   total_fen=1234, reason="x")
    assert failed.value.code == code
    assert pay.query_refund("refund_000001") is None


@pytest.mark.parametrize("what", ["body", "signature", "serial"])
def test_an_answer_not_signed_by_wechat_pay_is_never_trusted(pay, pay_sandbox, what):
    place(pay)
    requests.post(f"{pay_sandbox.url}/sandbox/pay/tamper-next-answer", json={"what": what}, timeout=5)
    with pytest.raises(PayRefused) as refused:
        pay.query("order_000001")
    assert refused.value.code == "bad_signature"
    assert pay.query("order_000001").trade_state == "NOTPAY"  # the next answer is genuine again


def test_an_unreachable_or_silent_wechat_pay_is_unavailable(pay_keys):
    with silent_server() as url:
        silent = WeChatPay(settings(pay_keys, url, timeout=0.3))
        started = time.monotonic()
        with pytest.raises(PayUnavailable):
            silent.query("order_000001")
        assert time.monotonic() - started < 2
    with pytest.raises(PayUnavailable):
        WeChatPay(settings(pay_keys, "http://127.0.0.1:9")).close("order_000001")


def settings(pay_keys, api_base, **overrides):
    config = dict(pay_keys.app_config(api_base), WECHAT_APPID=SANDBOX_APPID, PUBLIC_URL="http://shop.test")
    config.update(overrides.pop("config", {}))
    base = PaySettings.from_config(config)
    return PaySettings(**{**base.__dict__, **overrides})


@contextlib.contextmanager
def silent_server():
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.05)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_settings_come_from_the_config_or_are_absent(pay_keys):
    assert PaySettings.from_config({"WECHAT_APPID": "wx1"}) is None
    with pytest.raises(ValueError, match="WECHATPAY_APIV3_KEY"):
        PaySettings.from_config({"WECHATPAY_MCHID": "1900000109"})
    read = settings(pay_keys, "http://pay.test/")
    assert read.api_base == "http://pay.test" and read.notify_url == "http://shop.test/api/v1/payments/wechat/notify"
    assert read.private_key_pem == pay_keys.merchant_private_key_path.read_text()
    assert read.apiv3_key not in repr(read) and "PRIVATE KEY" not in repr(read)


# --- notifications -----------------------------------------------------------------------------


def as_posted(record):
    """A kept notification as the app's notify endpoint would receive it."""
    return {"headers": record["headers"], "body": record["body"].encode("utf-8")}


@pytest.fixture
def genuine(pay, pay_sandbox):
    """A genuine TRANSACTION.SUCCESS notification for a paid order, as posted."""
    place(pay)
    shopper_pays(pay_sandbox)
    return as_posted(last_notification(pay_sandbox))


def test_a_genuine_notification_is_read(pay, genuine):
    notice = pay.read_notification(genuine["headers"], genuine["body"])
    assert notice.event_type == "TRANSACTION.SUCCESS" and notice.refund is None and notice.id
    assert notice.transaction == pay.query("order_000001")
    lowercase = {name.lower(): value for name, value in genuine["headers"].items()}
    assert pay.read_notification(lowercase, genuine["body"]) == notice


def test_a_notification_is_refused_for_a_changed_body_byte(pay, genuine):
    body = genuine["body"].replace(b'"TRANSACTION.SUCCESS"', b'"TRANSACTION.SUCCESs"')
    assert body != genuine["body"]
    assert refusal(pay, genuine["headers"], body) == "bad_signature"
    assert refusal(pay, genuine["headers"], genuine["body"] + b" ") == "bad_signature"


def test_a_notification_is_refused_for_a_wrong_signature(pay, genuine, pay_sandbox):
    other = pay_sandbox.pay.signed_headers(b"something else")["Wechatpay-Signature"]
    assert refusal(pay, dict(genuine["headers"], **{"Wechatpay-Signature": other}), genuine["body"]) == "bad_signature"
    assert refusal(pay, dict(genuine["headers"], **{"Wechatpay-Signature": "not base64!"}),
                   genuine["body"]) == "bad_signature"


def test_a_notification_from_an_unknown_serial_is_refused_without_a_network_call(pay, genuine, monkeypatch):
    monkeypatch.setattr(requests.Session, "request", lambda *a, **k: pytest.fail("a network call"))
    headers = dict(genuine["headers"], **{"Wechatpay-Serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"})
    assert refusal(pay, headers, genuine["body"]) == "unknown_serial"
    assert refusal(pay, {k: v for k, v in headers.items() if k != "Wechatpay-Serial"}, genuine["body"]) == "unknown_serial"


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_notification_out_of_the_five_minute_window_is_refused(pay, genuine, offset):
    sent = int(genuine["headers"]["Wechatpay-Timestamp"])
    assert refusal(pay, genuine["headers"], genuine["body"], now=sent - offset) == "stale_timestamp"
    assert pay.read_notification(genuine["headers"], genuine["body"], now=sent - offset * 299 / 301)


def test_a_notification_encrypted_with_another_key_is_refused(pay, pay_sandbox):
    resource = {"out_trade_no": "order_000001", "trade_state": "SUCCESS", "amount": {"total": 1}}
    body = pay_sandbox.pay.notification("TRANSACTION.SUCCESS", resource, key=b"k" * 32)
    assert refusal(pay, pay_sandbox.pay.signed_headers(body), body) == "decrypt_failed"
    genuine_body = pay_sandbox.pay.notification("TRANSACTION.SUCCESS", resource)
    assert pay.read_notification(pay_sandbox.pay.signed_headers(genuine_body), genuine_body).transaction.amount_fen == 1


@pytest.mark.parametrize("body, reason", [
    (b"not json", "malformed"), (b"[1, 2]", "malformed"), (b"\xff\xfe", "malformed"),
    (json.dumps({"id": "x", "event_type": "TRANSACTION.CLOSED", "resource_type": "encrypt-resource"}).encode(),
     "unsupported_type"),
    (json.dumps({"id": "x", "event_type": "TRANSACTION.SUCCESS", "resource_type": "plain"}).encode(), "unsupported"),
    (json.dumps({"id": "x", "event_type": "REFUND.SUCCESS", "resource_type": "encrypt-resource",
                 "resource": {"algorithm": "AEAD_AES_256_GCM", "nonce": "n", "ciphertext": "%%%"}}).encode(),
     "decrypt_failed"),
])
def test_a_signed_notification_that_is_unreadable_or_unsupported_is_refused(pay, pay_sandbox, body, reason):
    assert refusal(pay, pay_sandbox.pay.signed_headers(body), body) == reason


def test_a_notification_whose_resource_lacks_fields_is_malformed(pay, pay_sandbox):
    body = pay_sandbox.pay.notification("REFUND.SUCCESS", {"out_refund_no": "refund_000001"})
    assert refusal(pay, pay_sandbox.pay.signed_headers(body), body) == "malformed"


def test_a_notification_signed_by_the_merchant_key_instead_is_refused(pay, genuine, pay_keys, tmp_path):
    impostor = make_pay_keys(tmp_path)  # a platform key of the same shape, not WeChat Pay's
    with start_sandbox(pay=type(pay_keys)(**{**pay_keys.__dict__,
                                            "platform_private_key_path": impostor.platform_private_key_path})) as fake:
        headers = fake.pay.signed_headers(genuine["body"])
    assert refusal(pay, headers, genuine["body"]) == "bad_signature"


def refusal(pay, headers, body, now=None):
    with pytest.raises(BadNotification) as refused:
        pay.read_notification(headers, body, now=now)
    return refused.value.reason


def test_a_frequency_limit_is_unavailable_and_a_refusal_without_json_too(pay_keys):
    def busy(environ, start_response):
        status = "429 Too Many Requests" if "jsapi" in environ["PATH_INFO"] else "400 Bad Request"
        start_response(status, [("Content-Type", "application/json")])
        body = b'{"code": "FREQUENCY_LIMITED", "message": "slow down"}' if status.startswith("429") else b"<html>"
        return [body]

    server = make_server("127.0.0.1", 0, busy, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        client = WeChatPay(settings(pay_keys, f"http://127.0.0.1:{server.server_address[1]}"))
        with pytest.raises(PayUnavailable) as limited:
            place(client)
        assert limited.value.code == "FREQUENCY_LIMITED"
        with pytest.raises(PayUnavailable) as garbled:
            client.query("order_000001")
        assert garbled.value.code == "bad_answer"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
