"""Socket limits under real `gunicorn -k gevent`: a WebSocket that connects no Socket.IO namespace
(no token, or a refused one) is closed after SOCKET_CONNECT_TIMEOUT, one that connected stays; an
account's oldest socket goes when it opens one too many; a socket far past its event rate is
disconnected. What a socket keeps of its upgrade request is only what the app reads later
(app/realtime/shed_request.py)."""
from __future__ import annotations

import subprocess
import time

import pytest
import websocket

from app import create_app
from app.extensions import db
from app.realtime.shed_request import KEPT, shed_request
from app.services.accounts import staff
from tests.conftest import app_config
from tests.raw_socketio import Closed, RawClient
from tests.real_server import BIN, HOST, ROOT, Server, free_port, server_env
from wechat.sandbox import start_sandbox

CONNECT_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn -k gevent on a fresh SQLite file; anonymous sockets closed after a second."""
    directory = tmp_path_factory.mktemp("anonymous-ws")
    database_url = f"sqlite:///{directory / 'xiaoge.sqlite3'}"
    with start_sandbox() as sandbox:
        env = {**server_env(database_url, sandbox.url), "SOCKET_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
               "SOCKETIO_PING_INTERVAL": "0.5", "SOCKETIO_PING_TIMEOUT": "2"}
        migrated = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=120)
        assert migrated.returncode == 0, migrated.stderr
        running = Server(env, free_port(), directory / "server.log")
        running.staff_token = staff_token(database_url, sandbox.url, env["SECRET_KEY"])
        try:
            running.start()
            yield running
        finally:
            running.stop()


def staff_token(database_url: str, wechat_base: str, secret: str) -> str:
    app = create_app({**app_config(database_url, wechat_base), "SECRET_KEY": secret})
    with app.app_context():
        member = staff.create_staff(db.session, "watcher", "staff-password", "marketing")
        db.session.commit()
        token = app.extensions["xiaoge.tokens"].issue("staff", member.id, member.role, token_version=member.token_version)
        db.session.remove()
        db.engine.dispose()
    return token


def url(server: Server) -> str:
    return f"ws://{HOST}:{server.port}/socket.io/?EIO=4&transport=websocket"


def closed_within(client: RawClient, seconds: float) -> bool:
    """Whether the server ends the session within `seconds` (pings are answered meanwhile)."""
    try:
        client.pump(seconds)
    except Closed:
        return True
    return client.closed


@pytest.mark.real_server
def test_a_websocket_that_never_connects_a_namespace_is_closed_after_the_timeout(server):
    with RawClient(url(server)) as client:
        started = time.monotonic()
        assert closed_within(client, CONNECT_TIMEOUT + 2.0)
        assert time.monotonic() - started >= CONNECT_TIMEOUT * 0.8
        assert client.pings >= 1  # it answered pings: only the missing CONNECT ended it


@pytest.mark.real_server
def test_a_websocket_whose_token_was_refused_is_closed_too(server):
    with RawClient(url(server)) as client:
        assert client.connect("/console", {"token": "forged"}).kind == 4
        assert closed_within(client, CONNECT_TIMEOUT + 2.0)


@pytest.mark.real_server
def test_a_websocket_that_connected_a_namespace_stays_open(server):
    with RawClient(url(server)) as client:
        assert client.connect("/console", {"token": server.staff_token}).kind == 0
        assert not closed_within(client, CONNECT_TIMEOUT + 1.5)
        assert client.call("/console", "watch_campaign", {"campaign_id": 1}) == {"ok": True, "campaign_id": 1}


@pytest.mark.real_server
def test_large_headers_still_upgrade_and_the_socket_works(server):
    padding = [f"X-Pad-{i}: " + "x" * 4000 for i in range(8)]
    ws = websocket.create_connection(url(server), header=padding, timeout=5, suppress_origin=True)
    try:
        assert ws.recv().startswith("0")
        ws.send('40/console,{"token":"%s"}' % server.staff_token)
        assert ws.recv().startswith('40/console,{"sid":')
    finally:
        ws.close()


@pytest.mark.real_server
def test_an_account_opening_one_socket_too_many_loses_its_oldest(server):
    clients = [RawClient(url(server)) for _ in range(6)]  # SOCKETS_PER_ACCOUNT is 5
    try:
        for client in clients:
            assert client.connect("/console", {"token": server.staff_token}).kind == 0
        dropped = clients[0].take(lambda p: p.kind == 1 and p.namespace == "/console", timeout=3)
        assert dropped.raw.startswith("41/console")
        for client in clients[1:]:
            assert client.call("/console", "watch_campaign", {"campaign_id": 1})["ok"] is True
    finally:
        for client in clients:
            client.close()


@pytest.mark.real_server
def test_a_socket_flooding_events_is_refused_then_disconnected(server):
    with RawClient(url(server)) as client:
        assert client.connect("/console", {"token": server.staff_token}).kind == 0
        for n in range(1, 400):
            client.send(f'42/console,{n}["watch_campaign",{{"campaign_id":1}}]')
        acks = []
        with pytest.raises(Closed):
            while True:
                packet = client.take(lambda p: p.kind in (1, 3), timeout=5)
                if packet.kind == 1:
                    raise Closed()
                acks.append(packet.data[0])
    assert {"ok": True, "campaign_id": 1} in acks
    assert any(ack.get("error", {}).get("code") == "rate_limited" for ack in acks)


class GunicornResponse:
    def __init__(self, headers):
        self.req = type("Request", (), {"headers": headers})()

    def start_response(self, status, headers):
        pass


def test_shedding_a_request_keeps_only_what_the_app_reads_everywhere_it_is_held():
    connection = object()
    original = {"REQUEST_METHOD": "GET", "PATH_INFO": "/socket.io/", "HTTP_HOST": "shop.test",
                "REMOTE_ADDR": "10.0.0.1", "wsgi.url_scheme": "https", "gunicorn.socket": connection,
                "HTTP_COOKIE": "c" * 8000, "HTTP_X_PAD": "x" * 8000,
                "QUERY_STRING": "EIO=4&transport=websocket",
                "wsgi.input": object(), "RAW_URI": "/socket.io/?EIO=4"}
    headers = [("X-PAD", "x" * 8000), ("HOST", "shop.test")]
    response = GunicornResponse(headers)

    def flask_socketio_middleware(environ):
        copy = {**environ, "flask.app": "the app"}
        shed_request(copy, response.start_response)
        return copy

    # gunicorn's handle_request holds the original environ on its frame; shed_request finds it there
    gunicorn = {"flask_socketio_middleware": flask_socketio_middleware}
    exec(compile("def handle_request(environ):\n    return flask_socketio_middleware(environ)\n",
                 "site-packages/gunicorn/workers/base_async.py", "exec"), gunicorn)

    copy = gunicorn["handle_request"](original)

    assert set(copy) <= KEPT and copy["flask.app"] == "the app" and copy["REMOTE_ADDR"] == "10.0.0.1"
    assert "HTTP_COOKIE" not in original and "HTTP_X_PAD" not in original
    assert original["HTTP_HOST"] == "shop.test"
    assert headers == []
