"""Errors raised by the WeChat gateway, mapped onto our API's error codes."""


class WeChatError(Exception):
    """A WeChat call failed; `code` and `status` are what our API answers."""

    code = "wechat_error"
    status = 502
    default_message = "WeChat rejected the request"

    def __init__(self, message=None, errcode=None):
        self.message = message or self.default_message
        self.errcode = errcode
        super().__init__(self.message)

    def __repr__(self):
        return f"{type(self).__name__}(errcode={self.errcode!r}, message={self.message!r})"


class InvalidCode(WeChatError):
    """The wx.login / phone code is unknown, expired or already used."""

    code = "invalid_code"
    status = 401
    default_message = "The login code is invalid or already used"


class WeChatRateLimited(WeChatError):
    """WeChat says we called too often (45011)."""

    code = "wechat_rate_limited"
    status = 429
    default_message = "WeChat rate limit reached, try again shortly"


class RiskyUser(WeChatError):
    """WeChat flags the user as high risk (40226) and refuses the login."""

    code = "wechat_risky_user"
    status = 403
    default_message = "WeChat refused this user"


class WeChatUnavailable(WeChatError):
    """WeChat is busy (-1), down, slow, unreachable or answered nonsense."""

    code = "wechat_unavailable"
    status = 503
    default_message = "WeChat is unavailable, try again"


class DecryptFailed(WeChatError):
    """Encrypted user data could not be decrypted or is not for our appid."""

    code = "decrypt_failed"
    status = 400
    default_message = "The encrypted data could not be decrypted"


# errcode -> exception class; anything not listed is a plain WeChatError.
_ERRCODE_CLASSES = {
    40029: InvalidCode,   # invalid code
    40163: InvalidCode,   # code been used
    45011: WeChatRateLimited,
    40226: RiskyUser,
    -1: WeChatUnavailable,  # system busy
}


def error_for_errcode(errcode, errmsg=None):
    """Return the WeChatError instance for a WeChat errcode (the one mapping)."""
    try:
        errcode = int(errcode)
    except (TypeError, ValueError):
        return WeChatUnavailable(f"WeChat answered an unreadable errcode: {errcode!r}")
    cls = _ERRCODE_CLASSES.get(errcode, WeChatError)
    # Keep WeChat's own words for logs and support, after our plain message.
    detail = f"{cls.default_message} (WeChat errcode {errcode}: {errmsg or 'no message'})"
    return cls(detail, errcode=errcode)


class PayError(Exception):
    """A WeChat Pay call or notification failed; `code` is WeChat Pay's or ours."""

    code = "pay_error"

    def __init__(self, code=None, message=""):
        self.code = code or type(self).code
        self.message = message or self.code
        super().__init__(f"{self.code}: {self.message}")


class PayUnavailable(PayError):
    """WeChat Pay timed out, was unreachable or answered 5xx: retry later."""

    code = "pay_unavailable"


class PayRefused(PayError):
    """WeChat Pay answered 4xx with its `{"code", "message"}` (or its answer was not signed by it)."""

    code = "pay_refused"


class BadNotification(PayError):
    """A notification that is not genuine, fresh, readable or of a type we handle; never act on it."""

    code = "bad_notification"

    def __init__(self, reason, message=""):
        self.reason = reason
        super().__init__(reason, message or reason)
