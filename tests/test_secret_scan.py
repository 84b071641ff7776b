"""The suite-wide secret scan (tests/secret_scan.py) catches a secret in a log line, and answers
carry none (session_key, password hashes, the app's and WeChat's secrets)."""
from __future__ import annotations

import logging

import pytest

from app.extensions import db
from app.models import Courier
from tests.secret_scan import SCAN

log = logging.getLogger("app.test_secret_scan")


@pytest.fixture
def leaks_kept_apart():
    """The leaks this test makes on purpose are its own, not the suite's."""
    before = len(SCAN.leaks)
    yield lambda: SCAN.leaks[before:]
    del SCAN.leaks[before:]


@pytest.mark.one_database
def test_an_issued_token_a_session_key_and_a_hash_in_a_log_line_are_caught(make, sandbox, leaks_kept_apart):
    _, headers = make.shopper(openid="scan-me")
    token = headers["Authorization"].removeprefix("Bearer ")
    session_key = sandbox.state.session_key("scan-me")
    courier = make.courier()

    log.info("signed in with %s", token)
    log.warning("key %s", session_key)
    log.error("hash was %s", db.session.get(Courier, courier.id).password_hash)
    log.info("nothing to see: %s", "eyJub3QiOiJpc3N1ZWQifQ.aaaa.bbbbbbbbbbbbbbbbbbbb")

    caught = leaks_kept_apart()
    assert len(caught) == 3, caught
    assert token in caught[0] and session_key in caught[1] and "$argon2" in caught[2]


@pytest.mark.one_database
def test_wechat_pay_keys_in_a_log_line_are_caught(pay_keys, leaks_kept_apart):
    log.info("decrypting with %s", pay_keys.apiv3_key)
    log.error("loaded %s", pay_keys.merchant_private_key_path.read_text()[:80])
    log.info("nothing to see: %s", pay_keys.public_key_id)  # an id, not a secret

    caught = leaks_kept_apart()
    assert len(caught) == 2, caught
    assert pay_keys.apiv3_key in caught[0] and "PRIVATE KEY-----" in caught[1]


def test_no_answer_of_a_sign_in_or_profile_carries_the_session_key(client, make, sandbox):
    shopper_id, headers = make.shopper(openid="quiet-one")
    session_key = sandbox.state.session_key("quiet-one")
    answers = [client.get(path, headers=headers) for path in ("/api/v1/me/addresses", "/api/v1/me/coupons",
                                                              "/api/v1/me/orders", "/api/v1/me/wins")]
    code, _ = sandbox.state.mint_login_code("quiet-one")
    answers.append(client.post("/api/v1/auth/wechat", json={"code": code}))
    new_key = sandbox.state.session_key("quiet-one")
    for answer in answers:
        text = answer.get_data(as_text=True)
        assert answer.status_code < 300, text
        assert session_key not in text and new_key not in text and "$argon2" not in text
