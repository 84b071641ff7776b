"""Mini-program compatibility: Engine.IO v4 / Socket.IO v5 spoken by hand over a plain WebSocket.

A wx.connectSocket adapter opens `ws://.../socket.io/?EIO=4&transport=websocket` with no
cookies and never long-polls, then frames every packet itself. So do these tests, with
websocket-client against a real server (tests/live_server.py), not python-socketio's client.

Wire format reminders (Socket.IO v5 over Engine.IO v4), `/shopper` namespace:
    0{"sid",...}                  Engine.IO open         2 / 3      Engine.IO ping / pong
    40/shopper,{"token":"..."}    connect (auth)         40/shopper,{"sid":"..."}   accepted
    44/shopper,{"message":...}    connect refused        42/shopper,["name",{...}]  event
    42/shopper,7["shake",{...}]   event with ack id 7    43/shopper,7[{...}]        its ack
"""
from __future__ import annotations

import http.client
import time
import uuid

import pytest
import requests

from app import create_app
from app.extensions import db
from tests import factories
from tests.conftest import app_config, empty_all_tables
from tests.factories import now
from tests.live_server import serving
from tests.raw_socketio import TIMEOUT, Closed, RawClient

MINI_PROGRAM_IDLE_CUT_MS = 60_000

# Engine.IO heartbeat for the idle tests: seconds, not tens of seconds.
FAST_PING_INTERVAL = 0.2
FAST_PING_TIMEOUT = 0.3


def token_of(headers: dict) -> str:
    return headers["Authorization"].split()[1]


def end_test_transaction() -> None:
    """Let the server's threads at the database: SQLite's BEGIN IMMEDIATE (see app/database.py)
    makes even the test thread's read transaction hold the write lock until it ends."""
    db.session.commit()


def post_arrival(server, courier_headers: dict, compound_id: int, event_id: str | None = None):
    """The handheld's REST arrival, over real HTTP to the live server."""
    body = {"event_id": event_id or f"evt-{uuid.uuid4().hex}", "compound_id": compound_id,
            "occurred_at": now().isoformat()}
    return requests.post(f"{server.url}/api/v1/courier/arrivals", json=body, headers=courier_headers,
                         timeout=TIMEOUT)


# --- handshake and transport ---------------------------------------------------------------

def test_open_packet_is_websocket_only_with_pings_inside_the_idle_cut(live_server):
    with RawClient(live_server.socketio_url) as client:
        assert client.open["sid"]
        assert client.open["upgrades"] == []
        assert 0 < client.open["pingInterval"] < MINI_PROGRAM_IDLE_CUT_MS
        assert client.open["pingInterval"] + client.open["pingTimeout"] > 0
        assert "set-cookie" not in client.handshake_headers
        assert client.open["sid"] in live_server.engineio_sids()
    assert live_server.errors == []


def test_polling_transport_is_refused(live_server):
    before = live_server.engineio_sids()
    connection = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/socket.io/?EIO=4&transport=polling")
        answer = connection.getresponse()
        body = answer.read().decode()
        cookie = answer.getheader("Set-Cookie")
    finally:
        connection.close()

    assert answer.status == 400
    assert not body.startswith("0") and '"sid"' not in body, body
    assert cookie is None
    assert live_server.engineio_sids() == before


def test_shopper_connects_with_a_token_and_a_bad_token_is_refused(app, make, live_server):
    home = make.compound()
    _, headers = make.shopper(home=home)
    courier_headers = make.courier_headers(make.courier([home]))
    end_test_transaction()

    with RawClient(live_server.socketio_url) as client:
        accepted = client.connect("/shopper", {"token": token_of(headers)})
        assert accepted.kind == 0 and accepted.raw.startswith('40/shopper,{"sid":'), accepted.raw
        assert isinstance(accepted.data["sid"], str) and accepted.data["sid"]

    refusals = [{"token": "not-a-token"}, None, {"token": token_of(courier_headers)}]  # wrong audience too
    for auth in refusals:
        with RawClient(live_server.socketio_url) as client:
            refused = client.connect("/shopper", auth)
            assert refused.kind == 4 and refused.raw.startswith("44/shopper,{"), (auth, refused.raw)
            assert refused.data == {"message": "unauthorized"}
    assert live_server.errors == []


