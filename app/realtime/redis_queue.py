"""The Socket.IO message queue over Redis, made to ride out a Redis outage.

python-socketio's RedisManager logs a failed publish and drops it, so shoppers on other workers
never hear that `van_arrived` or `shake_open`; and its listener backs off up to 60 s, so a
worker stays deaf for up to a minute after Redis is back. Here a publish that fails is kept
(in order, at most PENDING_LIMIT, each for SOCKETIO_PUBLISH_RETRY_SECONDS) and published again
by a background task once Redis answers and the workers' listeners are back on the channel;
the listener retries within LISTEN_RETRY_MAX_SECONDS. What a worker's listener misses while
only its own link to Redis is down is not replayed: shoppers fall back on polling
`GET /api/v1/compounds/<id>/shake` (docs/operations.md).
"""
from __future__ import annotations

import time
from collections import deque

import socketio

LISTEN_RETRY_MAX_SECONDS = 2.0
PUBLISH_RETRY_SECONDS = 30.0
PENDING_LIMIT = 1000
RETRY_PAUSE_SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0)
CONNECT_TIMEOUT_SECONDS = 2.0  # a Redis host that does not answer must not hold a request long


def pause(seconds: float) -> None:
    time.sleep(seconds)  # gevent's sleep in a gevent worker (monkey-patched), as python-socketio's


class ResilientRedisManager(socketio.RedisManager):
    """RedisManager whose publishes are retried, not dropped, and whose listener comes back fast."""

    def __init__(self, url: str, channel: str, retry_seconds: float = PUBLISH_RETRY_SECONDS):
        super().__init__(url, channel=channel,
                         redis_options={"socket_connect_timeout": CONNECT_TIMEOUT_SECONDS})
        self.retry_seconds = retry_seconds
        self.pending: deque[tuple[float, dict]] = deque(maxlen=PENDING_LIMIT)
        self.retrying = False
        self.listeners = 0  # subscribers a publish reached last time all was well

    def _publish(self, data):
        """Publish now if Redis answers and nothing older waits; else keep it for the retrier."""
        if not self.pending and self.publish_once(data):
            return
        self.pending.append((time.monotonic(), data))
        self.start_retrying()

    def start_retrying(self) -> None:
        if not self.retrying:
            self.retrying = True
            self.server.start_background_task(self.retry_pending)

    def publish_once(self, data) -> bool:
        try:
            if not self.connected:
                self._redis_connect()
            reached = self.redis.publish(self.channel, self.json.dumps(data))
        except Exception as error:  # any Redis trouble: the message waits, the caller goes on
            self._get_logger().warning("Cannot publish to Redis, will retry: %s", error)
            self.connected = False
            return False
        if not self.pending:
            self.listeners = reached or 0
        return True

    def retry_pending(self) -> None:
        """Publish what waits, oldest first, once Redis answers and the listeners are back."""
        failures, answered_at = 0, None
        try:
            while self.pending:
                self.drop_expired()
                listening = self.listening()
                if listening is None:
                    answered_at = None
                elif answered_at is None:
                    answered_at = time.monotonic()
                # the workers' listeners resubscribe within their retry pause: wait for them, a while
                ready = listening is not None and (listening >= self.listeners or
                                                   time.monotonic() - answered_at > LISTEN_RETRY_MAX_SECONDS + 1)
                if self.pending and ready and self.publish_once(self.pending[0][1]):
                    self.pending.popleft()
                    failures = 0
                    continue
                self.server.sleep(RETRY_PAUSE_SECONDS[min(failures, len(RETRY_PAUSE_SECONDS) - 1)])
                failures += 1
        finally:
            self.retrying = False
        if self.pending:  # kept (from another thread) as the loop ended
            self.start_retrying()

    def listening(self) -> int | None:
        """Subscribers of the channel now; None if Redis does not answer."""
        try:
            if not self.connected:
                self._redis_connect()
            [(_, count)] = self.redis.pubsub_numsub(self.channel)
        except Exception:
            self.connected = False
            return None
        return count

    def drop_expired(self) -> None:
        oldest_kept = time.monotonic() - self.retry_seconds
        while self.pending and self.pending[0][0] < oldest_kept:
            self.pending.popleft()
            self._get_logger().error("A broadcast waited %s s for Redis and was dropped", self.retry_seconds)

    def _redis_listen_with_retries(self):
        """python-socketio's listener loop, its back-off bounded by LISTEN_RETRY_MAX_SECONDS."""
        retry_sleep = 0.25
        subscribed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed, retry_sleep = True, 0.25
                yield from self.pubsub.listen()
            except Exception as error:
                self._get_logger().error("Cannot receive from Redis, retrying in %s s: %s",
                                         retry_sleep, error)
                subscribed = False
                pause(retry_sleep)
                retry_sleep = min(retry_sleep * 2, LISTEN_RETRY_MAX_SECONDS)
