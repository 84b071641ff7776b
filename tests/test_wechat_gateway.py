"""The WeChat gateway (real wechatpy over real HTTP, against the sandbox) and the crypto."""

import base64
import contextlib
import json
import socket
import struct
import threading
import time

import pytest
import requests
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from werkzeug.serving import make_server
from wechatpy.crypto import WeChatWxaCrypto
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from wechat import (DecryptFailed, InvalidCode, RiskyUser, WeChatError, WeChatGateway,
                    WeChatRateLimited, WeChatUnavailable, decrypt_user_data,
                    encrypt_user_data, error_for_errcode)
from wechat.sandbox import SANDBOX_APPID, SANDBOX_SECRET, start_sandbox

# WeChat's published sample for 开放数据校验与解密 (the "Band" user).
OFFICIAL_APPID = "wx4f4bc4dec97d474b"
OFFICIAL_SESSION_KEY = "tiihtNczf5v6AKRyjwEUhQ=="
OFFICIAL_IV = "r7BXXKkLb8qrSNn05n0qiA=="
OFFICIAL_ENCRYPTED = (
    "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC"
    "+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poO"
    "FtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8"
    "xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB"
    "6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJd"
    "NiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOy"
    "uxINew=="
)


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


# --- crypto ------------------------------------------------------------------

def test_official_sample_vector_decrypts():
    data = decrypt_user_data(OFFICIAL_SESSION_KEY, OFFICIAL_ENCRYPTED, OFFICIAL_IV, OFFICIAL_APPID)
    assert data["nickName"] == "Band"
    assert data["openId"] == "oGZUI0egBJY1zhBYw2KhdUfwVJJE"
    assert data["watermark"] == {"timestamp": 1477314187, "appid": OFFICIAL_APPID}


def test_round_trip_and_wechatpy_interop():
    key = base64.b64encode(bytes(range(16))).decode()
    encrypted, iv = encrypt_user_data(key, {"nickName": "小哥", "avatarUrl": "https://a/b"}, "wxapp")
    data = decrypt_user_data(key, encrypted, iv, "wxapp")
    assert data["nickName"] == "小哥" and data["watermark"]["appid"] == "wxapp"
    assert WeChatWxaCrypto(key, iv, "wxapp").decrypt_message(encrypted) == data


def test_vector_made_with_cryptography_primitives():
    key, iv = b"0123456789abcdef", b"fedcba9876543210"
    plain = json.dumps({"nickName": "Indep", "watermark": {"appid": "wxind", "timestamp": 1}})
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    cipher_text = encryptor.update(padded) + encryptor.finalize()
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    assert decrypt_user_data(b64(key), b64(cipher_text), b64(iv), "wxind")["nickName"] == "Indep"


def _flip(b64_text, index):
    """The base64 text with one byte of its decoded form flipped."""
    raw = bytearray(base64.b64decode(b64_text))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("session_key, encrypted, iv, appid", [
    (OFFICIAL_SESSION_KEY, OFFICIAL_ENCRYPTED, OFFICIAL_IV, "wx_someone_else"),
    (OFFICIAL_SESSION_KEY, _flip(OFFICIAL_ENCRYPTED, 3), OFFICIAL_IV, OFFICIAL_APPID),
    (OFFICIAL_SESSION_KEY, _flip(OFFICIAL_ENCRYPTED, -1), OFFICIAL_IV, OFFICIAL_APPID),
    (OFFICIAL_SESSION_KEY, OFFICIAL_ENCRYPTED, _flip(OFFICIAL_IV, 0), OFFICIAL_APPID),
    (_flip(OFFICIAL_SESSION_KEY, 0), OFFICIAL_ENCRYPTED, OFFICIAL_IV, OFFICIAL_APPID),
    (OFFICIAL_SESSION_KEY, OFFICIAL_ENCRYPTED[:-4], OFFICIAL_IV, OFFICIAL_APPID),
    (OFFICIAL_SESSION_KEY, "not base64!", OFFICIAL_IV, OFFICIAL_APPID),
    (OFFICIAL_SESSION_KEY, OFFICIAL_ENCRYPTED, "abc", OFFICIAL_APPID),
    ("c2hvcnQ=", OFFICIAL_ENCRYPTED, OFFICIAL_IV, OFFICIAL_APPID),
    (OFFICIAL_SESSION_KEY, "", OFFICIAL_IV, OFFICIAL_APPID),
    (OFFICIAL_SESSION_KEY, None, OFFICIAL_IV, OFFICIAL_APPID),
], ids=["wrong-appid", "tampered-first-block", "tampered-padding", "wrong-iv", "wrong-key",
        "truncated", "bad-base64", "short-iv", "short-key", "empty", "none"])
def test_bad_encrypted_data_fails_to_decrypt(session_key, encrypted, iv, appid):
    with pytest.raises(DecryptFailed) as caught:
        decrypt_user_data(session_key, encrypted, iv, appid)
    assert (caught.value.status, caught.value.code) == (400, "decrypt_failed")


@pytest.mark.parametrize("payload", [b"not json at all", b"[1, 2]", b'{"nickName": "no watermark"}'])
def test_well_padded_but_wrong_plaintext_fails(payload):
    key, iv = b"k" * 16, b"i" * 16
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    cipher_text = encryptor.update(padder.update(payload) + padder.finalize()) + encryptor.finalize()
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    with pytest.raises(DecryptFailed):
        decrypt_user_data(b64(key), b64(cipher_text), b64(iv), "wxapp")
