"""Shopper sign-in through WeChat (code2session), profile from encrypted user info, phone by code."""
from __future__ import annotations

import base64
import json
import os
import time

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from app.extensions import db
from app.models import Shopper
from tests.assertions import assert_error
from tests.concurrency import at_once
from tests.factories import bearer
from wechat.crypto import encrypt_user_data
from wechat.sandbox import SANDBOX_APPID

LOGIN = "/api/v1/auth/wechat"


def login(client, code):
    return client.post(LOGIN, json={"code": code})


def stored_session_key(shopper_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Shopper, shopper_id).session_key


# --- login -------------------------------------------------------------------------------


def test_login_answers_token_and_shopper(client, sandbox):
    code, openid = sandbox.state.mint_login_code("openid-login-body")
    answer = login(client, code)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert set(body) == {"token", "expires_in", "shopper"}
    assert isinstance(body["token"], str) and body["token"]
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert set(body["shopper"]) == {"id", "nickname", "avatar_url", "has_phone"}
    assert body["shopper"]["has_phone"] is False
    shopper = db.session.get(Shopper, body["shopper"]["id"])
    assert shopper.openid == openid


def test_login_token_opens_shopper_endpoints(client, sandbox):
    code, _ = sandbox.state.mint_login_code()
    token = login(client, code).get_json()["token"]
    answer = client.get("/api/v1/me/addresses", headers=bearer(token))
    assert answer.status_code == 200
    assert answer.get_json() == {"addresses": []}


def test_same_openid_logs_in_as_the_same_shopper(client, sandbox):
    first = login(client, sandbox.state.mint_login_code("openid-same")[0]).get_json()
    second = login(client, sandbox.state.mint_login_code("openid-same")[0]).get_json()
    assert first["shopper"]["id"] == second["shopper"]["id"]
    assert db.session.query(Shopper).filter_by(openid="openid-same").count() == 1


def test_concurrent_first_logins_of_one_person_make_one_shopper(app, sandbox, backend):
    codes = [sandbox.state.mint_login_code("openid-racing")[0] for _ in range(6)]
    results = at_once(app, [lambda client, code=code: login(client, code) for code in codes])
    assert [status for status, _ in results] == [200] * 6, results
    assert len({body["shopper"]["id"] for _, body in results}) == 1
    db.session.expire_all()
    assert db.session.query(Shopper).filter_by(openid="openid-racing").count() == 1


def test_session_key_never_appears_in_any_response_body(client, sandbox):
    code, openid = sandbox.state.mint_login_code("openid-secret")
    login_answer = login(client, code)
    key = sandbox.state.session_key(openid)
    headers = bearer(login_answer.get_json()["token"])
    info = sandbox.app.test_client().post("/sandbox/user-info", json={"openid": openid, "nickname": "小明"})
    phone_code = sandbox.state.mint_phone_code(openid, "13800138000")
    answers = [
        login_answer,
        client.post("/api/v1/me/profile", json=info.get_json(), headers=headers),
        client.post("/api/v1/me/phone", json={"code": phone_code}, headers=headers),
        client.get("/api/v1/me/addresses", headers=headers),
        login(client, "used-or-unknown-code"),
    ]
    for answer in answers:
        text = answer.get_data(as_text=True)
        assert key not in text
        assert "session_key" not in text
    assert stored_session_key(login_answer.get_json()["shopper"]["id"]) == key


def test_every_login_replaces_the_stored_session_key(client, sandbox):
    code, openid = sandbox.state.mint_login_code("openid-rotate")
    shopper_id = login(client, code).get_json()["shopper"]["id"]
    first_key = stored_session_key(shopper_id)
    assert first_key == sandbox.state.session_key(openid)

    code, _ = sandbox.state.mint_login_code(openid)
    assert login(client, code).status_code == 200
    second_key = stored_session_key(shopper_id)
    assert second_key == sandbox.state.session_key(openid)
    assert second_key != first_key


def test_a_login_code_works_only_once(client, sandbox):
    code, _ = sandbox.state.mint_login_code()
    assert login(client, code).status_code == 200
    assert_error(login(client, code), 401, "invalid_code")


@pytest.mark.one_database
def test_unknown_login_code_is_invalid_code(client):
    assert_error(login(client, "never-minted"), 401, "invalid_code")


@pytest.mark.parametrize("errcode, status, code", [
    (40029, 401, "invalid_code"),
    (40163, 401, "invalid_code"),
    (45011, 429, "wechat_rate_limited"),
    (40226, 403, "wechat_risky_user"),
    (-1, 503, "wechat_unavailable"),
])
@pytest.mark.one_database
def test_wechat_errcodes_map_to_api_errors(client, sandbox, errcode, status, code):
    login_code, _ = sandbox.state.mint_login_code(force_errcode=errcode)
    assert_error(login(client, login_code), status, code)
    assert db.session.query(Shopper).count() == 0


