"""Limits on what one socket, and one account's sockets, may cost a worker.

Each connection has a token bucket of events (SOCKET_EVENTS_PER_SECOND, bursts of
SOCKET_EVENT_BURST): an event past it is acked with 429-equivalent `rate_limited` and does
nothing. Refused events pile up as debt that drains at the same rate; a socket whose debt passes
SOCKET_DISCONNECT_AFTER_REFUSED (one that keeps sending at many times its rate) is disconnected.
A human shaking, entering stores and leaving them stays far under the rate.

Each account (shopper, courier, staff member) keeps at most SOCKETS_PER_ACCOUNT sockets a
namespace on a worker: a new connection past that drops the account's oldest one, so a phone
that reconnects after losing its network is never refused while its old socket waits out
its ping timeout.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, Namespace

from app.services.errors import OUTAGES, RateLimited
from app.services.idempotency import error_body

log = logging.getLogger(__name__)


@contextmanager
def refusing_outages():
    """Around a connect handler: a database or Redis outage refuses the connection as
    `unavailable` (the client retries), never as a failure of ours."""
    try:
        yield
    except OUTAGES as outage:
        log.error("database or Redis unreachable at a socket connect: %s", getattr(outage, "orig", None) or outage)
        raise ConnectionRefusedError("unavailable") from None

# Defaults of the settings above (app/config.py).
EVENTS_PER_SECOND = 20.0
EVENT_BURST = 40
DISCONNECT_AFTER_REFUSED = 200
SOCKETS_PER_ACCOUNT = 5


class EventBucket:
    """One connection's allowance of events, and its debt of refused ones."""

    __slots__ = ("tokens", "debt", "stamp")

    def __init__(self, burst: float, now: float):
        self.tokens, self.debt, self.stamp = float(burst), 0.0, now

    def take(self, rate: float, burst: float, now: float) -> bool:
        """Spend one event if the bucket allows; else count it as refused."""
        elapsed, self.stamp = max(0.0, now - self.stamp), now
        self.tokens = min(float(burst), self.tokens + elapsed * rate)
        self.debt = max(0.0, self.debt - elapsed * rate)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        self.debt += 1.0
        return False


class GuardedNamespace(Namespace):
    """A namespace whose connections are rate-limited and counted per account."""

    def __init__(self, namespace: str):
        super().__init__(namespace)
        self.buckets: dict[str, EventBucket] = {}
        self.sockets_of: dict[int, list[str]] = {}  # a list: 5 at most, a deque is 600 B a socket
        self.account_of: dict[str, int] = {}

    # Checked inside the handlers (namespaces.py: `refusing_outages` in on_connect, `flooding` in
    # every event's ack, `on_disconnect` here), not by overriding `trigger_event`: with that
    # override every idle connected socket cost the worker 4 KiB more (bench.idle_memory, 43 vs
    # 39 KiB), for reasons not found.

    def on_disconnect(self, *_reason):
        """The socket went away: forget its allowance and its place among its account's sockets."""
        self.forget(request.sid)

    def flooding(self) -> dict | None:
        """The ack of an event past this connection's rate (`rate_limited`), else None."""
        if self.admit(request.sid):
            return None
        return error_body(RateLimited(1, "Too many events on this connection; slow down."))

    def admit(self, sid: str) -> bool:
        """Whether this event of the connection may run (in its handler's request context);
        disconnect a socket far over its rate."""
        config = current_app.config
        rate = config.get("SOCKET_EVENTS_PER_SECOND", EVENTS_PER_SECOND)
        burst = config.get("SOCKET_EVENT_BURST", EVENT_BURST)
        now = time.monotonic()
        bucket = self.buckets.get(sid)
        if bucket is None:
            bucket = self.buckets[sid] = EventBucket(burst, now)
        if bucket.take(rate, burst, now):
            return True
        if bucket.debt > config.get("SOCKET_DISCONNECT_AFTER_REFUSED", DISCONNECT_AFTER_REFUSED):
            log.warning("socket %s on %s far over its event rate: disconnected", sid, self.namespace)
            self.forget(sid)
            self.socketio.server.disconnect(sid, namespace=self.namespace)
        return False

    def hold(self, account_id: int) -> None:
        """Count this connection (in on_connect) against its account; drop the account's oldest
        sockets past SOCKETS_PER_ACCOUNT."""
        limit = current_app.config.get("SOCKETS_PER_ACCOUNT", SOCKETS_PER_ACCOUNT)
        sockets = self.sockets_of.setdefault(account_id, [])
        sockets.append(request.sid)
        self.account_of[request.sid] = account_id
        while len(sockets) > limit:
            oldest = sockets.pop(0)
            self.account_of.pop(oldest, None)
            log.info("account %s opened more than %s sockets on %s: dropping the oldest", account_id,
                     limit, self.namespace)
            self.socketio.server.disconnect(oldest, namespace=self.namespace)

    def forget(self, sid) -> None:
        self.buckets.pop(sid, None)
        account_id = self.account_of.pop(sid, None)
        sockets = self.sockets_of.get(account_id)
        if sockets is not None:
            if sid in sockets:
                sockets.remove(sid)
            if not sockets:
                del self.sockets_of[account_id]
