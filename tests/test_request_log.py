"""Request ids: taken from a safe X-Request-Id or made, echoed, on every log record of the request;
LOG_FORMAT=json writes one JSON object a line."""
from __future__ import annotations

import json
import logging
import re

import pytest

from app import create_app
from app.request_log import JsonFormatter, request_id
from tests.conftest import app_config

pytestmark = pytest.mark.one_database  # headers and log records: no data


def test_a_safe_request_id_is_echoed(client):
    answer = client.get("/api/v1/healthz", headers={"X-Request-Id": "edge-7f3a:1.2_x"})
    assert answer.headers["X-Request-Id"] == "edge-7f3a:1.2_x"


@pytest.mark.parametrize("given", ["<script>", "a" * 65, "two words", "id\u4e2d"])
def test_an_unsafe_request_id_is_replaced_by_a_new_one(client, given):
    answer = client.get("/api/v1/healthz", headers={"X-Request-Id": given})
    made = answer.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{13,}", made) and made != given


def test_each_request_without_an_id_gets_its_own(client):
    ids = {client.get("/api/v1/healthz").headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3
    assert client.get("/api/v1/nowhere").headers["X-Request-Id"]  # error answers too


def test_every_log_record_of_a_request_carries_its_id(database_url, sandbox, caplog):
    app = create_app(app_config(database_url, sandbox.url))

    @app.get("/_test/log-twice")
    def log_twice():
        logging.getLogger("app.test").warning("first")
        logging.getLogger("somebody.else").warning("second")
        return "ok"

    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        client.get("/_test/log-twice", headers={"X-Request-Id": "req-1"})
        client.get("/_test/log-twice", headers={"X-Request-Id": "req-2"})
    tagged = [(record.getMessage(), record.request_id) for record in caplog.records
              if record.getMessage() in ("first", "second")]
    assert tagged == [("first", "req-1"), ("second", "req-1"), ("first", "req-2"), ("second", "req-2")]
    logging.getLogger("app.test").warning("outside")
    assert caplog.records[-1].request_id is None


def test_socket_events_each_get_an_id_of_their_own(app):
    with app.test_request_context("/socket.io/"):
        first = request_id()
        assert request_id() == first
    with app.test_request_context("/socket.io/"):
        assert request_id() != first


def test_json_lines_carry_level_logger_message_and_request_id(app):
    with app.test_request_context("/", headers={"X-Request-Id": "r-9"}):
        record = logging.getLogger("app.x").makeRecord("app.x", logging.ERROR, __file__, 1, "boom %s",
                                                       ("中",), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "ERROR" and line["logger"] == "app.x"
    assert line["message"] == "boom 中" and line["request_id"] == "r-9"
    assert line["time"].endswith("+00:00")
