"""Redis commands that arrive while one is on the wire go together: one write, one read.

Under a burst a worker has dozens of shakes at the draw at once. Sent one by one, each costs
a send and a receive on both sides, and on loopback TCP the kernel's part of those was the
largest single cost in a shake's worker CPU (py-spy, bench/README.md). Here the first caller
sends its command at once; callers that come while it waits for Redis queue, and when its
reply is back the first of them sends everything queued as one pipeline (a group commit).
A caller alone is sent at once, as before; one connection serves the worker.

Works with threads and with gevent's patched threading alike.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import redis


class _Call:
    __slots__ = ("command", "ready", "done", "value", "error")

    def __init__(self, command: tuple):
        self.command = command
        self.ready = threading.Event()  # set when answered, or when it is this call's turn to send
        self.done = False
        self.value: Any = None
        self.error: BaseException | None = None

    def finish(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value, self.error, self.done = value, error, True
        self.ready.set()

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


class Pipeline:
    """Commands sent in turns on one connection: each turn carries every command that queued
    while the previous turn was on the wire. `call` returns the reply or raises as redis-py
    would (ResponseError for an error reply, ConnectionError and the like for the link)."""

    def __init__(self, connect: Callable[[], redis.connection.AbstractConnection]):
        self._connect = connect
        self._connection: redis.connection.AbstractConnection | None = None
        self._lock = threading.Lock()
        self._queue: list[_Call] = []
        self._sending = False
        self.turns = 0  # turns sent, and commands carried: how much was grouped
        self.carried = 0

    def call(self, *command) -> Any:
        call = _Call(command)
        with self._lock:
            self._queue.append(call)
            leads, self._sending = not self._sending, True
        if not leads:
            try:
                call.ready.wait()
            except BaseException:  # e.g. its greenlet killed while it waited
                self._leave(call)
                raise
        if not call.done:  # this caller sends the queue (itself included)
            self._send_turn()
        return call.outcome()

    def _leave(self, call: _Call) -> None:
        """A caller that stopped waiting: out of the queue, and if it was next to send, the
        caller after it sends instead (no one else would, and every later call would wait)."""
        with self._lock:
            if call not in self._queue:
                return  # on the wire in someone's turn: its reply is read and dropped
            self._queue.remove(call)
            if call.ready.is_set() and not call.done:  # it was told to send
                if self._queue:
                    self._queue[0].ready.set()
                else:
                    self._sending = False

    def _send_turn(self) -> None:
        with self._lock:
            turn, self._queue = self._queue, []
        try:
            self._send(turn)
        finally:
            for call in turn:  # cut short (e.g. the greenlet was killed): none of them waits forever
                if not call.done:
                    call.finish(error=redis.ConnectionError("the pipeline's turn was interrupted"))
            with self._lock:
                if self._queue:
                    self._queue[0].ready.set()  # the next in line sends what queued meanwhile
                else:
                    self._sending = False

    def _send(self, turn: list[_Call]) -> None:
        self.turns += 1
        self.carried += len(turn)
        connection = self._connection = self._connection or self._connect()
        try:
            connection.send_packed_command(connection.pack_commands([call.command for call in turn]))
            for call in turn:
                try:
                    call.finish(connection.read_response())
                except redis.ResponseError as error:  # this command's error reply; the link is fine
                    call.finish(error=error)
        except redis.RedisError as error:
            connection.disconnect()  # whatever it was in the middle of: the next turn reconnects
            for call in turn:
                if not call.done:
                    call.finish(error=error)
        except BaseException:  # cut short (its greenlet killed): replies still on the wire
            connection.disconnect()  # must not answer the next turn's calls
            raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.disconnect()
