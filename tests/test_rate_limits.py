"""Sign-ins are rate limited per client address and per account (normalised as the sign-in looks
it up), WeChat logins per client address; the error has API.md's shape; a limiter's Redis out of
reach degrades to each worker's memory, never to a 503."""
from __future__ import annotations

import logging
import uuid

import pytest
import redis

from app import create_app, rate_limits
from app.extensions import db
from tests.assertions import assert_error
from tests.conftest import TEST_REDIS_URL, app_config
from tests.console_web import StaffBrowser

COURIER_AUTH, CONSOLE_AUTH = "/api/v1/courier/auth", "/api/v1/console/auth"
WECHAT_LOGIN = "/api/v1/auth/wechat"


# Per-address limits tighter than production's (which leave room for carrier NAT), so a test
# reaches them in a few dozen requests.
TEST_ADDRESS_LIMITS = {"SIGN_IN_LIMIT_PER_ADDRESS": "30 per minute;300 per hour",
                       "WECHAT_LOGIN_LIMIT_PER_ADDRESS": "20 per minute;200 per hour"}


def limited_app(database_url, sandbox, **config):
    """An app like the test app but with rate limits on (fresh in-memory counts unless told)."""
    return create_app({**app_config(database_url, sandbox.url), "RATELIMIT_ENABLED": True,
                       **TEST_ADDRESS_LIMITS, **config})


def dispose(app) -> None:
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def limited_client(app, database_url, sandbox):
    limited = limited_app(database_url, sandbox)
    yield limited.test_client()
    dispose(limited)


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def courier_sign_in(client, employee_no, password="wrong-password", **kw):
    return client.post(COURIER_AUTH, json={"employee_no": employee_no, "password": password}, **kw)


def committed_courier(make) -> tuple[int, str]:
    """A courier's (id, employee_no), the session's transaction ended: on SQLite it holds the write lock."""
    courier = make.courier()
    known = courier.id, courier.employee_no
    db.session.commit()
    return known


def test_guessing_a_staff_password_is_stopped_with_429(limited_client):
    client = limited_client
    answers = [client.post(CONSOLE_AUTH, json={"username": "admin", "password": f"guess{n}"})
               for n in range(11)]

    assert [a.status_code for a in answers[:10]] == [401] * 10
    assert answers[10].status_code == 429
    assert answers[10].get_json()["error"]["code"] == "rate_limited"


def test_the_limit_is_per_account_so_a_colleague_can_still_sign_in(limited_client, make):
    _, employee_no = committed_courier(make)
    for n in range(11):
        courier_sign_in(limited_client, "E-someone-else", f"x{n}")

    answer = courier_sign_in(limited_client, employee_no, "courier-pass")

    assert answer.status_code == 200


def spellings(name: str) -> list[str]:
    """Ways to type one account name that the sign-in reads as that name."""
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)
    return [name, f" {name}", f"{name} ", f"\t{name}\n", f"\u3000{name}", full_width]


def test_blanks_and_full_width_spellings_of_an_account_share_its_limit(limited_client, make):
    _, employee_no = committed_courier(make)
    tries = (spellings(employee_no) * 2)[:10]
    assert [courier_sign_in(limited_client, name).status_code for name in tries] == [401] * 10

    answer = courier_sign_in(limited_client, f"  {employee_no}  ", "courier-pass")

    assert_error(answer, 429, "rate_limited")


def test_the_right_password_after_the_limit_is_still_refused(limited_client, make):
    _, employee_no = committed_courier(make)
    for name in (spellings(employee_no) * 2)[:10]:
        courier_sign_in(limited_client, name)

    answer = courier_sign_in(limited_client, employee_no, "courier-pass")

    assert answer.status_code == 429


def test_a_full_width_employee_number_signs_in_as_the_courier(client, make):
    """The lookup reads the name as the limit keys it (one function): what a Chinese keyboard types."""
    courier_id, employee_no = committed_courier(make)

    answer = courier_sign_in(client, spellings(employee_no)[-1], "courier-pass")

    assert answer.status_code == 200 and answer.get_json()["courier"]["id"] == courier_id


