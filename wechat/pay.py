"""WeChat Pay API v3 (JSAPI, public-key mode): prepay, query, close, refund, notifications.

Built on wechatpayv3's Core for request signing; every answer and notification is checked
against our one WeChat Pay public key and nothing else (no certificate download, ever).
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Mapping
from urllib.parse import quote

import requests
from wechatpayv3.core import Core
from wechatpayv3.type import RequestType

from wechat.errors import BadNotification, PayRefused, PayUnavailable
from wechat.pay_notify import read_signed_notification

DEFAULT_PAY_BASE = "https://api.mch.weixin.qq.com"
NOTIFY_PATH = "/api/v1/payments/wechat/notify"
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
CHINA = timezone(timedelta(hours=8))  # WeChat Pay's times are RFC 3339 in +08:00


@dataclass(frozen=True)
class PaySettings:
    """A merchant's WeChat Pay credentials and where to reach WeChat Pay."""

    mchid: str
    appid: str
    apiv3_key: str = field(repr=False)          # 32 bytes: decrypts notification resources
    private_key_pem: str = field(repr=False)    # the merchant's key: signs requests and paySign
    cert_serial: str                            # serial of the merchant's certificate
    public_key_pem: str                         # WeChat Pay's public key: verifies answers
    public_key_id: str                          # its id, "PUB_KEY_ID_..."
    api_base: str = DEFAULT_PAY_BASE
    notify_url: str = ""
    timeout: float = 5.0

    @classmethod
    def from_config(cls, config: Mapping) -> "PaySettings | None":
        """Settings from the app config's WECHATPAY_* keys (API.md); None when not configured."""
        if not config.get("WECHATPAY_MCHID"):
            return None
        required = ("WECHATPAY_APIV3_KEY", "WECHATPAY_PRIVATE_KEY_PATH", "WECHATPAY_CERT_SERIAL",
                    "WECHATPAY_PUBLIC_KEY_PATH", "WECHATPAY_PUBLIC_KEY_ID")
        missing = [key for key in required if not config.get(key)]
        if missing:
            raise ValueError(f"WECHATPAY_MCHID is set but not {', '.join(missing)}")
        public_url = (config.get("PUBLIC_URL") or "").rstrip("/")
        return cls(
            mchid=str(config["WECHATPAY_MCHID"]), appid=str(config.get("WECHAT_APPID") or ""),
            apiv3_key=str(config["WECHATPAY_APIV3_KEY"]),
            private_key_pem=Path(config["WECHATPAY_PRIVATE_KEY_PATH"]).read_text(),
            cert_serial=str(config["WECHATPAY_CERT_SERIAL"]),
            public_key_pem=Path(config["WECHATPAY_PUBLIC_KEY_PATH"]).read_text(),
            public_key_id=str(config["WECHATPAY_PUBLIC_KEY_ID"]),
            api_base=str(config.get("WECHATPAY_API_BASE") or DEFAULT_PAY_BASE).rstrip("/"),
            notify_url=config.get("WECHATPAY_NOTIFY_URL") or public_url + NOTIFY_PATH,
            timeout=float(config.get("WECHATPAY_TIMEOUT_SECONDS")
                          or config.get("WECHAT_TIMEOUT_SECONDS") or 5.0),
        )


@dataclass(frozen=True)
class Transaction:
    """WeChat Pay's view of a payment; trade_state: SUCCESS, NOTPAY, CLOSED, REFUND, USERPAYING, PAYERROR."""

    out_trade_no: str
    transaction_id: str | None
    trade_state: str
    amount_fen: int | None
    appid: str | None
    mchid: str | None
    payer_openid: str | None
    success_time: datetime | None


@dataclass(frozen=True)
class Refund:
    """A refund as WeChat Pay knows it; status: SUCCESS, PROCESSING, CLOSED, ABNORMAL."""

    out_refund_no: str
    out_trade_no: str
    refund_id: str | None
    status: str
    refund_fen: int
    total_fen: int


@dataclass(frozen=True)
class Notification:
    """A verified, decrypted notification: TRANSACTION.SUCCESS (transaction) or REFUND.* (refund)."""

    id: str
    event_type: str
    transaction: Transaction | None
    refund: Refund | None