@pytest.mark.one_database
@pytest.mark.slow  # the 2 s timeout, for real
def test_slow_wechat_times_out_as_unavailable(app, client, sandbox):
    assert app.config["WECHAT_TIMEOUT_SECONDS"] == 2.0
    code, _ = sandbox.state.mint_login_code(delay=3.0)
    started = time.monotonic()
    answer = login(client, code)
    elapsed = time.monotonic() - started
    assert_error(answer, 503, "wechat_unavailable")
    assert elapsed < 2.9, "the app waited for WeChat longer than its timeout"


# --- profile -----------------------------------------------------------------------------


def signed_in(client, sandbox, openid):
    code, _ = sandbox.state.mint_login_code(openid)
    body = login(client, code).get_json()
    return body["shopper"]["id"], bearer(body["token"])


def user_info(sandbox, openid, **fields):
    answer = sandbox.app.test_client().post("/sandbox/user-info", json={"openid": openid, **fields})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_profile_decrypts_nickname_and_avatar(client, sandbox):
    shopper_id, headers = signed_in(client, sandbox, "openid-profile")
    data = user_info(sandbox, "openid-profile", nickname="小明", avatar_url="https://img.test/a.png")
    answer = client.post("/api/v1/me/profile", json=data, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"shopper": {"id": shopper_id, "nickname": "小明",
                                             "avatar_url": "https://img.test/a.png", "has_phone": False}}
    db.session.expire_all()
    assert db.session.get(Shopper, shopper_id).nickname == "小明"


def flip_last_byte_of_second_last_block(encrypted_b64: str) -> str:
    raw = bytearray(base64.b64decode(encrypted_b64))
    raw[-17] ^= 0x01  # CBC: corrupts the padding of the last block
    return base64.b64encode(bytes(raw)).decode("ascii")


def test_tampered_profile_data_is_decrypt_failed(client, sandbox):
    _, headers = signed_in(client, sandbox, "openid-tamper")
    data = user_info(sandbox, "openid-tamper", nickname="小明")
    tampered = {**data, "encrypted_data": flip_last_byte_of_second_last_block(data["encrypted_data"])}
    assert_error(client.post("/api/v1/me/profile", json=tampered, headers=headers), 400, "decrypt_failed")


@pytest.mark.parametrize("field, value", [
    ("encrypted_data", "not base64 at all!"),
    ("encrypted_data", base64.b64encode(b"short").decode()),
    ("iv", base64.b64encode(b"eight by").decode()),
])
def test_malformed_profile_data_is_decrypt_failed(client, sandbox, field, value):
    _, headers = signed_in(client, sandbox, "openid-malformed")
    data = {**user_info(sandbox, "openid-malformed", nickname="小明"), field: value}
    assert_error(client.post("/api/v1/me/profile", json=data, headers=headers), 400, "decrypt_failed")


def test_profile_encrypted_for_another_appid_is_decrypt_failed(client, sandbox):
    _, headers = signed_in(client, sandbox, "openid-other-app")
    key = sandbox.state.session_key("openid-other-app")
    encrypted, iv = encrypt_user_data(key, {"nickName": "冒名", "avatarUrl": ""}, "wx_someone_else")
    answer = client.post("/api/v1/me/profile", json={"encrypted_data": encrypted, "iv": iv}, headers=headers)
    assert_error(answer, 400, "decrypt_failed")


def test_profile_encrypted_with_an_old_session_key_is_decrypt_failed(client, sandbox):
    _, headers = signed_in(client, sandbox, "openid-stale-key")
    stale = user_info(sandbox, "openid-stale-key", nickname="旧的")
    _, headers = signed_in(client, sandbox, "openid-stale-key")
    assert_error(client.post("/api/v1/me/profile", json=stale, headers=headers), 400, "decrypt_failed")


def test_profile_with_our_appid_but_no_watermark_is_decrypt_failed(client, sandbox):
    _, headers = signed_in(client, sandbox, "openid-no-watermark")
    key = sandbox.state.session_key("openid-no-watermark")
    encrypted, iv = encrypt_user_data(key, {"nickName": "x", "watermark": None}, SANDBOX_APPID)
    answer = client.post("/api/v1/me/profile", json={"encrypted_data": encrypted, "iv": iv}, headers=headers)
    assert_error(answer, 400, "decrypt_failed")


