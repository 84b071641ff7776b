"""Engine.IO's WebSocket transport under `gunicorn -k gevent`, in one greenlet per connection.

Stock python-engineio keeps four greenlets alive for every idle WebSocket: the request's
own (waiting for a message), simple-websocket's reader, Engine.IO's writer (waiting on a
queue) and a pinger (sleeping out the ping interval). Each costs ~8 KiB of worker memory
(its Python frame-stack chunk, its saved C stack, the objects around it), most of the
~70 KiB an idle shopper cost (issue 6). Here the request's greenlet reads the socket itself,
packets are written from whichever greenlet sends them (a short-lived flusher takes over
only when the kernel buffer is full, so a broadcast never waits for a slow client), and the
next ping is a libev timer, not a sleeping greenlet. The wire protocol is the same: wsproto
frames it, permessage-deflate is accepted as before, Engine.IO packets are unchanged. After
the upgrade a socket keeps only what the app reads of its request (shed_request.py), and one
that connects no Socket.IO namespace in time (another libev timer) is closed.

Only the first WebSocket request of a session under gunicorn takes this path (this app is
WebSocket-only); anything else goes to the stock driver. Relies on python-engineio's internals
(the server's _async and _bad_request, the Socket's queue, last_ping and ping scheduling), so it
is installed only on the version it was written for (WRITTEN_FOR, pinned in requirements.txt)
and when those are there; otherwise the stock transport serves, and one warning says why.
"""
from __future__ import annotations

import functools
import logging
import socket as stdlib_socket
import time
from importlib import metadata

import gevent
from engineio import exceptions, packet
from engineio.socket import Socket
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Message, Ping, TextMessage
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason
from wsproto.handshake import server_extensions_handshake
from wsproto.utilities import LocalProtocolError, generate_accept_token, split_comma_header

from app.realtime.shed_request import shed_request

RECEIVE_BYTES = 4096
WRITTEN_FOR = "4.15.1"  # the python-engineio whose internals this was written against
# What of them install() and LeanWebSocket use, checked before installing (see unsupported()).
SERVER_INTERNALS = ("_bad_request",)
SOCKET_METHODS = ("_websocket_handler", "receive", "send", "close", "schedule_ping")
SOCKET_STATE = ("queue", "last_ping", "connected", "upgraded", "closing", "closed")

logger = logging.getLogger(__name__)


def install(eio_server, connect_timeout: float = 0.0, namespaced=None) -> None:
    """Use the lean transport for this Engine.IO server when it runs on gevent (and can). A
    WebSocket for which `namespaced(eio_sid)` is still false `connect_timeout` seconds after
    its upgrade (no Socket.IO namespace connected) is closed; 0: never."""
    if eio_server.async_mode != "gevent":
        return
    problem = unsupported(eio_server)
    if problem:
        logger.warning("Stock Engine.IO WebSocket transport (~4 greenlets per idle WebSocket): %s", problem)
        return
    # The spawning stack gevent records for every greenlet (a debugging aid) is ~5 KiB per
    # connection of frame summaries that nothing here reads.
    gevent.config.track_greenlet_tree = False
    stock = eio_server._async["websocket"]
    lean = functools.partial(LeanWebSocket, fallback=stock, namespaced=namespaced,
                             connect_timeout=connect_timeout if namespaced else 0.0)
    eio_server._async = {**eio_server._async, "websocket": lean}


def unsupported(eio_server) -> str | None:
    """Why the lean transport cannot stand in for this python-engineio's, or None if it can."""
    try:
        version = metadata.version("python-engineio")
    except metadata.PackageNotFoundError:
        version = None
    if version != WRITTEN_FOR:
        return f"python-engineio is {version}, this was written for {WRITTEN_FOR}"
    drivers = getattr(eio_server, "_async", None)
    missing = [] if isinstance(drivers, dict) and "websocket" in drivers else ["server._async['websocket']"]
    missing += [f"server.{name}" for name in SERVER_INTERNALS if not hasattr(eio_server, name)]
    missing += [f"Socket.{name}" for name in SOCKET_METHODS if not hasattr(Socket, name)]
    # the Socket's state is set in its __init__: the names it assigns are in its code
    assigned = getattr(getattr(Socket.__init__, "__code__", None), "co_names", ())
    missing += [f"Socket().{name}" for name in SOCKET_STATE if name not in assigned]
    return f"python-engineio {version} lacks {', '.join(missing)}" if missing else None


