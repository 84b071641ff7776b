"""Password sign-ins are rate limited per client and account; the error has API.md's shape."""
from __future__ import annotations

import pytest

from app import create_app
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