def encrypted_with(key_b64: str, plain: bytes) -> dict:
    """`plain` (any bytes, not only JSON) encrypted with the shopper's key and good padding."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(base64.b64decode(key_b64)), modes.CBC(iv)).encryptor()
    cipher_text = encryptor.update(padded) + encryptor.finalize()
    return {"encrypted_data": base64.b64encode(cipher_text).decode(), "iv": base64.b64encode(iv).decode()}


def test_every_kind_of_undecryptable_profile_gets_the_same_answer_byte_for_byte(client, sandbox):
    """No padding oracle: bad padding, not JSON and every other failure answer identically."""
    _, headers = signed_in(client, sandbox, "openid-oracle")
    key = sandbox.state.session_key("openid-oracle")
    good = user_info(sandbox, "openid-oracle", nickname="小明")
    other_app = dict(zip(("encrypted_data", "iv"), encrypt_user_data(key, {"nickName": "x"}, "wx_other")))
    bodies = {
        "bad padding": {**good,
                        "encrypted_data": flip_last_byte_of_second_last_block(good["encrypted_data"])},
        "not JSON": encrypted_with(key, b"this is no JSON"),
        "not UTF-8": encrypted_with(key, b"\xff\xfe\xfd"),
        "not an object": encrypted_with(key, b"[1, 2]"),
        "another appid": other_app,
        "no watermark": encrypted_with(key, json.dumps({"nickName": "x"}).encode()),
        "bad base64": {**good, "encrypted_data": "not base64 at all!"},
        "not whole blocks": {**good, "encrypted_data": base64.b64encode(b"short").decode()},
        "short iv": {**good, "iv": base64.b64encode(b"eight by").decode()},
    }
    answers = {kind: client.post("/api/v1/me/profile", json=body, headers=headers)
               for kind, body in bodies.items()}

    for answer in answers.values():
        assert_error(answer, 400, "decrypt_failed")
    assert len({answer.get_data() for answer in answers.values()}) == 1, {
        kind: answer.get_json()["error"]["message"] for kind, answer in answers.items()}


def profile_with(client, sandbox, headers, openid, **fields):
    answer = client.post("/api/v1/me/profile", json=user_info(sandbox, openid, **fields), headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["shopper"]


@pytest.mark.parametrize("avatar", [
    "http://img.test/a.png", "javascript:alert(1)", "data:image/png;base64,AAAA", "//img.test/a.png",
    "https://", "https:///a.png", "/web-static/a.png", "https://img.test/" + "a" * 500,
    "https://img.test/a b.png",
    "https://[::1/a.png", 12, ["https://img.test/a.png"],
])
def test_only_an_https_avatar_replaces_the_previous_one(client, sandbox, avatar):
    shopper_id, headers = signed_in(client, sandbox, "openid-avatar")
    profile_with(client, sandbox, headers, "openid-avatar", avatar_url="https://img.test/ok.png")

    shopper = profile_with(client, sandbox, headers, "openid-avatar", avatar_url=avatar)

    assert shopper["avatar_url"] == "https://img.test/ok.png"
    db.session.expire_all()
    assert db.session.get(Shopper, shopper_id).avatar_url == "https://img.test/ok.png"


def test_a_first_avatar_that_is_not_https_is_not_stored(client, sandbox):
    shopper_id, headers = signed_in(client, sandbox, "openid-no-avatar")

    shopper = profile_with(client, sandbox, headers, "openid-no-avatar", avatar_url="http://x/a.png")

    assert shopper["avatar_url"] is None


def test_a_nickname_that_is_not_text_leaves_the_previous_one(client, sandbox):
    _, headers = signed_in(client, sandbox, "openid-nick")
    profile_with(client, sandbox, headers, "openid-nick", nickname="小明")

    assert profile_with(client, sandbox, headers, "openid-nick", nickname=12)["nickname"] == "小明"


# --- phone -------------------------------------------------------------------------------


def test_phone_by_code_is_answered_masked_and_sets_has_phone(client, sandbox):
    shopper_id, headers = signed_in(client, sandbox, "openid-phone")
    phone_code = sandbox.state.mint_phone_code("openid-phone", "13800138000")
    answer = client.post("/api/v1/me/phone", json={"code": phone_code}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"phone": "138****8000"}
    assert "13800138000" not in json.dumps(answer.get_json())
    again = login(client, sandbox.state.mint_login_code("openid-phone")[0]).get_json()
    assert again["shopper"]["has_phone"] is True
    db.session.expire_all()
    assert db.session.get(Shopper, shopper_id).phone == "13800138000"


def test_phone_code_works_only_once(client, sandbox):
    _, headers = signed_in(client, sandbox, "openid-phone-once")
    phone_code = sandbox.state.mint_phone_code("openid-phone-once", "13900139000")
    assert client.post("/api/v1/me/phone", json={"code": phone_code}, headers=headers).status_code == 200
    again = client.post("/api/v1/me/phone", json={"code": phone_code}, headers=headers)
    assert_error(again, 401, "invalid_code")
