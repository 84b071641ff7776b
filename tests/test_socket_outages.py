"""A database or Redis outage answers a socket's ack as REST answers it: 503 `unavailable` to
retry, with `retry_after_seconds`; a pooled PostgreSQL connection the server dropped is replaced."""
from __future__ import annotations

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import db, socketio
from tests.conftest import app_config
from tests.raw_socketio import RawClient

UNAVAILABLE = {"error": {"code": "unavailable", "message": "The service is busy; try again.",
                         "retry_after_seconds": 1}}


def shopper_socket(app, client, headers):
    token = headers["Authorization"].split()[1]
    return socketio.test_client(app, namespace="/shopper", auth={"token": token}, flask_test_client=client)


@pytest.mark.parametrize("outage", [
    OperationalError("SELECT 1", {}, Exception("connection refused")),
    redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
])
def test_a_store_outage_acks_a_socket_shake_with_the_rest_503_body(app, client, make, monkeypatch, outage):
    home = make.compound()
    _, headers = make.shopper(home=home)
    socket = shopper_socket(app, client, headers)

    def store_down(*args, **kwargs):
        raise outage

    monkeypatch.setattr(app.extensions["xiaoge.draw_engine"], "shake", store_down)
    ack = socket.emit("shake", {"round_id": 1, "shake_id": "s-1"}, namespace="/shopper", callback=True)

    assert ack == UNAVAILABLE
    socket.disconnect(namespace="/shopper")


def test_a_redis_outage_on_rest_is_the_same_retryable_503(app, make, monkeypatch):
    home = make.compound()
    _, headers = make.shopper(home=home)

    def redis_down(*args, **kwargs):
        raise redis.ConnectionError("Connection refused.")

    monkeypatch.setattr(app.extensions["xiaoge.draw_engine"], "shake", redis_down)
    answer = make.shake(1, headers)

    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    assert answer.get_json() == UNAVAILABLE


def test_a_pooled_connection_the_database_dropped_is_replaced_at_checkout(database_url, sandbox):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    config = app_config(database_url, sandbox.url)
    del config["SQLALCHEMY_ENGINE_OPTIONS"]  # the app's own pool settings
    app = create_app(config)
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with app.app_context():
            backend = db.session.scalar(text("SELECT pg_backend_pid()"))
            db.session.remove()  # the connection goes back to the pool, open
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})

            assert db.session.scalar(text("SELECT 1")) == 1
            assert db.session.scalar(text("SELECT pg_backend_pid()")) != backend
            db.session.remove()
            db.engine.dispose()
    finally:
        admin.dispose()


def test_a_database_outage_at_connect_refuses_the_socket_as_unavailable(app, make, monkeypatch, live_server):
    _, headers = make.shopper(home=make.compound())
    db.session.commit()

    def database_down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr("app.realtime.namespaces.residence.home_compound_id", database_down)
    with RawClient(live_server.socketio_url) as client:
        refused = client.connect("/shopper", {"token": headers["Authorization"].split()[1]})

    assert refused.kind == 4 and refused.data == {"message": "unavailable"}


def test_a_database_outage_acks_leave_store_with_the_rest_503_body(app, client, make, monkeypatch):
    _, headers = make.shopper(home=make.compound())
    socket = shopper_socket(app, client, headers)

    def database_down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr("app.realtime.namespaces.residence.home_compound_id", database_down)

    assert socket.emit("leave_store", namespace="/shopper", callback=True) == UNAVAILABLE
