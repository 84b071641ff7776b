"""app/realtime/lean_websocket.py stands in for python-engineio's WebSocket transport only on the
version it was written for, with the internals it uses there; otherwise the stock one serves.

No server: a stand-in for the Engine.IO server is enough to see which transport install() picks.
"""
from __future__ import annotations

import functools
import logging
import re

import engineio
import gevent
import pytest

from app.realtime import lean_websocket
from tests.real_server import ROOT


def stock_websocket(handler, server):
    """python-engineio's own transport, as far as install() can tell."""


class EngineIOServer:
    def __init__(self, async_mode: str = "gevent"):
        self.async_mode = async_mode
        self._async = {"websocket": stock_websocket, "sleep": gevent.sleep}

    def _bad_request(self, message=None):
        return [message]


@pytest.fixture(autouse=True)
def greenlet_tree(monkeypatch):
    """install() turns gevent's greenlet tree off: put it back after each test."""
    monkeypatch.setattr(gevent.config, "track_greenlet_tree", gevent.config.track_greenlet_tree)


def reported_version(monkeypatch, version: str) -> None:
    real = lean_websocket.metadata.version
    monkeypatch.setattr(lean_websocket.metadata, "version",
                        lambda name: version if name == "python-engineio" else real(name))


def warnings_from(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == lean_websocket.__name__ and r.levelno == logging.WARNING]


def test_the_guard_and_requirements_txt_name_the_same_python_engineio():
    pins = re.findall(r"^python-engineio==(\S+)", (ROOT / "requirements.txt").read_text(), re.MULTILINE)

    assert pins == [lean_websocket.WRITTEN_FOR]


def test_another_version_keeps_the_stock_transport_and_says_so_once(monkeypatch, caplog):
    reported_version(monkeypatch, "4.16.0")
    server = EngineIOServer()

    lean_websocket.install(server)

    assert server._async["websocket"] is stock_websocket
    assert len(warnings_from(caplog)) == 1 and "4.16.0" in warnings_from(caplog)[0]


def socket_init_without_last_ping(self, server, sid):
    self.server, self.sid, self.queue = server, sid, server.create_queue()
    self.connected = self.upgraded = self.closing = self.closed = False


def test_missing_internals_keep_the_stock_transport_and_say_which(monkeypatch, caplog):
    reported_version(monkeypatch, lean_websocket.WRITTEN_FOR)
    monkeypatch.delattr(EngineIOServer, "_bad_request")
    monkeypatch.delattr(lean_websocket.Socket, "schedule_ping")
    monkeypatch.setattr(lean_websocket.Socket, "__init__", socket_init_without_last_ping)
    server = EngineIOServer()

    lean_websocket.install(server)

    assert server._async["websocket"] is stock_websocket
    [warning] = warnings_from(caplog)
    assert all(name in warning for name in ("server._bad_request", "Socket.schedule_ping", "Socket().last_ping"))
    assert "Socket().queue" not in warning


def test_the_version_written_for_gets_the_lean_transport(monkeypatch, caplog):
    reported_version(monkeypatch, lean_websocket.WRITTEN_FOR)
    server = EngineIOServer()

    lean_websocket.install(server)

    lean = server._async["websocket"]
    assert isinstance(lean, functools.partial) and lean.func is lean_websocket.LeanWebSocket
    assert lean.keywords == {"fallback": stock_websocket, "connect_timeout": 0.0, "namespaced": None}
    assert server._async["sleep"] is gevent.sleep
    assert warnings_from(caplog) == []


def test_outside_gevent_nothing_is_installed_and_nothing_said(caplog):
    server = EngineIOServer(async_mode="threading")

    lean_websocket.install(server)

    assert server._async["websocket"] is stock_websocket and warnings_from(caplog) == []


def test_the_installed_python_engineio_has_what_the_lean_transport_uses():
    """Fails on an upgrade until lean_websocket.py is checked against it (and WRITTEN_FOR moved)."""
    assert lean_websocket.unsupported(engineio.Server(async_mode="gevent")) is None
