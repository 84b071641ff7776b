"""WeChat open-data crypto: the encrypted user data of wx.getUserInfo and friends."""

import base64
import binascii
import json
import logging
import os
import time

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wechat.errors import DecryptFailed

_BLOCK_BITS = 128
log = logging.getLogger(__name__)


def _b64(value, what):
    """Strictly base64-decode one field, naming it in the error."""
    if isinstance(value, str):
        value = value.encode("ascii", "replace")
    if not isinstance(value, (bytes, bytearray)):
        raise DecryptFailed(f"{what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptFailed(f"{what} is not valid base64") from exc


def _cipher(key, iv):
    """AES-128-CBC as WeChat uses it: the key is the session_key, the iv is sent along."""
    if len(key) != 16:
        raise DecryptFailed("session_key is not a 16-byte AES-128 key")
    if len(iv) != 16:
        raise DecryptFailed("iv is not 16 bytes")
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def _unpad(padded):
    """Remove PKCS#7 padding, strictly (wechatpy's decoder silently accepts bad padding)."""
    unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise DecryptFailed("bad padding: wrong session_key or tampered data") from exc


def decrypt_user_data(session_key_b64, encrypted_data_b64, iv_b64, appid):
    """Decrypt encrypted user data and check that its watermark is for `appid`."""
    # Every failure is the same DecryptFailed with the same message: telling "bad padding" from
    # "not JSON" (or any other step) apart would let a client decrypt data byte by byte (a
    # padding oracle). Why it failed goes to the log only.
    try:
        return _decrypt_and_check(session_key_b64, encrypted_data_b64, iv_b64, appid)
    except Exception as exc:  # whatever went wrong (a bug too), the answer is the one below
        why = exc if isinstance(exc, DecryptFailed) else type(exc).__name__
        log.info("encrypted user data refused: %s", why)
        raise DecryptFailed() from exc


def _decrypt_and_check(session_key_b64, encrypted_data_b64, iv_b64, appid):
    """decrypt_user_data, each failure saying why (for the log)."""
    key = _b64(session_key_b64, "session_key")
    iv = _b64(iv_b64, "iv")
    data = _b64(encrypted_data_b64, "encrypted_data")
    if not data or len(data) % 16:
        raise DecryptFailed("encrypted_data is not a whole number of AES blocks")
    decryptor = _cipher(key, iv).decryptor()
    plain = _unpad(decryptor.update(data) + decryptor.finalize())
    try:
        payload = json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DecryptFailed("decrypted data is not JSON") from exc
    if not isinstance(payload, dict):
        raise DecryptFailed("decrypted data is not a JSON object")
    watermark = payload.get("watermark")
    # The watermark is what proves the data was made for our mini-program.
    if not isinstance(watermark, dict) or watermark.get("appid") != appid:
        raise DecryptFailed("watermark appid is not ours")
    return payload


def encrypt_user_data(session_key_b64, data, appid, timestamp=None):
    """Encrypt `data` as WeChat would for `appid`; returns (encrypted_data_b64, iv_b64)."""
    key = _b64(session_key_b64, "session_key")
    iv = os.urandom(16)
    payload = dict(data)
    if "watermark" not in payload:
        stamp = int(time.time()) if timestamp is None else int(timestamp)
        payload["watermark"] = {"timestamp": stamp, "appid": appid}
    plain = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    padder = padding.PKCS7(_BLOCK_BITS).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = _cipher(key, iv).encryptor()
    cipher_text = encryptor.update(padded) + encryptor.finalize()
    return base64.b64encode(cipher_text).decode("ascii"), base64.b64encode(iv).decode("ascii")
