"""The WeChat sandbox at the HTTP level, and the open-data crypto it plays the phone with."""

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.crypto import WeChatWxaCrypto

from wechat import DecryptFailed, decrypt_user_data, encrypt_user_data
from wechat.sandbox import SANDBOX_APPID, SANDBOX_SECRET, start_sandbox
from wechat.sandbox.server import _plain_png

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = {"appid": SANDBOX_APPID, "secret": SANDBOX_SECRET}

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
    """A fresh sandbox per test."""
    with start_sandbox() as running:
        yield running


def get(sandbox, path, **params):
    """GET a sandbox path, returning the JSON answer."""
    return requests.get(f"{sandbox.url}{path}", params=params, timeout=5).json()


def post(sandbox, path, body=None, **params):
    """POST JSON to a sandbox path, returning the response."""
    return requests.post(f"{sandbox.url}{path}", json=body or {}, params=params, timeout=5)


def login(sandbox, code):
    """jscode2session as WeChat's servers would be called."""
    return get(sandbox, "/sns/jscode2session", js_code=code,
               grant_type="authorization_code", **CREDENTIALS)


def token(sandbox):
    """A fresh access token."""
    return get(sandbox, "/cgi-bin/token", grant_type="client_credential", **CREDENTIALS)["access_token"]


def test_defaults_are_the_apps_defaults():
    assert (SANDBOX_APPID, SANDBOX_SECRET) == ("wx_sandbox_appid", "sandbox_secret")


@pytest.mark.parametrize("params, errcode", [
    ({"grant_type": "client_credential", "appid": "wx_other", "secret": SANDBOX_SECRET}, 40013),
    ({"grant_type": "client_credential", "appid": SANDBOX_APPID, "secret": "wrong"}, 40125),
    ({"grant_type": "password", **CREDENTIALS}, 40002),
])
def test_token_checks_credentials(sandbox, params, errcode):
    assert get(sandbox, "/cgi-bin/token", **params)["errcode"] == errcode
    assert get(sandbox, "/sandbox/stats")["token_fetches"] == 0


def test_token_is_issued_and_counted(sandbox):
    answer = get(sandbox, "/cgi-bin/token", grant_type="client_credential", **CREDENTIALS)
    assert answer["expires_in"] == 7200 and answer["access_token"]
    assert "errcode" not in answer
    assert get(sandbox, "/sandbox/stats")["token_fetches"] == 1


def test_login_codes_are_single_use(sandbox):
    minted = post(sandbox, "/sandbox/login-codes").json()
    first = login(sandbox, minted["code"])
    assert first["openid"] == minted["openid"] and first["session_key"] and first["unionid"]
    assert login(sandbox, minted["code"])["errcode"] == 40163
    assert login(sandbox, "never-minted")["errcode"] == 40029


def test_login_checks_credentials(sandbox):
    code = post(sandbox, "/sandbox/login-codes").json()["code"]
    answer = get(sandbox, "/sns/jscode2session", js_code=code, appid=SANDBOX_APPID, secret="no")
    assert answer["errcode"] == 40125
    assert "session_key" in login(sandbox, code)  # the refused attempt did not use the code


def test_login_code_for_a_chosen_openid(sandbox):
    minted = post(sandbox, "/sandbox/login-codes", {"openid": "o_demo_shopper"}).json()
    assert minted["openid"] == "o_demo_shopper"
    assert login(sandbox, minted["code"])["openid"] == "o_demo_shopper"


@pytest.mark.parametrize("errcode", [45011, 40226, -1])
def test_forced_errcodes(sandbox, errcode):
    code = post(sandbox, "/sandbox/login-codes", {"force_errcode": errcode}).json()["code"]
    answer = login(sandbox, code)
    assert answer["errcode"] == errcode and answer["errmsg"]


def test_bad_hook_bodies_are_refused(sandbox):
    answer = post(sandbox, "/sandbox/login-codes", {"force_errcode": "soon"})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_request"
    assert post(sandbox, "/sandbox/phone-codes", {"openid": "o_x"}).status_code == 422
    assert post(sandbox, "/sandbox/user-info", {"openid": "o_never"}).status_code == 404


def test_concurrent_redemption_gives_one_session(sandbox):
    code = post(sandbox, "/sandbox/login-codes").json()["code"]
    answers, barrier = [], threading.Barrier(8)

    def redeem():
        barrier.wait()
        answers.append(login(sandbox, code))

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum("session_key" in answer for answer in answers) == 1
    assert sorted(answer.get("errcode", 0) for answer in answers) == [0] + [40163] * 7


@pytest.mark.parametrize("path", ["/wxa/business/getuserphonenumber", "/wxa/getwxacodeunlimit",
                                  "/cgi-bin/message/subscribe/send"])
