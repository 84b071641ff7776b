"""Made-up WeChat Pay credentials for the demo and the tests: a merchant key, a platform key, an APIv3 key."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEMO_MCHID = "1900000109"
IDS_FILE = "pay_keys.json"  # mchid, ids and the APIv3 key, so another process can load the set


@dataclass(frozen=True)
class PayKeyFiles:
    """Where the PEM files are, and the ids and APIv3 key that go with them."""

    mchid: str
    apiv3_key: str = field(repr=False)
    merchant_private_key_path: Path      # the merchant signs requests and paySign with it
    merchant_public_key_path: Path       # WeChat Pay (the sandbox) verifies requests with it
    cert_serial: str                     # the merchant certificate's serial
    platform_private_key_path: Path      # WeChat Pay (the sandbox) signs answers and notifications
    platform_public_key_path: Path       # the merchant verifies them with it
    public_key_id: str                   # "PUB_KEY_ID_..."

    def app_config(self, api_base: str) -> dict:
        """The WECHATPAY_* settings (API.md) of a merchant talking to WeChat Pay at `api_base`."""
        return {"WECHATPAY_MCHID": self.mchid, "WECHATPAY_APIV3_KEY": self.apiv3_key,
                "WECHATPAY_PRIVATE_KEY_PATH": str(self.merchant_private_key_path),
                "WECHATPAY_CERT_SERIAL": self.cert_serial,
                "WECHATPAY_PUBLIC_KEY_PATH": str(self.platform_public_key_path),
                "WECHATPAY_PUBLIC_KEY_ID": self.public_key_id,
                "WECHATPAY_API_BASE": api_base.rstrip("/")}


def make_pay_keys(directory, mchid: str = DEMO_MCHID) -> PayKeyFiles:
    """Generate both RSA 2048 key pairs and an APIv3 key, writing the PEM files into `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for who in ("merchant", "platform"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write(directory / f"{who}_private_key.pem", _private_pem(key), private=True)
        _write(directory / f"{who}_public_key.pem", _public_pem(key))
    ids = {"mchid": mchid, "apiv3_key": secrets.token_hex(16),  # 32 ASCII characters: AES-256
           "cert_serial": secrets.token_hex(20).upper(),
           "public_key_id": "PUB_KEY_ID_" + "".join(secrets.choice("0123456789") for _ in range(32))}
    _write(directory / IDS_FILE, json.dumps(ids, indent=2).encode("utf-8"), private=True)
    return _key_files(directory, ids)


def load_pay_keys(directory) -> PayKeyFiles:
    """The set make_pay_keys wrote into `directory` (the sandbox process and the demo share it)."""
    directory = Path(directory)
    return _key_files(directory, json.loads((directory / IDS_FILE).read_text(encoding="utf-8")))


def _key_files(directory: Path, ids: dict) -> PayKeyFiles:
    return PayKeyFiles(
        mchid=ids["mchid"], apiv3_key=ids["apiv3_key"], cert_serial=ids["cert_serial"],
        public_key_id=ids["public_key_id"],
        merchant_private_key_path=directory / "merchant_private_key.pem",
        merchant_public_key_path=directory / "merchant_public_key.pem",
        platform_private_key_path=directory / "platform_private_key.pem",
        platform_public_key_path=directory / "platform_public_key.pem")


def _private_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _public_pem(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _write(path: Path, pem: bytes, private: bool = False) -> Path:
    """Write a PEM file; private keys readable by their owner only."""
    path.write_bytes(pem)
    if private:
        path.chmod(0o600)
    return path
