"""The WeChat platform: login, open-data crypto, mini-program codes and messages; WeChat Pay.

The sandbox (wechat.sandbox) is imported separately so the app never loads it by accident.
"""

from wechat.crypto import decrypt_user_data, encrypt_user_data
from wechat.errors import (
    BadNotification,
    DecryptFailed,
    InvalidCode,
    PayError,
    PayRefused,
    PayUnavailable,
    RiskyUser,
    WeChatError,
    WeChatRateLimited,
    WeChatUnavailable,
    error_for_errcode,
)
from wechat.gateway import DEFAULT_API_BASE, DEFAULT_TIMEOUT, WeChatGateway
from wechat.pay import Notification, PaySettings, Refund, Transaction, WeChatPay
from wechat.pay_keys import PayKeyFiles, load_pay_keys, make_pay_keys

__all__ = [
    "DEFAULT_API_BASE",
    "DEFAULT_TIMEOUT",
    "BadNotification",
    "DecryptFailed",
    "InvalidCode",
    "Notification",
    "PayError",
    "PayKeyFiles",
    "PayRefused",
    "PaySettings",
    "PayUnavailable",
    "Refund",
    "RiskyUser",
    "Transaction",
    "WeChatPay",
    "WeChatError",
    "WeChatGateway",
    "WeChatRateLimited",
    "WeChatUnavailable",
    "decrypt_user_data",
    "encrypt_user_data",
    "error_for_errcode",
    "load_pay_keys",
    "make_pay_keys",
]
