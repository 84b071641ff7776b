"""The WeChat gateway: real wechatpy over real HTTP, against the sandbox."""

import base64
import contextlib
import socket
import struct
import threading
import time

import pytest
import requests
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage
from werkzeug.serving import make_server

from wechat import (
    InvalidCode,
    RiskyUser,
    WeChatError,
    WeChatGateway,
    WeChatRateLimited,
    WeChatUnavailable,
    error_for_errcode,
)
from wechat.sandbox import SANDBOX_APPID, SANDBOX_SECRET, start_sandbox


@pytest.fixture
def sandbox():
    """A fresh sandbox per test, so counters start at zero."""
    with start_sandbox() as running:
        yield running


@pytest.fixture
def gateway(sandbox):
    """A gateway pointed at the sandbox."""
    return WeChatGateway(SANDBOX_APPID, SANDBOX_SECRET, sandbox.url, timeout=2)


def hook(sandbox, path, **body):
    """Call a /sandbox test hook."""
    answer = requests.post(f"{sandbox.url}/sandbox/{path}", json=body, timeout=5)
    answer.raise_for_status()
    return answer.json()


def fetches(sandbox):
    """How many access tokens the sandbox has handed out."""
    return requests.get(f"{sandbox.url}/sandbox/stats", timeout=5).json()["token_fetches"]


def free_port():
    """A local port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def canned_server(status, body, content_type="text/html"):
    """A server answering every request with the same canned response."""
    def app(environ, start_response):
        start_response(status, [("Content-Type", content_type)])
        return [body]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class FakeRedis:
    """Just enough of redis.Redis for wechatpy's RedisStorage."""

    def __init__(self):
        self.data = {}

    def get(self, key):
        return self.data.get(key)

    def set(self, key, value, ex=None):
        self.data[key] = value.encode()

    def delete(self, key):
        self.data.pop(key, None)


# --- login -----------------------------------------------------------------

def test_code_to_session_returns_session_without_fetching_a_token(sandbox, gateway):
    minted = hook(sandbox, "login-codes")
    session = gateway.code_to_session(minted["code"])
    assert session["openid"] == minted["openid"]
    assert len(base64.b64decode(session["session_key"])) == 16
    assert session["unionid"]
    assert fetches(sandbox) == 0


def test_each_login_gets_a_new_session_key(sandbox, gateway):
    first = gateway.code_to_session(hook(sandbox, "login-codes", openid="o_band")["code"])
    second = gateway.code_to_session(hook(sandbox, "login-codes", openid="o_band")["code"])
    assert first["openid"] == second["openid"] == "o_band"
    assert first["unionid"] == second["unionid"]
    assert first["session_key"] != second["session_key"]


def test_login_code_is_single_use(sandbox, gateway):
    code = hook(sandbox, "login-codes")["code"]
    gateway.code_to_session(code)
    with pytest.raises(InvalidCode) as caught:
        gateway.code_to_session(code)
    assert (caught.value.errcode, caught.value.status, caught.value.code) == (40163, 401, "invalid_code")


@pytest.mark.parametrize("code", ["never-minted", ""])
def test_unknown_or_empty_code_is_invalid(gateway, code):
    with pytest.raises(InvalidCode):
        gateway.code_to_session(code)


@pytest.mark.parametrize("errcode, error, status, api_code", [
    (45011, WeChatRateLimited, 429, "wechat_rate_limited"),
    (40226, RiskyUser, 403, "wechat_risky_user"),
    (-1, WeChatUnavailable, 503, "wechat_unavailable"),
])
def test_forced_login_errors_map_to_our_errors(sandbox, gateway, errcode, error, status, api_code):
    code = hook(sandbox, "login-codes", force_errcode=errcode)["code"]
    with pytest.raises(error) as caught:
        gateway.code_to_session(code)
    assert (caught.value.errcode, caught.value.status, caught.value.code) == (errcode, status, api_code)


