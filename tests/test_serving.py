"""app/serving.py: under gevent each response ends with a turn of the event loop.

Whether the turns make serving fair is a load figure (bench/README.md: healthz p99 at
saturation); here, that the wrapper keeps the WSGI contract and yields once per response.
"""
from __future__ import annotations

import pytest

from app import serving


def test_outside_gevent_the_app_is_served_as_it_is():
    def wsgi_app(environ, start_response):
        return [b"ok"]

    assert serving.take_turns(wsgi_app) is wsgi_app  # pytest does not monkey-patch the socket module


class Response:
    def __init__(self, fail_on_close=False):
        self.closed = False
        self.fail_on_close = fail_on_close

    def __iter__(self):
        return iter([b"a", b"b"])

    def close(self):
        self.closed = True
        if self.fail_on_close:
            raise OSError("client went away")


def test_a_response_is_written_then_closed_then_its_turn_is_given_up(monkeypatch):
    turns = []
    monkeypatch.setattr(serving.gevent, "sleep", lambda seconds: turns.append(seconds))
    inner = Response()
    response = serving.TurnAfter(inner)

    assert b"".join(response) == b"ab" and turns == []
    response.close()

    assert inner.closed and turns == [serving.TURN_SECONDS] and serving.TURN_SECONDS > 0


def test_the_turn_is_given_up_even_when_closing_fails(monkeypatch):
    turns = []
    monkeypatch.setattr(serving.gevent, "sleep", lambda seconds: turns.append(seconds))

    with pytest.raises(OSError):
        serving.TurnAfter(Response(fail_on_close=True)).close()
    assert turns == [serving.TURN_SECONDS]


def test_a_response_without_close_is_fine(monkeypatch):
    monkeypatch.setattr(serving.gevent, "sleep", lambda seconds: None)
    serving.TurnAfter([b"plain list"]).close()
