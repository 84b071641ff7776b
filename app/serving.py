"""Fair turns for keep-alive connections under `gunicorn -k gevent`.

A greenlet gives the worker up only when it would block. A keep-alive client that sends its
next request as soon as it has the answer (a shopper's phone, wrk, a proxy's pool) often has
it in the kernel before the greenlet reads again, so the greenlet serves request after
request without ever yielding, while the other connections' requests wait: at saturation
most requests were answered in under a millisecond and one in a hundred waited 100-500 ms
(healthz p99; issue 6, bench/README.md). Here each response, once sent, waits one turn of
the event loop, behind every connection already waiting, before its connection's next
request is read. The same requests are served in the same time, in the order they came.
"""
from __future__ import annotations

import gevent
from gevent import monkey

TURN_SECONDS = 1e-6  # any positive delay: a timer, so the loop polls for I/O before it resumes


def take_turns(wsgi_app):
    """`wsgi_app`, whose responses each end with a wait for the event loop's next turn.

    Only under gevent's monkey-patching (gunicorn's gevent worker); elsewhere, as it is.
    """
    if not monkey.is_module_patched("socket"):
        return wsgi_app

    def app(environ, start_response):
        return TurnAfter(wsgi_app(environ, start_response))

    return app


class TurnAfter:
    """A WSGI response whose close() (called once it has been written) yields a turn."""

    def __init__(self, response):
        self.response = response

    def __iter__(self):
        return iter(self.response)

    def close(self) -> None:
        try:
            if hasattr(self.response, "close"):
                self.response.close()
        finally:
            gevent.sleep(TURN_SECONDS)