def test_wrong_secret_is_a_generic_wechat_error(sandbox):
    gateway = WeChatGateway(SANDBOX_APPID, "not-the-secret", sandbox.url, timeout=2)
    with pytest.raises(WeChatError) as caught:
        gateway.code_to_session(hook(sandbox, "login-codes")["code"])
    assert type(caught.value) is WeChatError
    assert (caught.value.errcode, caught.value.status, caught.value.code) == (40125, 502, "wechat_error")
    with pytest.raises(WeChatError) as caught:  # the token fetch fails the same way
        gateway.phone_number("any")
    assert caught.value.errcode == 40125


@pytest.mark.parametrize("errcode, error, status, api_code", [
    (40029, InvalidCode, 401, "invalid_code"),
    (40163, InvalidCode, 401, "invalid_code"),
    (45011, WeChatRateLimited, 429, "wechat_rate_limited"),
    (40226, RiskyUser, 403, "wechat_risky_user"),
    (-1, WeChatUnavailable, 503, "wechat_unavailable"),
    ("-1", WeChatUnavailable, 503, "wechat_unavailable"),
    (40013, WeChatError, 502, "wechat_error"),
    ("garbage", WeChatUnavailable, 503, "wechat_unavailable"),
])
def test_error_for_errcode_is_the_mapping(errcode, error, status, api_code):
    err = error_for_errcode(errcode, "msg")
    assert type(err) is error
    assert (err.status, err.code) == (status, api_code)
    assert err.message and str(err) == err.message


# --- transport failures -------------------------------------------------------

def test_slow_wechat_times_out_quickly(sandbox):
    gateway = WeChatGateway(SANDBOX_APPID, SANDBOX_SECRET, sandbox.url, timeout=0.5)
    code = hook(sandbox, "login-codes", delay_seconds=2)["code"]
    started = time.monotonic()
    with pytest.raises(WeChatUnavailable):
        gateway.code_to_session(code)
    assert time.monotonic() - started < 1.5


def test_token_fetch_has_a_timeout_too():
    # A socket that listens but never answers: wechatpy's own token fetch would hang.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        gateway = WeChatGateway(SANDBOX_APPID, SANDBOX_SECRET, base, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(WeChatUnavailable):
            gateway.phone_number("code")
        assert time.monotonic() - started < 2


def test_unreachable_base_url_is_unavailable():
    gateway = WeChatGateway(SANDBOX_APPID, SANDBOX_SECRET, f"http://127.0.0.1:{free_port()}", 1)
    with pytest.raises(WeChatUnavailable):
        gateway.code_to_session("code")
    with pytest.raises(WeChatUnavailable):
        gateway.send_subscribe_message("openid", "tpl", {"thing1": "x"})


@pytest.mark.parametrize("status, body, error", [
    ("502 Bad Gateway", b"<html>upstream down</html>", WeChatUnavailable),
    ("200 OK", b"<html>captive portal</html>", WeChatUnavailable),
    ("404 Not Found", b"not here", WeChatError),
])
def test_broken_answers(status, body, error):
    with canned_server(status, body) as base:
        gateway = WeChatGateway(SANDBOX_APPID, SANDBOX_SECRET, base, timeout=2)
        with pytest.raises(error) as caught:
            gateway.code_to_session("code")
    assert type(caught.value) is error


# --- access token ------------------------------------------------------------

def test_token_is_fetched_through_the_base_url_and_cached(sandbox, gateway):
    openid = hook(sandbox, "login-codes")["openid"]
    for _ in range(3):
        gateway.send_subscribe_message(openid, "tpl", {"thing1": "hello"})
    gateway.wxa_code_unlimited("c=1")
    assert fetches(sandbox) == 1


def test_token_is_shared_between_workers_through_redis_storage(sandbox):
    redis = FakeRedis()
    workers = [WeChatGateway(SANDBOX_APPID, SANDBOX_SECRET, sandbox.url, 2,
                             token_storage=RedisStorage(redis, prefix="xiaoge")) for _ in range(3)]
    for worker in workers:
        worker.wxa_code_unlimited("c=1")
    assert fetches(sandbox) == 1
    assert any(key.startswith("xiaoge:") for key in redis.data)


