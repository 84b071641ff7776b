"""A hand-rolled Engine.IO v4 / Socket.IO v5 client over a plain WebSocket (websocket-client),
speaking the wire format a wx.connectSocket adapter speaks: no cookies, no polling.

Wire format reminders, `/shopper` namespace:
    0{"sid",...}                  Engine.IO open         2 / 3      Engine.IO ping / pong
    40/shopper,{"token":"..."}    connect (auth)         40/shopper,{"sid":"..."}   accepted
    44/shopper,{"message":...}    connect refused        42/shopper,["name",{...}]  event
    42/shopper,7["shake",{...}]   event with ack id 7    43/shopper,7[{...}]        its ack
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import websocket

TIMEOUT = 5.0  # the longest any single wait may take


class Closed(Exception):
    """The server ended the Engine.IO session (close packet or WebSocket close)."""


@dataclass
class Packet:
    """One Socket.IO packet: kind 0 connect, 2 event, 3 ack, 4 connect error."""
    kind: int
    namespace: str
    ack_id: int | None
    data: object
    raw: str


SOCKETIO_PACKET = re.compile(r"4(?P<kind>\d)(?:(?P<ns>/[^,]*),)?(?P<ack>\d*)(?P<data>.*)", re.S)


def parse(text: str) -> Packet:
    """An Engine.IO message packet (`4...`) carrying one Socket.IO packet."""
    match = SOCKETIO_PACKET.fullmatch(text)
    assert match, f"not a Socket.IO packet: {text!r}"
    data = match["data"]
    return Packet(int(match["kind"]), match["ns"] or "/", int(match["ack"]) if match["ack"] else None,
                  json.loads(data) if data else None, text)


class RawClient:
    """A plain WebSocket speaking Engine.IO v4 by hand, as a mini-program adapter does."""

    def __init__(self, url: str, *, answer_pings: bool = True):
        # No cookie, no Origin (a mini-program is no browser page), no polling first.
        self.ws = websocket.create_connection(url, timeout=TIMEOUT, suppress_origin=True)
        self.answer_pings = answer_pings
        self.pings = 0
        self.inbox: list[Packet] = []
        self.closed = False
        self.ack_ids = iter(range(1, 10_000))
        self.handshake_headers = {k.lower(): v for k, v in (self.ws.getheaders() or {}).items()}
        first = self.next_packet(time.monotonic() + TIMEOUT)
        assert first.startswith("0"), f"expected the Engine.IO open packet, got {first!r}"
        self.open = json.loads(first[1:])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """A polite WebSocket close if the line is still up; the TCP socket is closed either way."""
        try:
            if not self.closed:
                self.ws.close(timeout=1)
        except (websocket.WebSocketException, OSError):
            pass
        finally:
            self.closed = True
            self.ws.shutdown()

    def send(self, text: str) -> None:
        self.ws.send(text)

    def next_packet(self, deadline: float) -> str:
        """The next Engine.IO packet other than a ping (answered here, if we answer pings)."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("nothing from the server in time")
            self.ws.settimeout(remaining)
            try:
                text = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except websocket.WebSocketConnectionClosedException:
                self.closed = True
                raise Closed() from None
            if text == "":  # a WebSocket close frame
                self.closed = True
                raise Closed()
            if text == "2":
                self.pings += 1
                if self.answer_pings:
                    self.send("3")
                continue
            if text == "1":
                self.closed = True
                raise Closed()
            if text == "6":  # noop
                continue
            return text

    def take(self, wanted, timeout: float = TIMEOUT) -> Packet:
        """The first Socket.IO packet for which wanted(packet) holds; others stay in the inbox."""
        for packet in self.inbox:
            if wanted(packet):
                self.inbox.remove(packet)
                return packet
        deadline = time.monotonic() + timeout
        while True:
            packet = parse(self.next_packet(deadline))
            if wanted(packet):
                return packet
            self.inbox.append(packet)

    def pump(self, seconds: float) -> None:
        """Stay on the line for `seconds`, answering pings and keeping what arrives."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.inbox.append(parse(self.next_packet(deadline)))
            except TimeoutError:
                return

    def connect(self, namespace: str, auth: dict | None) -> Packet:
        """Socket.IO CONNECT to a namespace; the answer is CONNECT (0) or CONNECT_ERROR (4)."""
        self.send(f"40{namespace}," + (json.dumps(auth) if auth is not None else ""))
        return self.take(lambda p: p.namespace == namespace and p.kind in (0, 4))

    def event(self, namespace: str, name: str, timeout: float = TIMEOUT) -> dict:
        """The payload of the next `name` event on `namespace`."""
        packet = self.take(lambda p: p.kind == 2 and p.namespace == namespace and p.data[0] == name,
                           timeout)
        assert packet.raw.startswith(f'42{namespace},["{name}",'), packet.raw
        return packet.data[1]

    def events(self, namespace: str, name: str) -> list[dict]:
        return [p.data[1] for p in self.inbox
                if p.kind == 2 and p.namespace == namespace and p.data[0] == name]

    def call(self, namespace: str, name: str, payload: dict, timeout: float = TIMEOUT) -> dict:
        """Emit `name` with an ack id and return the ack's first argument."""
        ack_id = next(self.ack_ids)
        self.send(f"42{namespace},{ack_id}" + json.dumps([name, payload]))
        packet = self.take(lambda p: p.kind == 3 and p.namespace == namespace and p.ack_id == ack_id, timeout)
        assert packet.raw.startswith(f"43{namespace},{ack_id}["), packet.raw
        assert isinstance(packet.data, list) and len(packet.data) == 1, packet.raw
        return packet.data[0]


