"""Whether a courier's or staff member's token still stands: the account is not disabled, the
token not signed out; and the role it acts with now.

Tokens are signed and checked without the database (tokens.py); a courier or staff token is
also held against its account's state, read through a small per-process cache so that a
disable, a sign-out or a role change reaches every worker within STANDING_CACHE_SECONDS (+ a
request's time): API.md promises 5 s. Shopper tokens are not held against anything: the shake
path reads no account row.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from cachetools import TTLCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Courier, Staff
from app.services.accounts.tokens import Principal
from app.services.errors import Unauthorized

# How long one worker trusts what it read of an account; well inside API.md's 5 s.
STANDING_CACHE_SECONDS = 2.0
REVOCABLE_AUDIENCES = ("courier", "staff")


@dataclass(frozen=True)
class Standing:
    """An account's state as far as its tokens care."""

    disabled: bool
    token_version: int
    role: str | None = None


def standing_of_row(row) -> Standing:
    return Standing(bool(row.disabled), int(row.token_version), getattr(row, "role", None))


def read_standings(session: Session, audience: str, ids: Iterable[int]) -> dict[int, Standing]:
    """The standing of these accounts, in one query; an unknown id is left out (gone)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    if audience == "staff":
        query = select(Staff.id, Staff.disabled, Staff.token_version, Staff.role).where(Staff.id.in_(ids))
    else:
        query = select(Courier.id, Courier.disabled, Courier.token_version).where(Courier.id.in_(ids))
    return {row.id: standing_of_row(row) for row in session.execute(query)}


def still_stands(principal: Principal, standing: Standing | None) -> bool:
    """Is a token of this principal still good against its account's state?"""
    return (standing is not None and not standing.disabled
            and standing.token_version == principal.token_version)


class AccountStandings:
    """Holds courier and staff principals against their accounts, through a short cache."""

    def __init__(self, cache_seconds: float = STANDING_CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.clock = clock  # read through the attribute, so a test can move it instead of sleeping
        self._cache = TTLCache(maxsize=100_000, ttl=cache_seconds, timer=lambda: self.clock())
        self._lock = threading.Lock()  # cachetools caches are not thread-safe

    def admit(self, session: Session, principal: Principal) -> Principal:
        """The principal with its account's current role, else Unauthorized (disabled, signed out, gone)."""
        if principal.audience not in REVOCABLE_AUDIENCES:
            return principal
        key = (principal.audience, principal.subject_id)
        with self._lock:
            standing = self._cache.get(key)
        if standing is None:
            read = self.refresh(session, principal.audience, [principal.subject_id])
            standing = read.get(principal.subject_id)
        if not still_stands(principal, standing):
            raise Unauthorized("This sign-in has been withdrawn; sign in again.")
        return replace(principal, role=standing.role) if principal.audience == "staff" else principal

    def refresh(self, session: Session, audience: str, ids: Iterable[int]) -> dict[int, Standing]:
        """Read these accounts afresh (one query) and remember what was read."""
        standings = read_standings(session, audience, ids)
        with self._lock:
            for account_id, standing in standings.items():
                self._cache[(audience, account_id)] = standing
        return standings

    def forget(self, audience: str, account_id: int) -> None:
        """Drop what this worker remembers of an account (it just changed here)."""
        with self._lock:
            self._cache.pop((audience, account_id), None)
