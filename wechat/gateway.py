"""The WeChat API gateway: wechatpy's client, pointed at a configurable base URL."""

import os

import requests
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.constants import WeChatErrorCode
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage

from wechat.errors import InvalidCode, WeChatError, WeChatUnavailable, error_for_errcode

DEFAULT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_TIMEOUT = 5.0

# wechatpy hard-codes this prefix in its clients and API classes.
_WECHATPY_BASE = "https://api.weixin.qq.com/"

# Errcodes meaning "your access token is bad": wechatpy refetches and retries on these.
_TOKEN_ERRCODES = frozenset(
    code.value
    for code in (
        WeChatErrorCode.INVALID_CREDENTIAL,
        WeChatErrorCode.INVALID_ACCESS_TOKEN,
        WeChatErrorCode.EXPIRED_ACCESS_TOKEN,
    )
)

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8")


class _TimeoutAdapter(HTTPAdapter):
    """Applies a default timeout to every request the session sends."""

    def __init__(self, timeout, **kwargs):
        self._timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        """Send with our timeout unless the caller chose one."""
        # wechatpy's _fetch_access_token passes no timeout at all: it would hang forever.
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


class _RetriedOnce:
    """Marks a request that already refetched its token, wrapping its result processor."""

    def __init__(self, processor):
        self.processor = processor

    def __call__(self, result):
        """Apply the wrapped processor, if any."""
        return self.processor(result) if self.processor else result