def handshake(environ) -> tuple[bytes, list] | None:
    """The 101 answer to a WebSocket upgrade request, and the extensions agreed; None if invalid."""
    key = environ.get("HTTP_SEC_WEBSOCKET_KEY")
    tokens = split_comma_header(environ.get("HTTP_CONNECTION", "").encode("latin-1"))
    if (not key or environ.get("HTTP_SEC_WEBSOCKET_VERSION") != "13"
            or "upgrade" not in (token.lower() for token in tokens)):
        return None
    supported = [PerMessageDeflate()]
    offered = environ.get("HTTP_SEC_WEBSOCKET_EXTENSIONS")
    agreed = server_extensions_handshake(split_comma_header(offered.encode("latin-1")), supported) \
        if offered else None
    lines = [b"HTTP/1.1 101 Switching Protocols", b"Upgrade: WebSocket", b"Connection: Upgrade",
             b"Sec-WebSocket-Accept: " + generate_accept_token(key.encode("latin-1"))]
    if agreed:
        lines.append(b"Sec-WebSocket-Extensions: " + agreed)
    return b"\r\n".join(lines) + b"\r\n\r\n", [ext for ext in supported if ext.enabled()]


class LeanWebSocket:
    """One Engine.IO WebSocket: reads in the request's greenlet, and stands in for the
    Engine.IO socket's outgoing queue (put / join / task_done), writing packets straight out."""

    __slots__ = ("handler", "server", "fallback", "sock", "conn", "eio", "backlog", "flusher", "inbox",
                 "partial", "ping_timer", "connect_timeout", "namespaced", "connect_timer")

    def __init__(self, handler, server, fallback, connect_timeout: float = 0.0, namespaced=None):
        self.handler, self.server, self.fallback = handler, server, fallback
        self.connect_timeout, self.namespaced = connect_timeout, namespaced
        self.sock = self.conn = self.eio = self.backlog = self.flusher = self.partial = self.ping_timer = None
        self.connect_timer = None
        self.inbox: list = []

    def __call__(self, environ, start_response):
        eio = getattr(self.handler, "__self__", None)
        sock = environ.get("gunicorn.socket")
        if sock is None or not isinstance(eio, Socket) or eio.connected:
            return self.fallback(self.handler, self.server)(environ, start_response)
        agreed = handshake(environ)
        if agreed is None:
            eio.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_ERROR)
            return self.server._bad_request("Invalid WebSocket handshake")
        response, extensions = agreed
        shed_request(environ, start_response)  # the headers, engineio's input wrapper: read no more
        self.handler = None
        self.sock, self.conn, self.eio = sock, Connection(ConnectionType.SERVER, extensions), eio
        try:
            sock.sendall(response)
        except OSError:
            eio.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_ERROR)
            raise StopIteration() from None
        self.serve()
        raise StopIteration()  # gunicorn: the connection was ours and is over; no HTTP response

    # --- reading, in the request's greenlet ---

    def serve(self) -> None:
        """Engine.IO's `_websocket_handler` for a new WebSocket session, without its writer."""
        eio, server = self.eio, self.server
        eio.connected = eio.upgraded = True
        waiting, eio.queue = eio.queue, self
        while not waiting.empty():  # the OPEN packet, and whatever was sent before now
            self.put(waiting.get_nowait())
        del waiting  # a gevent JoinableQueue: 2.5 KiB this frame would hold for the session
        # what engineio asks of every WebSocket: a client silent for a ping cycle is gone
        self.sock.settimeout(server.ping_interval + server.ping_timeout)
        if self.connect_timeout:
            self.connect_timer = gevent.get_hub().loop.timer(self.connect_timeout)
            self.connect_timer.start(gevent.spawn_raw, self.close_unless_connected)
        server.logger.info("%s: Upgrade to websocket successful", eio.sid)
        try:
            while True:
                data = self.receive()
                if data is None:
                    break
                if len(data) > server.max_http_buffer_size:
                    server.logger.info("%s: packet is too large, closing connection", eio.sid)
                    break
                pkt = packet.Packet(encoded_packet=data)
                if pkt.packet_type == packet.PONG:
                    self.pong()
                    continue
                try:
                    eio.receive(pkt)
                except exceptions.UnknownPacketError:
                    pass
                except exceptions.SocketIsClosedError:
                    server.logger.info("Receive error -- socket is closed")
                    break
                except Exception:
                    server.logger.exception("Unknown receive error")
                    break
        finally:
            for timer in (self.ping_timer, self.connect_timer):
                if timer is not None:
                    timer.close()
            self.put(None)
            if self.flusher is not None:
                self.flusher.join()
            eio.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)

    def receive(self):
        """The next whole message (str or bytes); None once the connection is over."""
        while not self.inbox:
            try:
                data = self.sock.recv(RECEIVE_BYTES)
            except OSError:  # reset, or silent past the timeout
                return None
            if not data:
                return None
            try:
                self.conn.receive_data(data)
            except LocalProtocolError:
                return None
            if not self.take_events():
                return None
        return self.inbox.pop(0)

    def take_events(self) -> bool:
        """Messages to the inbox, pings answered; False once the client closed or erred."""
        going = True
        for event in self.conn.events():
            if isinstance(event, Message):  # a fragment is kept until its message is whole
                self.partial = event.data if self.partial is None else self.partial + event.data
                if len(self.partial) > self.server.max_http_buffer_size:
                    self.server.logger.info("%s: packet is too large, closing connection", self.eio.sid)
                    return False
                if event.message_finished:
                    self.inbox.append(self.partial)
                    self.partial = None
            elif isinstance(event, Ping):
                self.write(self.conn.send(event.response()))
            elif isinstance(event, CloseConnection):
                if self.conn.state is ConnectionState.REMOTE_CLOSING:
                    self.write(self.conn.send(event.response()))
                going = False
        return going

    # --- pings: a timer per connection, not a sleeping greenlet ---

    def pong(self) -> None:
        """Engine.IO's schedule_ping: the next ping one interval after this pong."""
        self.server.logger.info("%s: Received packet PONG data None", self.eio.sid)
        if self.eio.last_ping:
            self.eio.last_ping = None
            if self.ping_timer is not None:
                self.ping_timer.close()
            # a new timer each time: a libev timer restarted after firing fires at once
            self.ping_timer = gevent.get_hub().loop.timer(self.server.ping_interval)
            self.ping_timer.start(gevent.spawn_raw, self.send_ping)

    def close_unless_connected(self) -> None:
        """No Socket.IO namespace connected in time (no token, or a refused one): close, so an
        anonymous WebSocket holds no worker memory for long."""
        eio = self.eio
        if eio.closing or eio.closed or self.namespaced(eio.sid):
            return
        self.server.logger.info("%s: no namespace connected in %s s, closing", eio.sid, self.connect_timeout)
        self.put(None)
        self.hang_up()

    def send_ping(self) -> None:
        eio = self.eio
        if not eio.closing and not eio.closed:
            eio.last_ping = time.time()
            eio.send(packet.Packet(packet.PING))

    # --- writing: the Engine.IO socket's queue ---

    def put(self, pkt) -> None:
        """Send a packet now; None closes the WebSocket (after what is still pending)."""
        if pkt is None:
            if self.conn.state in (ConnectionState.OPEN, ConnectionState.REMOTE_CLOSING):
                self.write(self.conn.send(CloseConnection(code=CloseReason.NORMAL_CLOSURE)))
            return
        if self.conn.state is not ConnectionState.OPEN:
            return
        encoded = pkt.encode()
        event = BytesMessage(data=encoded) if isinstance(encoded, bytes) else TextMessage(data=encoded)
        self.write(self.conn.send(event))

    def task_done(self) -> None:
        pass

    def join(self) -> None:
        """Wait until everything put so far is written (Engine.IO's close(wait=True))."""
        if self.flusher is not None:
            self.flusher.join()

    def write(self, data: bytes) -> None:
        """Write without waiting; what the kernel will not take yet goes to a flusher greenlet."""
        if self.backlog is not None:
            self.backlog.append(data)
            return
        try:
            sent = self.sock.send(data, 0, 0.0)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.hang_up()
            return
        if sent < len(data):
            self.backlog = [data[sent:]]
            self.flusher = gevent.spawn(self.flush)

    def flush(self) -> None:
        try:
            while self.backlog:
                chunk = b"".join(self.backlog)
                self.backlog.clear()
                self.sock.sendall(chunk)
        except OSError:  # the client stopped reading (timeout) or went away
            self.hang_up()
        finally:
            self.backlog = self.flusher = None

    def hang_up(self) -> None:
        """A write failed: wake the reading greenlet, which then ends the session."""
        try:
            self.sock.shutdown(stdlib_socket.SHUT_RDWR)
        except OSError:
            pass