def test_console_page_spellings_of_a_username_share_the_json_sign_ins_limit(app, limited_client, make):
    username = make.staff_member("ops").username
    db.session.commit()
    browser = StaffBrowser(limited_client)
    for name in spellings(username)[:5]:
        assert browser.post("/console/login", {"username": name, "password": "wrong"}).status_code == 422
    for _ in range(5):
        answer = limited_client.post(CONSOLE_AUTH, json={"username": username, "password": "x"})
        assert answer.status_code == 401

    page = browser.post("/console/login", {"username": f" {username} ", "password": "staff-password"})

    assert page.status_code == 429


def test_many_accounts_tried_from_one_address_hit_the_address_limit(limited_client):
    answers = [courier_sign_in(limited_client, f"E-random-{n}", **from_address("203.0.113.5"))
               for n in range(15)]
    answers += [limited_client.post(CONSOLE_AUTH, json={"username": f"user{n}", "password": "x"},
                                    **from_address("203.0.113.5")) for n in range(15)]
    assert [a.status_code for a in answers] == [401] * 30

    over = courier_sign_in(limited_client, "E-random-31", **from_address("203.0.113.5"))
    elsewhere = courier_sign_in(limited_client, "E-random-32", **from_address("198.51.100.7"))

    assert_error(over, 429, "rate_limited")
    assert elsewhere.status_code == 401


def test_the_account_limit_holds_across_addresses(limited_client, make):
    _, employee_no = committed_courier(make)
    addresses = [f"198.51.100.{n}" for n in range(10)]
    assert [courier_sign_in(limited_client, employee_no, **from_address(a)).status_code
            for a in addresses] == [401] * 10

    answer = courier_sign_in(limited_client, employee_no, "courier-pass", **from_address("203.0.113.99"))

    assert_error(answer, 429, "rate_limited")


def test_behind_a_proxy_the_limit_keys_on_the_forwarded_client_address(app, database_url, sandbox):
    proxied = limited_app(database_url, sandbox, PROXY_HOPS=1)
    client = proxied.test_client()

    def sign_in(address, n):
        return client.post(CONSOLE_AUTH, json={"username": f"someone{n}", "password": "guess"},
                           headers={"X-Forwarded-For": address}).status_code

    assert [sign_in("203.0.113.7", n) for n in range(31)][-1] == 429
    assert sign_in("198.51.100.9", 99) == 401  # another client behind the same nginx is not blocked
    dispose(proxied)


def test_a_limited_answer_says_when_to_try_again(limited_client):
    for n in range(10):
        courier_sign_in(limited_client, "E-guess", f"x{n}")

    answer = courier_sign_in(limited_client, "E-guess", "x")

    assert answer.status_code == 429
    wait = answer.get_json()["error"]["retry_after_seconds"]
    assert 1 <= wait <= 60 and answer.headers["Retry-After"] == str(wait)


def test_limits_are_settings(app, database_url, sandbox):
    strict = limited_app(database_url, sandbox, SIGN_IN_LIMIT_PER_ACCOUNT="2 per minute",
                         WECHAT_LOGIN_LIMIT_PER_ADDRESS="1 per minute")
    client = strict.test_client()

    assert [courier_sign_in(client, "E-set").status_code for _ in range(3)] == [401, 401, 429]
    assert [client.post(WECHAT_LOGIN, json={"code": "bogus"}).status_code for _ in range(2)] == [401, 429]
    dispose(strict)