class _StrictCore(Core):
    """wechatpayv3's Core that trusts only our WeChat Pay public key, refusing any other serial."""

    def _verify_signature(self, headers, body):
        """Check an answer's serial ourselves first: the base class would fetch certificates."""
        if headers.get("Wechatpay-Serial") != self._public_key_id:
            raise PayRefused("bad_signature", "WeChat Pay's answer names an unknown key serial")
        try:
            genuine = super()._verify_signature(headers, body)
        except Exception as exc:  # noqa: BLE001  (wechatpayv3 raises bare Exception on a foreign algorithm)
            raise PayRefused("bad_signature", str(exc)) from exc
        if not genuine:
            raise PayRefused("bad_signature", "WeChat Pay's answer does not carry its signature")
        return True


class WeChatPay:
    """The merchant's WeChat Pay client: every call has the settings' timeout."""

    def __init__(self, settings: PaySettings):
        self.settings = settings
        self._core = _StrictCore(
            mchid=settings.mchid, cert_serial_no=settings.cert_serial,
            private_key=settings.private_key_pem, apiv3_key=settings.apiv3_key,
            timeout=settings.timeout, public_key=settings.public_key_pem,
            public_key_id=settings.public_key_id)
        # The one place the base URL is set: wechatpayv3 hard-codes the real one.
        self._core._gate_way = settings.api_base.rstrip("/")

    def prepay(self, *, out_trade_no: str, description: str, amount_fen: int, payer_openid: str,
               time_expire: datetime) -> str:
        """Place a JSAPI order and return its prepay_id (the same one again for the same order)."""
        s = self.settings
        body = {"appid": s.appid, "mchid": s.mchid, "description": description,
                "out_trade_no": out_trade_no, "time_expire": wechat_time(time_expire),
                "notify_url": s.notify_url, "amount": {"total": amount_fen, "currency": "CNY"},
                "payer": {"openid": payer_openid}}
        answer = self._call(RequestType.POST, "/v3/pay/transactions/jsapi", body)
        return _field(answer, lambda a: str(a["prepay_id"]))

    def payment_arguments(self, prepay_id: str) -> dict:
        """The arguments of wx.requestPayment for a prepay, signed with the merchant key."""
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex.upper()
        package = f"prepay_id={prepay_id}"
        signature = self._core.sign([self.settings.appid, timestamp, nonce, package])
        return {"timeStamp": timestamp, "nonceStr": nonce, "package": package,
                "signType": "RSA", "paySign": signature}

    def query(self, out_trade_no: str) -> Transaction | None:
        """The order's payment state; None when WeChat Pay has no such order."""
        path = (f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}"
                f"?mchid={quote(self.settings.mchid)}")
        answer = self._get_unless_missing(path, "ORDER_NOT_EXIST")
        return None if answer is None else _field(answer, transaction_from)

    def close(self, out_trade_no: str) -> None:
        """Close an unpaid order; an unknown or closed one is fine, a paid one is PayRefused("ORDERPAID")."""
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close"
        try:
            self._call(RequestType.POST, path, {"mchid": self.settings.mchid})
        except PayRefused as refused:
            if refused.code not in ("ORDER_NOT_EXIST", "ORDER_CLOSED"):
                raise

    def refund(self, *, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int,
               reason: str) -> Refund:
        """Ask for a refund, idempotent on out_refund_no: PROCESSING, then a REFUND.* notification."""
        body = {"out_trade_no": out_trade_no, "out_refund_no": out_refund_no, "reason": reason,
                "notify_url": self.settings.notify_url,
                "amount": {"refund": refund_fen, "total": total_fen, "currency": "CNY"}}
        answer = self._call(RequestType.POST, "/v3/refund/domestic/refunds", body)
        return _field(answer, refund_from)

    def query_refund(self, out_refund_no: str) -> Refund | None:
        """The refund's state; None when WeChat Pay has no such refund."""
        path = f"/v3/refund/domestic/refunds/{quote(out_refund_no, safe='')}"
        answer = self._get_unless_missing(path, "RESOURCE_NOT_EXISTS")
        return None if answer is None else _field(answer, refund_from)

    def _get_unless_missing(self, path: str, missing_code: str):
        """GET `path`; None when WeChat Pay answers `missing_code` (it has no such thing)."""
        try:
            return self._call(RequestType.GET, path)
        except PayRefused as refused:
            if refused.code == missing_code:
                return None
            raise

    def read_notification(self, headers: Mapping[str, str], body: bytes,
                          now: float | None = None) -> Notification:
        """Verify, check freshness, decrypt and read a notification, or raise BadNotification."""
        s = self.settings
        event, resource = read_signed_notification(
            headers, body, public_key=self._core._public_key, public_key_id=s.public_key_id,
            apiv3_key=s.apiv3_key, now=time.time() if now is None else now)
        try:
            if event["event_type"] == "TRANSACTION.SUCCESS":
                return Notification(event["id"], event["event_type"], transaction_from(resource), None)
            return Notification(event["id"], event["event_type"], None, refund_from(resource))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadNotification("malformed", f"the resource lacks what we need: {exc!r}") from exc

    def _call(self, method: RequestType, path: str, data: dict | None = None) -> dict:
        """One signed call; the verified answer's JSON (or {} for 204)."""
        try:
            status, text = self._core.request(path, method=method, data=data)
        except requests.RequestException as exc:
            raise PayUnavailable("unreachable", f"WeChat Pay did not answer: {type(exc).__name__}") from exc
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if status >= 500 or status < 200:
            raise PayUnavailable("server_error", f"WeChat Pay answered {status}")
        answer = _json_object(text)
        if status == 429:  # FREQUENCY_LIMITED: the same call later will do
            raise PayUnavailable(str(answer.get("code") or "FREQUENCY_LIMITED"),
                                 str(answer.get("message") or ""))
        if status >= 300:
            raise PayRefused(str(answer.get("code") or f"HTTP_{status}"), str(answer.get("message") or ""))
        return answer


