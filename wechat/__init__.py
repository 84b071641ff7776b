"""The WeChat platform: login, open-data crypto, mini-program codes and messages.

The sandbox (wechat.sandbox) is imported separately so the app never loads it by accident.
"""

from wechat.crypto import decrypt_user_data, encrypt_user_data
from wechat.errors import (
    DecryptFailed,
    InvalidCode,
    RiskyUser,
    WeChatError,
    WeChatRateLimited,
    WeChatUnavailable,
    error_for_errcode,
)
from wechat.gateway import DEFAULT_API_BASE, DEFAULT_TIMEOUT, WeChatGateway

__all__ = [
    "DEFAULT_API_BASE",
    "DEFAULT_TIMEOUT",
    "DecryptFailed",
    "InvalidCode",
    "RiskyUser",
    "WeChatError",
    "WeChatGateway",
    "WeChatRateLimited",
    "WeChatUnavailable",
    "decrypt_user_data",
    "encrypt_user_data",
    "error_for_errcode",
]
