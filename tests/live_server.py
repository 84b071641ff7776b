"""A real HTTP + WebSocket server for one test: the app on 127.0.0.1, a free port, a thread.

werkzeug's threaded server passes the raw connection to the app as `werkzeug.socket`;
Flask-SocketIO in threading mode upgrades it with simple-websocket. The Engine.IO and
Socket.IO server code behind it is what production runs (under `gunicorn -k gevent` only
the WebSocket layer differs). Use the `live_server` fixture:

    (registered for every test module in tests/conftest.py)

    def test_something(live_server):
        ws = websocket.create_connection(live_server.socketio_url, timeout=5)

or, for an app that a fixture builds itself, `with serving(app) as server:` inside that
fixture, after the app is made (so the server stops before the app is torn down).
Either way the server stops at the end: every Engine.IO socket is closed from the server
side, serving stops, the listening socket is closed, and every thread started while it
served (requests, WebSocket writers, Engine.IO's pingers and watchdog) is joined, each
wait bounded in time; a thread still running then fails the test.
"""
from __future__ import annotations

import contextlib
import functools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from simple_websocket import ConnectionClosed
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from wsproto.utilities import LocalProtocolError

HOST = "127.0.0.1"
STOP_TIMEOUT_SECONDS = 5.0
CLOSE_GRACE_SECONDS = 1.0


class QuietRequestHandler(WSGIRequestHandler):
    """No access log; errors (tracebacks of failed requests) are kept for the test; open
    connections are known, so that stopping can cut a WebSocket whose client went silent."""

    def handle(self) -> None:
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)
        try:
            super().handle()
        finally:
            with self.server.connections_lock:
                self.server.open_connections.discard(self.connection)

    def log(self, type: str, message: str, *args) -> None:
        if type == "error":
            self.server.errors.append(message % args if args else message)


@dataclass
class LiveServer:
    app: Flask
    port: int
    server: BaseWSGIServer = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def socketio_url(self) -> str:
        """The Engine.IO v4 WebSocket endpoint, as a mini-program's wx.connectSocket uses it."""
        return f"ws://{HOST}:{self.port}/socket.io/?EIO=4&transport=websocket"

    @property
    def errors(self) -> list[str]:
        """Errors the HTTP server logged so far (an exception escaping the app, and so on)."""
        return self.server.errors

    def engineio_sids(self) -> set[str]:
        """Engine.IO sessions the server holds open right now."""
        return {sid for sid, sock in engineio_server(self.app).sockets.items() if not sock.closed}


def engineio_server(app: Flask):
    """The Engine.IO server behind this app (Flask-SocketIO's middleware holds it)."""
    return app.wsgi_app.engineio_app.eio


@contextlib.contextmanager
def serving(app: Flask) -> Iterator[LiveServer]:
    """Serve `app` on 127.0.0.1 and a free port until the block ends."""
    threads_before = set(threading.enumerate())
    eio = engineio_server(app)
    stopping = threading.Event()
    # Engine.IO sleeps a whole ping interval (25 s) in a thread per connection before each
    # ping; make those sleeps end when we stop, so no thread outlives the test.
    plain_async = eio._async
    eio._async = {**plain_async, "sleep": lambda seconds=0: stopping.wait(seconds) and None}
    eio.start_background_task = functools.partial(start_tolerating_close_races, eio.start_background_task)
    server = make_server(HOST, 0, app, threaded=True, request_handler=QuietRequestHandler)
    server.errors = []
    server.open_connections, server.connections_lock = set(), threading.Lock()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"live-server-{server.port}", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, server.port, server)
    finally:
        try:
            sweeper = app.extensions.get("xiaoge.round_sweeper")
            if sweeper is not None:  # a test that turned ROUND_SWEEPER on: its loop ends too
                sweeper.stop()
            announcer = app.extensions.get("xiaoge.live_announcer")
            if announcer is not None:  # the live pushes' loop, if one runs, ends at its next turn
                announcer.stop()
            stop(eio, server, thread, stopping)
        finally:
            eio._async = plain_async
            del eio.start_background_task
        leftovers = join_new_threads(threads_before, STOP_TIMEOUT_SECONDS)
        if leftovers:
            raise RuntimeError(f"threads still running after the live server stopped: {leftovers}")


def start_tolerating_close_races(start, target, *args, **kwargs):
    """Engine.IO's per-connection `writer` thread ends with an unguarded `ws.close()`. When the
    client's close arrives at the same moment, simple-websocket's reader thread has answered it
    and the writer's close then fails (ConnectionClosed, wsproto's LocalProtocolError, or a reset
    socket): a race between two threads over a connection that is closed either way. Let those
    three pass in that thread only; anything else it raises still fails the test."""
    if getattr(target, "__name__", "") != "writer":
        return start(target, *args, **kwargs)

    @functools.wraps(target)
    def writer():
        with contextlib.suppress(ConnectionClosed, LocalProtocolError, OSError):
            target(*args, **kwargs)
    return start(writer)


def stop(eio, server: BaseWSGIServer, thread: threading.Thread, stopping: threading.Event) -> None:
    # Close every Engine.IO socket from our side, so the WebSocket request threads return
    # even when a client forgot to close (close() without waiting for the queue to drain).
    for sock in list(eio.sockets.values()):
        sock.close(wait=False, abort=False, reason=eio.reason.SERVER_DISCONNECT)
    stopping.set()
    server.shutdown()  # leaves serve_forever, which then closes the listening socket
    thread.join(STOP_TIMEOUT_SECONDS)
    # simple-websocket waits for the client's half of the closing handshake without a time
    # limit: a client that stopped reading would hold its request thread forever. Cut those.
    if not wait_until(lambda: not server.open_connections, CLOSE_GRACE_SECONDS):
        with server.connections_lock:
            stuck = list(server.open_connections)
        for connection in stuck:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
    eio.shutdown()  # Engine.IO's ping-timeout watchdog thread
    if thread.is_alive():
        raise RuntimeError(f"live server on port {server.port} did not stop within {STOP_TIMEOUT_SECONDS} s")


def join_new_threads(threads_before: set[threading.Thread], timeout: float) -> list[str]:
    """Wait (bounded) for threads started since `threads_before`; name those still running."""
    deadline = time.monotonic() + timeout
    for started in set(threading.enumerate()) - threads_before:
        started.join(max(0.0, deadline - time.monotonic()))
    return sorted(t.name for t in set(threading.enumerate()) - threads_before if t.is_alive())


@pytest.fixture(name="live_server")
def live_server_fixture(app) -> Iterator[LiveServer]:
    """The `app` fixture's app, served for this test (stopped before the app is torn down)."""
    with serving(app) as server:
        yield server


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
