"""The app the tests share (tests/conftest.py) is put back as built before each test."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import rate_limits
from app.extensions import socketio

pytestmark = pytest.mark.one_database  # the test harness, not the database


@pytest.fixture
def shared(app, shared_apps, database_url, shake_draws):
    return shared_apps[(database_url, shake_draws)]


def test_what_a_test_changes_in_the_app_is_undone_for_the_next(app, shared, make):
    tokens, server = app.extensions["xiaoge.tokens"], socketio.server
    tokens.verify(make.staff_token(), "staff")
    app.config["XIAOGE_DEMO"] = True
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=30)
    app.extensions["xiaoge.background_tasks"] = ["a task of the test's own"]
    app.extensions["xiaoge.shake_admission"].limit = 1
    app.extensions["xiaoge.shake_admission"].in_flight = 1
    app.extensions[rate_limits.EXTENSION] = "a limiter of the test's own"

    shared.begin()

    assert app.config["XIAOGE_DEMO"] is False
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    assert app.extensions["xiaoge.background_tasks"] == []
    assert app.extensions["xiaoge.shake_admission"].limit == app.config["SHAKE_MAX_IN_FLIGHT"]
    assert app.extensions["xiaoge.shake_admission"].in_flight == 0
    assert app.extensions["xiaoge.tokens"] is not tokens  # and with it the tokens it had verified
    assert rate_limits.EXTENSION not in app.extensions  # limits are off in the shared app
    assert socketio.server is not server and app.wsgi_app.engineio_app is socketio.server


def test_a_socket_client_of_one_test_leaves_nothing_behind(app, shared, make):
    client = socketio.test_client(app, namespace="/console", auth={"token": make.staff_token("admin")})
    assert client.is_connected("/console")
    assert "_send_packet" in vars(socketio.server)  # the test client's stand-in

    shared.begin()

    assert "_send_packet" not in vars(socketio.server)
    assert socketio.server.async_handlers is True
