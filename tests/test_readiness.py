"""GET /api/v1/readyz: 200 while the database (and Redis, when used) answers; 503 naming what did not."""
from __future__ import annotations

import logging

import pytest

from app import create_app
from tests.conftest import TEST_REDIS_URL, app_config

DEAD_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere"
DEAD_REDIS = "redis://127.0.0.1:9/0"


@pytest.fixture
def own_app(sandbox):
    """Build an app of a test's own (a dead database, a Redis); dispose of its pool after."""
    built = []

    def build(database_url, **config):
        app = create_app({**app_config(database_url, sandbox.url), "SHAKE_DRAWS": "sql", **config})
        built.append(app)
        return app
    yield build
    for app in built:
        with app.app_context():
            from app.extensions import db
            db.engine.dispose()


def test_ready_when_the_database_answers_and_redis_is_not_used(client):
    answer = client.get("/api/v1/readyz")
    assert answer.status_code == 200
    assert answer.get_json() == {"database": "ok", "redis": "off"}


def test_ready_checks_redis_when_it_is_configured(own_app, database_url):
    app = own_app(database_url, REDIS_URL=TEST_REDIS_URL)
    answer = app.test_client().get("/api/v1/readyz")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"database": "ok", "redis": "ok"}


def test_not_ready_503_when_redis_is_down(own_app, database_url):
    app = own_app(database_url, REDIS_URL=DEAD_REDIS, READINESS_TIMEOUT_SECONDS=0.5)
    answer = app.test_client().get("/api/v1/readyz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert (body["database"], body["redis"]) == ("ok", "failed")
    assert body["error"]["code"] == "unavailable" and "redis" in body["error"]["message"]


@pytest.mark.one_database
def test_not_ready_503_when_the_database_is_dead_and_the_log_line_carries_the_request_id(own_app, caplog):
    app = own_app(DEAD_POSTGRES, READINESS_TIMEOUT_SECONDS=0.5)
    with caplog.at_level(logging.WARNING, logger="app.api.readiness"):
        answer = app.test_client().get("/api/v1/readyz", headers={"X-Request-Id": "probe-42"})
    assert answer.status_code == 503
    body = answer.get_json()
    assert (body["database"], body["redis"]) == ("failed", "off")
    assert body["error"]["code"] == "unavailable" and "database" in body["error"]["message"]
    assert answer.headers["X-Request-Id"] == "probe-42"
    lines = [record for record in caplog.records if record.name == "app.api.readiness"]
    assert lines and all(record.request_id == "probe-42" for record in lines)


@pytest.mark.one_database
def test_a_dead_database_is_counted_in_the_database_error_metric(own_app):
    app = own_app(DEAD_POSTGRES, METRICS_TOKEN="t")
    client = app.test_client()
    before = database_errors(client)
    client.get("/api/v1/readyz")
    sign_in = {"employee_no": "E1", "password": "secret-pw"}
    assert client.post("/api/v1/courier/auth", json=sign_in).status_code == 503
    assert database_errors(client) >= before + 2


def database_errors(client) -> float:
    text = client.get("/metrics", headers={"Authorization": "Bearer t"}).get_data(as_text=True)
    return next(float(line.split()[-1]) for line in text.splitlines()
                if line.startswith("xiaoge_database_errors_total "))