def wechat_time(moment: datetime) -> str:
    """RFC 3339 in +08:00, as WeChat Pay writes times (naive datetimes are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


def parse_wechat_time(value) -> datetime | None:
    """A WeChat Pay time as an aware UTC datetime, or None."""
    if not value:
        return None
    return datetime.fromisoformat(str(value)).astimezone(timezone.utc)


def transaction_from(data: Mapping) -> Transaction:
    """A Transaction from WeChat Pay's transaction JSON (query answer or notification resource)."""
    amount = data.get("amount") or {}
    total = amount.get("total")
    return Transaction(
        out_trade_no=str(data["out_trade_no"]), transaction_id=data.get("transaction_id") or None,
        trade_state=str(data["trade_state"]), amount_fen=None if total is None else int(total),
        appid=data.get("appid"), mchid=data.get("mchid"),
        payer_openid=(data.get("payer") or {}).get("openid"),
        success_time=parse_wechat_time(data.get("success_time")))


def refund_from(data: Mapping) -> Refund:
    """A Refund from WeChat Pay's refund JSON (the answer's `status`, a notification's `refund_status`)."""
    amount = data["amount"]
    return Refund(
        out_refund_no=str(data["out_refund_no"]), out_trade_no=str(data["out_trade_no"]),
        refund_id=data.get("refund_id") or None, status=str(data.get("status") or data["refund_status"]),
        refund_fen=int(amount["refund"]), total_fen=int(amount["total"]))


def _json_object(text: str) -> dict:
    """An answer's JSON object ({} when empty); anything else means WeChat Pay is not itself."""
    if not text:
        return {}
    try:
        answer = json.loads(text)
    except ValueError as exc:
        raise PayUnavailable("bad_answer", "WeChat Pay answered something that is not JSON") from exc
    if not isinstance(answer, dict):
        raise PayUnavailable("bad_answer", "WeChat Pay answered JSON that is not an object")
    return answer


def _field(answer: dict, read):
    """`read(answer)`, an unreadable (though signed) answer being PayUnavailable."""
    try:
        return read(answer)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PayUnavailable("bad_answer", f"WeChat Pay's answer lacks what we need: {exc!r}") from exc