# --- the shopper's journey over a raw socket -------------------------------------------------

def test_arrival_is_heard_and_a_shake_is_acked_over_a_raw_socket(app, make, live_server):
    home = make.compound()
    courier = make.courier([home])
    campaign = make.campaign([home])
    _, headers = make.shopper(home=home)
    courier_headers = make.courier_headers(courier)
    home_id, courier_id, courier_name = home.id, courier.id, courier.name
    campaign_id, campaign_title = campaign.id, campaign.title
    end_test_transaction()

    with RawClient(live_server.socketio_url) as client:
        assert client.connect("/shopper", {"token": token_of(headers)}).kind == 0

        arrival = post_arrival(live_server, courier_headers, home_id)
        assert arrival.status_code == 201, arrival.text
        round_id = arrival.json()["rounds"][0]["id"]

        van = client.event("/shopper", "van_arrived")
        opened = client.event("/shopper", "shake_open")
        assert van["compound_id"] == home_id
        assert van["courier"]["id"] == courier_id and van["courier"]["name"] == courier_name
        assert opened["round_id"] == round_id and opened["compound_id"] == home_id
        assert opened["campaign"] == {"id": campaign_id, "title": campaign_title}

        ack = client.call("/shopper", "shake", {"round_id": round_id, "shake_id": "raw-shake-1"})
        assert ack["result"] in ("win", "lose")
        assert ack["result"] == "win"  # the factory campaign's prize has win_probability 1.0
        assert ack["prize"]["kind"] == "coupon"
        assert ack["shakes_left"] == 2
        assert ack["shake_id"] == "raw-shake-1"

        again = client.call("/shopper", "shake", {"round_id": round_id, "shake_id": "raw-shake-1"})
        assert again == ack
        refused = client.call("/shopper", "shake", {"round_id": round_id})
        assert refused["error"]["code"] == "invalid_request"

    replay = make.shake(round_id, headers, shake_id="raw-shake-1")
    assert replay.status_code == 200 and replay.get_json() == ack
    assert live_server.errors == []


def test_courier_arrived_over_a_raw_socket_is_acked_once_and_replayed(app, make, live_server):
    home = make.compound()
    courier = make.courier([home])
    campaign = make.campaign([home])
    _, shopper_headers = make.shopper(home=home)
    courier_headers = make.courier_headers(courier)
    home_id, campaign_id = home.id, campaign.id
    end_test_transaction()
    body = {"event_id": f"evt-{uuid.uuid4().hex}", "compound_id": home_id, "occurred_at": now().isoformat()}

    with RawClient(live_server.socketio_url) as handheld, RawClient(live_server.socketio_url) as shopper:
        assert handheld.connect("/courier", {"token": "forged"}).kind == 4
        assert handheld.connect("/courier", {"token": token_of(shopper_headers)}).kind == 4
        assert handheld.connect("/courier", {"token": token_of(courier_headers)}).kind == 0
        assert shopper.connect("/shopper", {"token": token_of(shopper_headers)}).kind == 0

        first = handheld.call("/courier", "arrived", body)  # acked with the REST body, as every event is
        assert set(first) == {"arrival", "rounds"}, first
        assert first["arrival"]["compound_id"] == home_id
        assert [r["campaign_id"] for r in first["rounds"]] == [campaign_id]

        second = handheld.call("/courier", "arrived", body)
        assert second == first  # the first answer replayed

        # Broadcast once, not on the replay: a round trip on the shopper's socket comes after
        # anything queued to it before (one queue per connection, in order).
        assert shopper.call("/shopper", "leave_store", {}) == {"ok": True}
        assert [e["compound_id"] for e in shopper.events("/shopper", "van_arrived")] == [home_id]
        assert [e["round_id"] for e in shopper.events("/shopper", "shake_open")] == [first["rounds"][0]["id"]]
    assert live_server.errors == []