def test_expired_token_is_refetched_and_the_call_retried(sandbox, gateway):
    openid = hook(sandbox, "login-codes")["openid"]
    gateway.send_subscribe_message(openid, "tpl", {"thing1": "one"})
    hook(sandbox, "expire-token")
    gateway.send_subscribe_message(openid, "tpl", {"thing1": "two"})
    assert fetches(sandbox) == 2
    assert [m["data"]["thing1"]["value"] for m in sandbox.state.sent_messages()] == ["one", "two"]


def test_token_retry_is_bounded(sandbox, gateway, monkeypatch):
    monkeypatch.setattr(sandbox.state, "token_valid", lambda token: False)
    with pytest.raises(WeChatError) as caught:
        gateway.wxa_code_unlimited("c=1")
    assert caught.value.errcode == 40001
    assert fetches(sandbox) == 2  # the first fetch and one refetch, then it gives up


def test_every_wechatpy_url_is_moved_under_the_base(gateway, sandbox):
    client = gateway.client
    assert client._resolve("https://api.weixin.qq.com/cgi-bin/token", None) == \
        f"{sandbox.url}/cgi-bin/token"
    assert client._resolve("menu/get", None) == f"{sandbox.url}/cgi-bin/menu/get"
    assert client._resolve("https://example.com/x", None) == "https://example.com/x"


def test_shared_memory_storage_is_accepted(sandbox):
    storage = MemoryStorage()
    for _ in range(2):
        WeChatGateway(SANDBOX_APPID, SANDBOX_SECRET, sandbox.url, 2,
                      token_storage=storage).wxa_code_unlimited("c=1")
    assert fetches(sandbox) == 1


# --- phone, codes, messages ----------------------------------------------------

def test_phone_number(sandbox, gateway):
    openid = hook(sandbox, "login-codes")["openid"]
    code = hook(sandbox, "phone-codes", openid=openid, phone="13800000000")["code"]
    assert gateway.phone_number(code) == "13800000000"
    with pytest.raises(InvalidCode):
        gateway.phone_number(code)
    with pytest.raises(InvalidCode):
        gateway.phone_number("")


def test_wxa_code_is_a_png_of_the_asked_width(gateway):
    png = gateway.wxa_code_unlimited("c=abc123", page="pages/store/index", width=300)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png[16:24]) == (300, 300)  # IHDR width and height


def test_wxa_code_errors_come_back_as_errors(gateway):
    with pytest.raises(WeChatError) as caught:
        gateway.wxa_code_unlimited("x" * 33)
    assert caught.value.errcode == 40169
    with pytest.raises(WeChatError) as caught:
        gateway.wxa_code_unlimited("c=1", page="/pages/store/index")
    assert caught.value.errcode == 41030


def test_subscribe_message_is_recorded(sandbox, gateway):
    openid = hook(sandbox, "login-codes")["openid"]
    gateway.send_subscribe_message(openid, "tpl-pickup", {"thing1": {"value": "牛奶"},
                                                          "character_string2": "A1B2"},
                                   page="pages/orders/index")
    [message] = requests.get(f"{sandbox.url}/sandbox/messages", timeout=5).json()["messages"]
    assert message["touser"] == openid
    assert message["template_id"] == "tpl-pickup"
    assert message["page"] == "pages/orders/index"
    assert message["data"] == {"thing1": {"value": "牛奶"}, "character_string2": {"value": "A1B2"}}


def test_subscribe_message_to_unknown_user_fails(gateway):
    with pytest.raises(WeChatError) as caught:
        gateway.send_subscribe_message("o_nobody", "tpl", {"thing1": "x"})
    assert caught.value.errcode == 40003


def test_the_proxy_for_the_api_base_is_read_from_the_environment_once(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://egress.internal:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    proxied = WeChatGateway(SANDBOX_APPID, SANDBOX_SECRET, "https://api.weixin.qq.com", timeout=2)
    direct = WeChatGateway(SANDBOX_APPID, SANDBOX_SECRET, "http://127.0.0.1:9", timeout=2)
    monkeypatch.setenv("HTTPS_PROXY", "http://changed.internal:3128")  # read at construction, not per call

    assert proxied.client._http.proxies["https"] == "http://egress.internal:3128"
    assert "http" not in direct.client._http.proxies  # NO_PROXY: straight to 127.0.0.1
    assert not proxied.client._http.trust_env
