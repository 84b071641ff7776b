"""Reading WeChat Pay's notifications: signature, key serial, freshness, then AES-GCM decryption."""
from __future__ import annotations

import binascii
import json
from typing import Mapping

from wechatpayv3.utils import aes_decrypt, rsa_verify

from wechat.errors import BadNotification

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
TIMESTAMP_WINDOW_SECONDS = 300  # WeChat Pay's own advice: refuse anything more than 5 minutes off
EVENT_TYPES = ("TRANSACTION.SUCCESS", "REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED")


def read_signed_notification(headers: Mapping[str, str], body: bytes, *, public_key, public_key_id: str,
                             apiv3_key: str, now: float) -> tuple[dict, dict]:
    """(the notification's JSON, its decrypted resource), or BadNotification with a reason."""
    header = {str(name).lower(): str(value) for name, value in headers.items()}
    if header.get("wechatpay-serial") != public_key_id:
        raise BadNotification("unknown_serial", "signed with a key we do not know")
    if header.get("wechatpay-signature-type", SIGNATURE_TYPE) != SIGNATURE_TYPE:
        raise BadNotification("unsupported", "a signature type we do not know")
    _check_fresh(header.get("wechatpay-timestamp", ""), now)
    text = _text(body)
    if not rsa_verify(header["wechatpay-timestamp"], header.get("wechatpay-nonce", ""), text,
                      header.get("wechatpay-signature", ""), public_key):
        raise BadNotification("bad_signature", "the signature does not match")
    event = _json_object(text, "the body")
    if event.get("event_type") not in EVENT_TYPES:
        raise BadNotification("unsupported_type", f"event_type {str(event.get('event_type'))[:40]!r}")
    if not isinstance(event.get("id"), str):
        raise BadNotification("malformed", "the notification has no id")
    return event, _decrypt(event, apiv3_key)


def _check_fresh(timestamp: str, now: float) -> None:
    """A replayed or forged-late notification is refused by its signed timestamp."""
    try:
        sent = int(timestamp)
    except ValueError:
        raise BadNotification("stale_timestamp", "no readable Wechatpay-Timestamp") from None
    if abs(now - sent) > TIMESTAMP_WINDOW_SECONDS:
        raise BadNotification("stale_timestamp", f"sent {int(now - sent)} s from now")


def _text(body) -> str:
    """The body as text; bytes that are not UTF-8 cannot be what WeChat Pay signed."""
    if isinstance(body, str):
        return body
    try:
        return bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        raise BadNotification("malformed", "the body is not UTF-8") from None


def _json_object(text: str, what: str) -> dict:
    """A JSON object, or BadNotification("malformed")."""
    try:
        value = json.loads(text)
    except ValueError:
        raise BadNotification("malformed", f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise BadNotification("malformed", f"{what} is not a JSON object")
    return value


def _decrypt(event: dict, apiv3_key: str) -> dict:
    """The resource, decrypted with the APIv3 key (AEAD_AES_256_GCM)."""
    resource = event.get("resource")
    if event.get("resource_type") != "encrypt-resource" or not isinstance(resource, dict):
        raise BadNotification("unsupported", "the resource is not an encrypt-resource")
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise BadNotification("unsupported", "the resource is not AEAD_AES_256_GCM")
    parts = [resource.get(key) for key in ("nonce", "ciphertext")]
    associated = resource.get("associated_data") or ""
    if not all(isinstance(part, str) and part for part in parts) or not isinstance(associated, str):
        raise BadNotification("malformed", "the resource lacks its nonce or ciphertext")
    try:
        plain = aes_decrypt(nonce=parts[0], ciphertext=parts[1], associated_data=associated,
                            apiv3_key=apiv3_key)
    except (binascii.Error, ValueError, TypeError):
        plain = None
    if plain is None:
        raise BadNotification("decrypt_failed", "the resource does not decrypt with our APIv3 key")
    return _json_object(plain, "the resource")
