"""Password hashing with Argon2id (argon2-cffi), the one place passwords are handled.

A hash or a check costs ~150 ms of CPU and 64 MiB. A sign-in's check, which anyone can ask for,
runs under gevent (gunicorn -k gevent) in a small pool of real threads (argon2's C code releases
the GIL), so the worker's event loop serves every other request meanwhile; a check beyond the
pool and its short queue is refused at once (`Unavailable`, retry). Outside gevent (tests, the
CLI, flask run) the caller's own thread does the work.

Hashing a new password stays on the caller's thread: only staff creating an account do it, inside
a request whose transaction may be open, and on SQLite (BEGIN IMMEDIATE) a greenlet must not wait
holding that lock: another request's wait for it would block the whole worker (busy_timeout).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from gevent import monkey
from gevent.threadpool import ThreadPool
from sqlalchemy.orm import Session

from app.services.errors import Unavailable

T = TypeVar("T")

# Schemas and services check these. A courier types his on a handheld with gloves on: more than
# 6 characters (the hardening issue); staff sign in at a desk: 8 or more.
MIN_STAFF_PASSWORD_LENGTH = 8
MIN_COURIER_PASSWORD_LENGTH = 7

_hasher = PasswordHasher()
# Verifying against this keeps an unknown username as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class OffLoop:
    """Runs a CPU-bound call in a bounded pool of OS threads when under gevent, else inline."""

    def __init__(self, threads: int = 2, max_waiting: int = 8):
        self.threads, self.max_waiting = threads, max_waiting
        self.in_hand = 0  # calls running or queued; greenlets of one thread: a plain count is safe
        self._pool = None
        self._pool_pid: int | None = None

    def run(self, work: Callable[..., T], *args) -> T:
        """work(*args), off the event loop under gevent; Unavailable when too many wait already."""
        if not monkey.is_module_patched("threading"):
            return work(*args)
        if self.in_hand >= self.threads + self.max_waiting:
            raise Unavailable("Too many sign-ins at once; try again.")
        self.in_hand += 1
        try:
            return self._threadpool().apply(work, args)
        finally:
            self.in_hand -= 1

    def _threadpool(self):
        """gevent's pool of real threads, made in the process that uses it (gunicorn forks)."""
        if self._pool is None or self._pool_pid != os.getpid():
            self._pool, self._pool_pid = ThreadPool(self.threads), os.getpid()
        return self._pool


_off_loop = OffLoop()


def configure(time_cost: int, memory_cost: int, parallelism: int = 4) -> None:
    """Swap the hasher's cost (tests use a cheap one; production keeps the defaults)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash("not-a-real-password")  # as dear to check as a real one, at this cost


def configure_threads(threads: int, max_waiting: int) -> None:
    """Size the pool that hashes off the event loop (PASSWORD_HASH_THREADS, _MAX_WAITING)."""
    global _off_loop
    if (threads, max_waiting) != (_off_loop.threads, _off_loop.max_waiting):
        _off_loop = OffLoop(threads, max_waiting)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_after_read(session: Session, password_hash: str | None, password: str) -> bool:
    """verify_password once the session's read has ended (nothing is pending at a sign-in): the
    check waits for its thread holding no database connection, and no SQLite lock."""
    session.rollback()
    return verify_password(password_hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; never raises on a bad or missing hash. Off the loop."""
    matches = _off_loop.run(_verify, _hasher, password_hash or _DUMMY_HASH, password)
    return matches and password_hash is not None


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
