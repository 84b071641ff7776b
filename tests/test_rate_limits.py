"""Password sign-ins are rate limited per client and account; the error has API.md's shape."""
from __future__ import annotations

import pytest

from app import create_app, rate_limits
from app.extensions import db
from tests.conftest import app_config


@pytest.fixture
def limited_client(app, database_url, sandbox):
    """A client of an app like the test app but with rate limits on (fresh in-memory counts)."""
    limited = create_app({**app_config(database_url, sandbox.url), "RATELIMIT_ENABLED": True})
    yield limited.test_client()
    with limited.app_context():
        limited.extensions["sqlalchemy"].engine.dispose()


def test_guessing_a_staff_password_is_stopped_with_429(limited_client):
    client = limited_client
    answers = [client.post("/api/v1/console/auth", json={"username": "admin", "password": f"guess{n}"})
               for n in range(11)]

    assert [a.status_code for a in answers[:10]] == [401] * 10
    assert answers[10].status_code == 429
    assert answers[10].get_json()["error"]["code"] == "rate_limited"


def test_the_limit_is_per_account_so_a_colleague_can_still_sign_in(limited_client, make):
    client = limited_client
    employee_no = make.courier().employee_no
    db.session.commit()  # end the read that loaded employee_no: on SQLite it holds the write lock
    for n in range(11):
        client.post("/api/v1/courier/auth", json={"employee_no": "E-someone-else", "password": f"x{n}"})

    answer = client.post("/api/v1/courier/auth",
                         json={"employee_no": employee_no, "password": "courier-pass"})

    assert answer.status_code == 200


def test_behind_a_proxy_the_limit_keys_on_the_forwarded_client_address(app, database_url, sandbox):
    proxied = create_app({**app_config(database_url, sandbox.url), "RATELIMIT_ENABLED": True, "PROXY_HOPS": 1})
    client = proxied.test_client()

    def sign_in(address):
        return client.post("/api/v1/console/auth", json={"username": "admin", "password": "guess"},
                           headers={"X-Forwarded-For": address}).status_code

    assert [sign_in("203.0.113.7") for _ in range(11)][-1] == 429
    assert sign_in("198.51.100.9") == 401  # another shopper behind the same nginx is not blocked
    with proxied.app_context():
        proxied.extensions["sqlalchemy"].engine.dispose()


def test_a_limited_answer_says_when_to_try_again(limited_client):
    for n in range(10):
        limited_client.post("/api/v1/courier/auth", json={"employee_no": "E-guess", "password": f"x{n}"})

    answer = limited_client.post("/api/v1/courier/auth", json={"employee_no": "E-guess", "password": "x"})

    assert answer.status_code == 429
    wait = answer.get_json()["error"]["retry_after_seconds"]
    assert 1 <= wait <= 60 and answer.headers["Retry-After"] == str(wait)


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
    limiter = app.extensions[rate_limits.EXTENSION]
    limiter.storage = storage = CountingStorage(limiter.storage)

    assert limited_client.get("/api/v1/healthz").status_code == 200
    limited_client.post("/api/v1/shake-rounds/1/shakes", json={"shake_id": "0" * 32})
    assert limited_client.get("/console/login").status_code == 200  # the form, not a sign-in
    assert storage.calls == []

    limited_client.post("/api/v1/console/auth", json={"username": "admin", "password": "guess"})
    assert storage.calls  # the spy is wired: a sign-in is counted


def test_each_app_counts_in_its_own_storage(limited_client, database_url, sandbox):
    for n in range(11):
        limited_client.post("/api/v1/console/auth", json={"username": "admin", "password": f"guess{n}"})
    other = create_app({**app_config(database_url, sandbox.url), "RATELIMIT_ENABLED": True})

    answer = other.test_client().post("/api/v1/console/auth", json={"username": "admin", "password": "guess"})

    assert answer.status_code == 401
    assert other.extensions[rate_limits.EXTENSION] is not limited_client.application.extensions[rate_limits.EXTENSION]
    with other.app_context():
        other.extensions["sqlalchemy"].engine.dispose()


def test_counts_out_of_reach_are_a_retryable_503(app, database_url, sandbox):
    unreachable = create_app({**app_config(database_url, sandbox.url), "RATELIMIT_ENABLED": True,
                              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0"})

    answer = unreachable.test_client().post("/api/v1/console/auth", json={"username": "admin", "password": "x"})

    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "unavailable"
    assert answer.headers["Retry-After"] == "1"
    with unreachable.app_context():
        unreachable.extensions["sqlalchemy"].engine.dispose()
