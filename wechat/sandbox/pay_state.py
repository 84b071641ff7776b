"""The WeChat Pay stand-in's memory and crypto: orders, refunds, signed answers and notifications."""
from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

CHINA = timezone(timedelta(hours=8))
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
NOTIFY_TIMEOUT_SECONDS = 5.0
NOTIFICATION_MODES = ("normal", "late", "twice", "drop")
SUMMARIES = {"TRANSACTION.SUCCESS": "支付成功", "REFUND.SUCCESS": "退款成功",
             "REFUND.ABNORMAL": "退款异常", "REFUND.CLOSED": "退款关闭"}


def china_time(epoch: float | None = None) -> str:
    """RFC 3339 in +08:00, as WeChat Pay writes its times."""
    moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, CHINA)
    return moment.isoformat(timespec="seconds")


def _digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))


class PaySandboxState:
    """WeChat Pay as one merchant sees it; every access to the dicts holds `lock`."""

    def __init__(self, appid: str, keys):
        self.appid, self.mchid = appid, keys.mchid
        self.cert_serial, self.public_key_id = keys.cert_serial, keys.public_key_id
        self.apiv3_key = keys.apiv3_key.encode("utf-8")
        self.merchant_key = load_pem_public_key(keys.merchant_public_key_path.read_bytes())
        self.platform_key = load_pem_private_key(keys.platform_private_key_path.read_bytes(), None)
        self.lock = threading.Lock()
        self.delivered = threading.Condition(self.lock)
        self.reset()

    def reset(self):
        """Forget every order, refund, notification and test setting."""
        with self.lock:
            self.transactions: dict[str, dict] = {}   # out_trade_no -> order
            self.refunds: dict[str, dict] = {}        # out_refund_no -> refund
            self.sent: list[dict] = []                # notifications as sent: url, headers, body
            self.generation = getattr(self, "generation", 0) + 1  # late sends from before a reset are dropped
            self.dropped = 0
            self.mode, self.late_seconds = "normal", 0.0
            self.next_refund_failure: str | None = None   # refused, unavailable or abnormal
            self.next_answer_tamper: str | None = None    # body, signature or serial
            self.refund_settle_seconds: float | None = 0.1

    # --- signatures ------------------------------------------------------------------------

    def verify_merchant(self, message: str, signature: str) -> bool:
        """Whether the merchant's private key signed `message`."""
        try:
            self.merchant_key.verify(base64.b64decode(signature, validate=True), message.encode("utf-8"),
                                     PKCS1v15(), SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True

    def signed_headers(self, body: bytes) -> dict:
        """The Wechatpay-* headers of an answer or notification carrying `body`."""
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex.upper()
        message = f"{timestamp}\n{nonce}\n".encode("utf-8") + body + b"\n"
        signature = self.platform_key.sign(message, PKCS1v15(), SHA256())
        return {"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce,
                "Wechatpay-Signature": base64.b64encode(signature).decode("ascii"),
                "Wechatpay-Serial": self.public_key_id, "Wechatpay-Signature-Type": SIGNATURE_TYPE}

    def take_tamper(self) -> str | None:
        """The tampering asked for the next answer, once."""
        with self.lock:
            tamper, self.next_answer_tamper = self.next_answer_tamper, None
            return tamper

    # --- notifications ---------------------------------------------------------------------

    def notification(self, event_type: str, resource: dict, key: bytes | None = None) -> bytes:
        """A notification body as WeChat Pay writes it, its resource sealed with the APIv3 key."""
        kind = "transaction" if event_type.startswith("TRANSACTION") else "refund"
        nonce = secrets.token_urlsafe(9)[:12]
        plain = json.dumps(resource, ensure_ascii=False).encode("utf-8")
        sealed = AESGCM(key or self.apiv3_key).encrypt(nonce.encode("ascii"), plain, kind.encode("ascii"))
        envelope = {"id": str(uuid.uuid4()), "create_time": china_time(), "resource_type": "encrypt-resource",
                    "event_type": event_type, "summary": SUMMARIES.get(event_type, event_type),
                    "resource": {"original_type": kind, "algorithm": "AEAD_AES_256_GCM",
                                 "ciphertext": base64.b64encode(sealed).decode("ascii"),
                                 "associated_data": kind, "nonce": nonce}}
        return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def notify(self, url: str, event_type: str, resource: dict) -> None:
        """Send a notification as the current mode says: now, late, twice or not at all."""
        with self.lock:
            mode, late, generation = self.mode, self.late_seconds, self.generation
            if mode == "drop":
                self.dropped += 1
                return
        if mode == "late":
            timer = threading.Timer(late, self._send, (url, event_type, resource, 1, generation))
            timer.daemon = True
            timer.start()
        else:
            self._send(url, event_type, resource, 2 if mode == "twice" else 1)

    def _send(self, url: str, event_type: str, resource: dict, times: int,
              generation: int | None = None) -> None:
        """Sign, keep (so tests can read and replay it), then POST in the background."""
        body = self.notification(event_type, resource)
        headers = dict(self.signed_headers(body), **{"Content-Type": "application/json"})
        records = []
        with self.lock:
            if generation is not None and generation != self.generation:
                return
            for _ in range(times):
                record = {"url": url, "event_type": event_type, "headers": headers,
                          "body": body.decode("utf-8"), "sent_at": time.time(), "answer": None}
                self.sent.append(record)
                records.append(record)
            self.delivered.notify_all()
        threading.Thread(target=self._post, args=(records,), daemon=True,
                         name="sandbox-pay-notify").start()

    def _post(self, records: list[dict]) -> None:
        """POST each to its notify_url; the answer (status or error) is kept on the record."""
        for record in records:
            try:
                answer = requests.post(record["url"], data=record["body"].encode("utf-8"),
                                       headers=record["headers"], timeout=NOTIFY_TIMEOUT_SECONDS)
                outcome = answer.status_code
            except (requests.RequestException, ValueError) as exc:
                outcome = type(exc).__name__
            with self.lock:
                record["answer"] = outcome

    def notifications(self) -> list[dict]:
        """Copies of the notifications sent, oldest first."""
        with self.lock:
            return [dict(record, headers=dict(record["headers"])) for record in self.sent]

    def wait_for_notifications(self, count: int, timeout: float = 5.0) -> list[dict]:
        """The notifications once at least `count` were sent (or whatever there is after `timeout`)."""
        with self.lock:
            self.delivered.wait_for(lambda: len(self.sent) >= count, timeout)
        return self.notifications()

    # --- orders -------------------------------------------------------------------------------

    def transaction_view(self, order: dict, amount_fen: int | None = None) -> dict:
        """An order as WeChat Pay answers a query (and writes a TRANSACTION.SUCCESS resource)."""
        self._expire(order)
        paid = order["trade_state"] in ("SUCCESS", "REFUND")
        total = order["amount"] if amount_fen is None else amount_fen
        view = {"appid": self.appid, "mchid": self.mchid, "out_trade_no": order["out_trade_no"],
                "trade_type": "JSAPI", "trade_state": order["trade_state"],
                "trade_state_desc": order["trade_state"], "payer": {"openid": order["openid"]},
                "amount": {"total": total, "currency": "CNY",
                           "payer_total": total if paid else 0, "payer_currency": "CNY"}}
        if paid:
            view.update(transaction_id=order["transaction_id"], bank_type="OTHERS",
                        success_time=china_time(order["paid_at"]))
        return view

    def _expire(self, order: dict) -> None:
        """An unpaid order past its time_expire is closed, as WeChat Pay does."""
        if order["trade_state"] == "NOTPAY" and time.time() > order["expires_at"]:
            order["trade_state"] = "CLOSED"

    def pay(self, out_trade_no: str, amount_fen: int | None = None) -> tuple[str, dict | None]:
        """The shopper pays: ("paid", order view) or the reason not ("not_found", "not_payable")."""
        with self.lock:
            order = self.transactions.get(out_trade_no)
            if order is None:
                return "not_found", None
            self._expire(order)
            if order["trade_state"] != "NOTPAY":
                return "not_payable", self.transaction_view(order)
            order.update(trade_state="SUCCESS", paid_at=time.time(),
                         transaction_id="4200" + _digits(24))
            view = self.transaction_view(order)
            resource = self.transaction_view(order, amount_fen)
        self.notify(order["notify_url"], "TRANSACTION.SUCCESS", resource)
        return "paid", view

    def order_by_prepay_id(self, prepay_id: str) -> dict | None:
        """The order a prepay_id belongs to."""
        with self.lock:
            return next((o for o in self.transactions.values() if o["prepay_id"] == prepay_id), None)

    # --- refunds ------------------------------------------------------------------------------

    def refund_view(self, refund: dict, status_key: str = "status") -> dict:
        """A refund as WeChat Pay answers (status_key "refund_status" for a notification's resource)."""
        view = {"refund_id": refund["refund_id"], "out_refund_no": refund["out_refund_no"],
                "transaction_id": refund["transaction_id"], "out_trade_no": refund["out_trade_no"],
                "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
                "create_time": china_time(refund["created_at"]), status_key: refund["status"],
                "amount": {"total": refund["total"], "refund": refund["refund"],
                           "payer_total": refund["total"], "payer_refund": refund["refund"],
                           "currency": "CNY"}}
        if refund["status"] == "SUCCESS":
            view["success_time"] = china_time(refund["settled_at"])
        if status_key == "refund_status":
            view["mchid"] = self.mchid
        return view

    def settle_refund(self, out_refund_no: str) -> dict | None:
        """A PROCESSING refund ends (SUCCESS, or ABNORMAL when so rigged) and is notified."""
        with self.lock:
            refund = self.refunds.get(out_refund_no)
            if refund is None or refund["status"] != "PROCESSING":
                return refund and self.refund_view(refund)
            ending = "ABNORMAL" if refund["rigged_abnormal"] else "SUCCESS"
            refund.update(status=ending, settled_at=time.time())
            if refund["status"] == "SUCCESS":
                self.transactions[refund["out_trade_no"]]["trade_state"] = "REFUND"
            resource = self.refund_view(refund, "refund_status")
        self.notify(refund["notify_url"], f"REFUND.{refund['status']}", resource)
        return self.refund_view(refund)

    def schedule_settlement(self, out_refund_no: str) -> None:
        """Settle a new refund after refund_settle_seconds (None: only the settle hook does)."""
        with self.lock:
            delay = self.refund_settle_seconds
        if delay is not None:
            timer = threading.Timer(delay, self.settle_refund, (out_refund_no,))
            timer.daemon = True
            timer.start()