class _Client(WeChatClient):
    """wechatpy's WeChatClient with every URL, the token fetch included, under api_base."""

    def __init__(self, appid, secret, api_base, timeout, session):
        super().__init__(appid, secret, session=session, timeout=timeout)
        self.api_base = api_base.rstrip("/") + "/"
        adapter = _TimeoutAdapter(timeout)
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)
        # Every call goes under api_base: its proxy (HTTPS_PROXY, NO_PROXY...) is read from the
        # environment once here, not by requests on every call (a scan of os.environ each time,
        # a third of a subscribe message's CPU).
        self._http.proxies = requests.utils.get_environ_proxies(self.api_base)
        self._http.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self._http.trust_env = False

    def _resolve(self, url_or_endpoint, api_base_url):
        """Build the absolute URL wechatpy would, then move it under our base."""
        url = url_or_endpoint
        if not url.startswith(("http://", "https://")):
            url = (api_base_url or self.API_BASE_URL) + url
        if url.startswith(_WECHATPY_BASE):
            url = self.api_base + url[len(_WECHATPY_BASE):]
        return url

    def _request(self, method, url_or_endpoint, **kwargs):
        """wechatpy's request, at our base URL; `with_token=False` sends no access_token."""
        url = self._resolve(url_or_endpoint, kwargs.pop("api_base_url", None))
        if not kwargs.pop("with_token", True):
            # wechatpy adds access_token only to dict params; a list of pairs is left alone.
            kwargs["params"] = list((kwargs.get("params") or {}).items())
        return super()._request(method, url, **kwargs)

    def _handle_result(self, res, method=None, url=None, result_processor=None, **kwargs):
        """wechatpy's result handling, with its token auto-retry bounded to one retry."""
        result = res if isinstance(res, dict) else self._decode_result(res)
        errcode = _errcode_of(result)
        if errcode in _TOKEN_ERRCODES:
            tokenless = not isinstance(kwargs.get("params"), dict)
            if tokenless or isinstance(result_processor, _RetriedOnce) or not self.auto_retry:
                # Retrying again could loop forever (e.g. another worker keeps refreshing).
                raise error_for_errcode(errcode, result.get("errmsg"))
            result_processor = _RetriedOnce(result_processor)
        # Hand wechatpy the raw response: its errors read .request/.response from it.
        return super()._handle_result(res, method, url, result_processor, **kwargs)

    def fetch_access_token(self):
        """Fetch the access token from our base URL (wechatpy hard-codes WeChat's)."""
        return self._fetch_access_token(
            url=self.api_base + "cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def _errcode_of(result):
    """The integer errcode of a decoded answer, or None."""
    if not isinstance(result, dict) or "errcode" not in result:
        return None
    try:
        return int(result["errcode"])
    except (TypeError, ValueError):
        return None


def _from_client_exception(exc):
    """Turn a wechatpy WeChatClientException into our WeChatError."""
    if exc.errcode is not None:
        return error_for_errcode(exc.errcode, exc.errmsg)
    status = getattr(exc.response, "status_code", None)
    if status is None or status >= 500:
        return WeChatUnavailable(f"WeChat answered HTTP {status}")
    return WeChatError(f"WeChat answered HTTP {status}")


def _subscribe_data(data):
    """Accept {"thing1": "text"} as well as WeChat's {"thing1": {"value": "text"}}."""
    return {key: value if isinstance(value, dict) else {"value": value}
            for key, value in data.items()}


class WeChatGateway:
    """The calls Xiaoge makes to WeChat, raising only WeChatError subclasses."""

    def __init__(self, appid, secret, api_base=DEFAULT_API_BASE, timeout=DEFAULT_TIMEOUT,
                 token_storage=None):
        self.appid = appid
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        # A shared storage (Redis) lets all workers use one token instead of
        # invalidating each other's by fetching their own.
        storage = token_storage if token_storage is not None else MemoryStorage()
        self.client = _Client(appid, secret, self.api_base, timeout, storage)

    def _call(self, fn, *args, **kwargs):
        """One wechatpy call with every failure translated to a WeChatError."""
        try:
            return fn(*args, **kwargs)
        except WeChatError:
            raise
        except WeChatClientException as exc:
            raise _from_client_exception(exc) from exc
        except requests.RequestException as exc:
            raise WeChatUnavailable(f"WeChat unreachable: {type(exc).__name__}") from exc
        except (KeyError, ValueError) as exc:
            # e.g. a token answer without access_token, or a body that is not JSON
            raise WeChatUnavailable("WeChat answered something unreadable") from exc

    def _call_json(self, fn, *args, **kwargs):
        """A call whose successful answer must be a JSON object."""
        result = self._call(fn, *args, **kwargs)
        if not isinstance(result, dict):
            raise WeChatUnavailable("WeChat answered something that is not JSON")
        return result

    def code_to_session(self, code):
        """Exchange a wx.login code: {"openid", "session_key", "unionid" or None}."""
        if not code or not isinstance(code, str):
            raise InvalidCode("A login code is required")
        # jscode2session authenticates with appid+secret: no access token is fetched.
        params = {"appid": self.appid, "secret": self.client.secret,
                  "js_code": code, "grant_type": "authorization_code"}
        result = self._call_json(self.client.get, "sns/jscode2session", params=params,
                                 api_base_url=_WECHATPY_BASE, with_token=False)
        if not result.get("openid") or not result.get("session_key"):
            raise WeChatUnavailable("WeChat answered a session without openid or session_key")
        return {"openid": result["openid"], "session_key": result["session_key"],
                "unionid": result.get("unionid")}

    def phone_number(self, code):
        """Exchange a getPhoneNumber code for the user's phone number."""
        if not code or not isinstance(code, str):
            raise InvalidCode("A phone code is required")
        result = self._call_json(self.client.post, "wxa/business/getuserphonenumber",
                                 api_base_url=_WECHATPY_BASE, data={"code": code})
        info = result.get("phone_info")
        phone = isinstance(info, dict) and (info.get("purePhoneNumber") or info.get("phoneNumber"))
        if not phone:
            raise WeChatUnavailable("WeChat answered no phone number")
        return phone

    def wxa_code_unlimited(self, scene, page=None, width=430):
        """A mini-program code image (PNG or JPEG bytes) for `scene`."""
        # Through wechatpy's own wxa API class: its hard-coded base is rewritten too.
        result = self._call(self.client.wxa.get_wxa_code_unlimited, scene, width=width, page=page)
        # Success is the image itself; wechatpy hands back the raw response for non-JSON.
        content = getattr(result, "content", None)
        if not content or not content.startswith(_IMAGE_MAGIC):
            raise WeChatUnavailable("WeChat answered no image")
        return content

    def send_subscribe_message(self, openid, template_id, data, page=None):
        """Send a subscribe message to `openid` (the user must have subscribed)."""
        self._call_json(self.client.wxa.send_subscribe_message, openid, template_id,
                        _subscribe_data(data), page=page)