def test_calls_need_a_live_access_token(sandbox, path):
    assert post(sandbox, path).json()["errcode"] == 40001
    assert post(sandbox, path, access_token="made-up").json()["errcode"] == 40001
    live = token(sandbox)
    assert post(sandbox, "/sandbox/expire-token").json() == {"expired": 1}
    assert post(sandbox, path, access_token=live).json()["errcode"] == 40001


def test_unknown_paths_are_404(sandbox):
    assert requests.get(f"{sandbox.url}/cgi-bin/nothing-here", timeout=5).status_code == 404


def test_user_info_is_encrypted_with_the_current_session_key(sandbox):
    code = post(sandbox, "/sandbox/login-codes").json()["code"]
    session = login(sandbox, code)
    body = {"openid": session["openid"], "nickname": "小王", "avatar_url": "https://img/a.png"}
    info = post(sandbox, "/sandbox/user-info", body).json()
    data = decrypt_user_data(session["session_key"], info["encrypted_data"], info["iv"],
                             SANDBOX_APPID)
    assert (data["nickName"], data["avatarUrl"], data["openId"]) == \
        ("小王", "https://img/a.png", session["openid"])
    with pytest.raises(DecryptFailed):  # made for the sandbox appid, not someone else's
        decrypt_user_data(session["session_key"], info["encrypted_data"], info["iv"], "wx_other")
    # After a new login the old session_key no longer opens new data.
    login(sandbox, post(sandbox, "/sandbox/login-codes", {"openid": session["openid"]}).json()["code"])
    fresh = post(sandbox, "/sandbox/user-info", body).json()
    with pytest.raises(DecryptFailed):
        decrypt_user_data(session["session_key"], fresh["encrypted_data"], fresh["iv"], SANDBOX_APPID)


def test_phone_codes(sandbox):
    code = post(sandbox, "/sandbox/phone-codes", {"openid": "o_p", "phone": "13912345678"}).json()["code"]
    access = token(sandbox)
    answer = post(sandbox, "/wxa/business/getuserphonenumber", {"code": code}, access_token=access)
    info = answer.json()["phone_info"]
    assert info["purePhoneNumber"] == info["phoneNumber"] == "13912345678"
    assert info["watermark"]["appid"] == SANDBOX_APPID
    reused = post(sandbox, "/wxa/business/getuserphonenumber", {"code": code}, access_token=access)
    assert reused.json()["errcode"] == 40163


def test_wxa_code_answers_a_png(sandbox):
    answer = post(sandbox, "/wxa/getwxacodeunlimit", {"scene": "c=1", "width": 280},
                  access_token=token(sandbox))
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_plain_png_fallback_is_a_valid_png():
    png = _plain_png(4)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png.endswith(b"IEND\xaeB`\x82")
    length = int.from_bytes(png[8:12], "big")
    chunk = png[12:12 + 4 + length]
    assert zlib.crc32(chunk).to_bytes(4, "big") == png[16 + length:20 + length]


def test_messages_are_recorded_and_reset_clears(sandbox):
    openid = post(sandbox, "/sandbox/login-codes").json()["openid"]
    access = token(sandbox)
    body = {"touser": openid, "template_id": "tpl", "data": {"thing1": {"value": "到了"}}}
    assert post(sandbox, "/cgi-bin/message/subscribe/send", body, access_token=access).json() == \
        {"errcode": 0, "errmsg": "ok"}
    [message] = get(sandbox, "/sandbox/messages")["messages"]
    assert message["data"] == body["data"] and message["sent_at"] > 0
    assert post(sandbox, "/cgi-bin/message/subscribe/send", {**body, "template_id": ""},
                access_token=access).json()["errcode"] == 40037
    post(sandbox, "/sandbox/reset")
    assert get(sandbox, "/sandbox/messages") == {"messages": []}
    assert get(sandbox, "/sandbox/stats")["token_fetches"] == 0


def test_stop_frees_the_port():
    with start_sandbox() as running:
        url = running.url
        assert get(running, "/sandbox/stats")["users"] == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/sandbox/stats", timeout=2)


def test_runs_standalone_from_the_command_line():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "wechat.sandbox", "--port", str(port),
               "--appid", "wx_cli", "--secret", "cli_secret"]
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert f"http://127.0.0.1:{port}" in process.stdout.readline()
            answer = requests.get(f"http://127.0.0.1:{port}/cgi-bin/token", timeout=5, params={
                "grant_type": "client_credential", "appid": "wx_cli", "secret": "cli_secret"})
            assert answer.json()["expires_in"] == 7200
        finally:
            process.terminate()
            process.wait(timeout=10)


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
