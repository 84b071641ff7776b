"""The lean Engine.IO WebSocket transport (app/realtime/lean_websocket.py) under real
`gunicorn -k gevent`: the handshake, pings on time, fragments, compression, a bad upgrade.

No database rows are needed: a bad token is refused at connect, which is enough to see
a Socket.IO packet go in and its answer come out.
"""
from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest
import websocket
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage
from wsproto.extensions import PerMessageDeflate

from tests.real_server import BIN, HOST, ROOT, Server, free_port, server_env
from wechat.sandbox import start_sandbox

pytestmark = pytest.mark.real_server

PATH = "/socket.io/?EIO=4&transport=websocket"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn -k gevent on a fresh SQLite file, pinging every second."""
    directory = tmp_path_factory.mktemp("lean-ws")
    with start_sandbox() as sandbox:
        env = {**server_env(f"sqlite:///{directory / 'xiaoge.sqlite3'}", sandbox.url),
               "SOCKETIO_PING_INTERVAL": "1", "SOCKETIO_PING_TIMEOUT": "2"}
        migrated = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=120)
        assert migrated.returncode == 0, migrated.stderr
        running = Server(env, free_port(), directory / "server.log")
        try:
            running.start()
            yield running
        finally:
            running.stop()


def ws_url(server: Server) -> str:
    return f"ws://{HOST}:{server.port}{PATH}"


def test_open_packet_then_pings_at_the_interval_not_faster(server):
    ws = websocket.create_connection(ws_url(server), timeout=5, suppress_origin=True)
    try:
        opening = ws.recv()
        assert opening.startswith("0") and json.loads(opening[1:])["pingInterval"] == 1000
        pings, deadline = 0, time.monotonic() + 3.6
        while time.monotonic() < deadline:
            ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                frame = ws.recv()
            except websocket.WebSocketTimeoutException:
                break
            if frame == "2":
                pings += 1
                ws.send("3")
        assert 2 <= pings <= 4, pings
        ws.settimeout(5)
        ws.send('40/shopper,{"token": "not-a-token"}')
        assert ws.recv().startswith("44/shopper,")
    finally:
        ws.close()


def test_a_fragmented_message_is_read_whole(server):
    ws = websocket.create_connection(ws_url(server), timeout=5, suppress_origin=True)
    try:
        assert ws.recv().startswith("0")
        ws.send_frame(websocket.ABNF.create_frame('40/shopper,{"tok', websocket.ABNF.OPCODE_TEXT, fin=0))
        ws.send_frame(websocket.ABNF.create_frame('en": "not-a-token"}', websocket.ABNF.OPCODE_CONT, fin=1))
        answer = ws.recv()
        while answer == "2":
            ws.send("3")
            answer = ws.recv()
        assert answer.startswith("44/shopper,")
    finally:
        ws.close()


def test_permessage_deflate_is_agreed_and_works(server):
    client = WSConnection(ConnectionType.CLIENT)
    with socket.create_connection((HOST, server.port), timeout=5) as sock:
        sock.sendall(client.send(Request(host=f"{HOST}:{server.port}", target=PATH,
                                         extensions=[PerMessageDeflate()])))
        texts: list[str] = []
        accepted = None
        deadline = time.monotonic() + 5
        while not texts and time.monotonic() < deadline:
            client.receive_data(sock.recv(4096))
            for event in client.events():
                if isinstance(event, AcceptConnection):
                    accepted = event
                elif isinstance(event, TextMessage):
                    texts.append(event.data)
        assert accepted is not None and any(isinstance(e, PerMessageDeflate) for e in accepted.extensions)
        assert texts and texts[0].startswith("0{")


def test_an_upgrade_without_a_key_is_refused(server):
    with socket.create_connection((HOST, server.port), timeout=5) as sock:
        sock.sendall(f"GET {PATH} HTTP/1.1\r\nHost: {HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 400")


def test_the_server_runs_the_lean_transport_not_the_stock_one(server):
    """install() found the python-engineio it was written for: no fallback warning in the log."""
    ws = websocket.create_connection(ws_url(server), timeout=5, suppress_origin=True)
    ws.close()

    assert "Stock Engine.IO WebSocket transport" not in server.log_path.read_text(errors="replace")