# --- idle connections: a short heartbeat, so that minutes become seconds --------------------

@pytest.fixture
def fast_app(database_url, sandbox):
    """The app with an Engine.IO heartbeat of a fraction of a second (the only app in the test:
    Flask-SocketIO's `socketio` object is one per process and follows the last app made)."""
    config = {**app_config(database_url, sandbox.url),
              "SOCKETIO_PING_INTERVAL": FAST_PING_INTERVAL, "SOCKETIO_PING_TIMEOUT": FAST_PING_TIMEOUT}
    fast = create_app(config)
    with fast.app_context():
        yield fast
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def fast_server(fast_app):
    with serving(fast_app) as server:
        yield server


@pytest.fixture
def fast_make(fast_app, sandbox):
    return factories.Factories(fast_app, fast_app.test_client(), sandbox)


def test_heartbeat_settings_reach_the_open_packet(fast_server):
    with RawClient(fast_server.socketio_url) as client:
        assert client.open["pingTimeout"] == int(FAST_PING_TIMEOUT * 1000)


@pytest.mark.slow  # eight heartbeats
def test_idle_client_answering_pings_stays_connected_and_still_hears_broadcasts(fast_app, fast_make,
                                                                                fast_server):
    home = fast_make.compound()
    courier = fast_make.courier([home])
    _, headers = fast_make.shopper(home=home)
    courier_headers = fast_make.courier_headers(courier)
    home_id = home.id
    end_test_transaction()
    intervals = 8

    with RawClient(fast_server.socketio_url) as client:
        assert client.connect("/shopper", {"token": token_of(headers)}).kind == 0
        sid = client.open["sid"]
        started = time.monotonic()
        deadline = started + intervals * (FAST_PING_INTERVAL + FAST_PING_TIMEOUT) + 2
        while client.pings < intervals:
            assert time.monotonic() < deadline, f"only {client.pings} pings in time"
            client.pump(FAST_PING_INTERVAL)
        idle = time.monotonic() - started
        assert idle >= (intervals - 1) * FAST_PING_INTERVAL
        assert sid in fast_server.engineio_sids()

        arrival = post_arrival(fast_server, courier_headers, home_id)
        assert arrival.status_code == 201, arrival.text
        assert client.event("/shopper", "van_arrived")["compound_id"] == home_id
    assert fast_server.errors == []


@pytest.mark.slow  # a heartbeat and its timeout
def test_client_that_never_answers_pings_is_dropped_after_interval_and_timeout(fast_app, fast_make,
                                                                                fast_server):
    home = fast_make.compound()
    _, headers = fast_make.shopper(home=home)
    end_test_transaction()

    with RawClient(fast_server.socketio_url, answer_pings=False) as silent:
        started = time.monotonic()  # the server's ping timer starts as it sends the open packet
        with RawClient(fast_server.socketio_url) as polite:
            assert silent.connect("/shopper", {"token": token_of(headers)}).kind == 0
            assert polite.connect("/shopper", {"token": token_of(headers)}).kind == 0

            deadline = started + FAST_PING_INTERVAL + 2 * FAST_PING_TIMEOUT + 2
            while True:  # listen to both; only the polite one answers its pings
                assert time.monotonic() < deadline, "the silent client was never dropped"
                polite.pump(0.02)
                try:
                    silent.pump(0.02)
                except Closed:
                    break
            dropped_after = time.monotonic() - started

            assert silent.pings >= 1
            assert dropped_after >= FAST_PING_INTERVAL + FAST_PING_TIMEOUT - 0.1
            assert silent.open["sid"] not in fast_server.engineio_sids()
            polite.pump(FAST_PING_INTERVAL + FAST_PING_TIMEOUT)  # the other one answered and is still here
            assert polite.open["sid"] in fast_server.engineio_sids()
            assert polite.call("/shopper", "leave_store", {}) == {"ok": True}
    assert fast_server.errors == []