class CountingStorage:
    """A limits storage that notes every call made to it."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def __getattr__(self, name):
        found = getattr(self.inner, name)
        if not callable(found):
            return found

        def call(*args, **kwargs):
            self.calls.append(name)
            return found(*args, **kwargs)
        return call


def test_no_per_request_hook_only_the_sign_in_views_count(limited_client):
    """Nothing rate-limit related runs before a request; only a sign-in POST touches the counts."""
    app = limited_client.application
    hooks = [f for funcs in app.before_request_funcs.values() for f in funcs]
    assert not [f for f in hooks if "limit" in f"{f.__module__}.{f.__qualname__}".lower()]
    limiter = app.extensions[rate_limits.EXTENSION].limiter.shared
    limiter.storage = storage = CountingStorage(limiter.storage)

    assert limited_client.get("/api/v1/healthz").status_code == 200
    limited_client.post("/api/v1/shake-rounds/1/shakes", json={"shake_id": "0" * 32})
    assert limited_client.get("/console/login").status_code == 200  # the form, not a sign-in
    assert storage.calls == []

    limited_client.post(CONSOLE_AUTH, json={"username": "admin", "password": "guess"})
    assert storage.calls  # the spy is wired: a sign-in is counted


def test_each_app_counts_in_its_own_storage(limited_client, database_url, sandbox):
    for n in range(11):
        limited_client.post(CONSOLE_AUTH, json={"username": "admin", "password": f"guess{n}"})
    other = limited_app(database_url, sandbox)

    answer = other.test_client().post(CONSOLE_AUTH, json={"username": "admin", "password": "guess"})

    assert answer.status_code == 401
    ours = limited_client.application.extensions[rate_limits.EXTENSION]
    assert other.extensions[rate_limits.EXTENSION] is not ours
    dispose(other)


def test_counts_in_redis_are_under_the_redis_key_prefix(app, database_url, sandbox):
    prefix = f"test:{uuid.uuid4().hex}:"
    shared = limited_app(database_url, sandbox, RATELIMIT_STORAGE_URI=TEST_REDIS_URL, REDIS_KEY_PREFIX=prefix)
    store = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        courier_sign_in(shared.test_client(), "E-prefixed")
        courier_sign_in(shared.test_client(), "E-prefixed")
        shared.test_client().post(WECHAT_LOGIN, json={"code": "bogus"})

        keys = [key.decode() for key in store.scan_iter(match=f"*{prefix}*")]
        assert {key.split(prefix)[1].split("/")[0] for key in keys} == {"sign-in", "wechat-login"}
        assert len(keys) == 6  # address and account for sign-ins, address for WeChat; minute and hour each
    finally:
        for key in store.scan_iter(match=f"*{prefix}*"):
            store.delete(key)
        store.close()
        dispose(shared)


# --- WeChat logins ---------------------------------------------------------------------------


def session_calls(sandbox) -> int:
    return sandbox.state.stats()["session_calls"]


def test_bogus_wechat_codes_from_one_address_stop_before_reaching_wechat(limited_client, sandbox):
    before = session_calls(sandbox)
    bogus = [limited_client.post(WECHAT_LOGIN, json={"code": f"bogus-{n}"}) for n in range(20)]
    assert [a.status_code for a in bogus] == [401] * 20

    good_code, _ = sandbox.state.mint_login_code()
    answer = limited_client.post(WECHAT_LOGIN, json={"code": good_code})

    wait = assert_error(answer, 429, "rate_limited")["retry_after_seconds"]
    assert 1 <= wait <= 60 and answer.headers["Retry-After"] == str(wait)
    assert session_calls(sandbox) == before + 20  # the 21st spent nothing of the app's WeChat quota
    other = limited_client.post(WECHAT_LOGIN, json={"code": good_code}, **from_address("198.51.100.20"))
    assert other.status_code == 200  # another address logs in


def test_malformed_wechat_logins_count_too(limited_client):
    answers = [limited_client.post(WECHAT_LOGIN, json={"code": 12}) for _ in range(20)]
    assert {a.status_code for a in answers} == {422}

    assert_error(limited_client.post(WECHAT_LOGIN, json={"code": "x"}), 429, "rate_limited")


# --- the limiter's Redis out of reach -----------------------------------------------------------


def test_with_the_counts_out_of_reach_sign_ins_are_limited_per_worker_and_warned_once(
        app, database_url, sandbox, caplog):
    unreachable = limited_app(database_url, sandbox, RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    client = unreachable.test_client()
    caplog.set_level(logging.WARNING, logger="app.limit_storage")

    answers = [client.post(CONSOLE_AUTH, json={"username": "admin", "password": f"x{n}"}) for n in range(11)]
    answers += [client.post(WECHAT_LOGIN, json={"code": "bogus"}) for _ in range(21)]

    assert [a.status_code for a in answers] == [401] * 10 + [429] + [401] * 20 + [429]
    warnings = [r for r in caplog.records if r.name == "app.limit_storage"]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()
    dispose(unreachable)
