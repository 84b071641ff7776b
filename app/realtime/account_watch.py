"""Drops open `/courier` and `/console` sockets whose account was disabled or signed out.

A socket proves its token once, at connect; this loop holds every courier and staff socket of
the worker against its account every CHECK_SECONDS, with one query per audience for all of
them, so API.md's "within 5 s ... its sockets are dropped" holds on open sockets too. A console
socket whose role may no longer watch campaigns leaves their rooms (it stays connected).
Shopper sockets are not watched: shopper tokens are not revocable.
"""
from __future__ import annotations

import threading

from flask import Flask

from app.background import BackgroundLoop
from app.broadcasts import campaign_room
from app.extensions import db, socketio
from app.services.accounts.standing import Standing, still_stands
from app.services.accounts.tokens import Principal
from app.wiring import standings

CHECK_SECONDS = 2.0
WATCHING_ROLES = ("admin", "marketing")  # the roles that may watch a campaign's dashboard
CAMPAIGN_ROOM_PREFIX = campaign_room(0)[:-1]


def may_watch_campaigns(role: str | None) -> bool:
    return role in WATCHING_ROLES


class AccountWatch(BackgroundLoop):
    retry_seconds = CHECK_SECONDS

    def __init__(self, app: Flask):
        super().__init__(app)
        self._sockets: dict[tuple[str, str], Principal] = {}  # (namespace, sid) -> who connected
        self._lock = threading.Lock()

    def add(self, namespace: str, sid: str, principal: Principal) -> None:
        with self._lock:
            self._sockets[(namespace, sid)] = principal

    def remove(self, namespace: str, sid: str) -> None:
        with self._lock:
            self._sockets.pop((namespace, sid), None)

    def watched(self) -> dict[tuple[str, str], Principal]:
        with self._lock:
            return dict(self._sockets)

    def tick(self) -> float:
        self.check()
        return CHECK_SECONDS

    def check(self) -> None:
        """Drop the sockets of disabled or signed-out accounts; take watchers who lost the role out
        of campaign rooms; forget sockets that went away unnoticed."""
        watched = self.watched()
        for key in [key for key in watched if not socketio.server.manager.is_connected(key[1], key[0])]:
            self.remove(*key)
            del watched[key]
        if not watched:
            return
        current = self.read_standings(watched.values())
        for (namespace, sid), principal in watched.items():
            standing = current[principal.audience].get(principal.subject_id)
            if not still_stands(principal, standing):
                self.remove(namespace, sid)
                socketio.server.disconnect(sid, namespace=namespace, ignore_queue=True)
            elif principal.audience == "staff" and not may_watch_campaigns(standing.role):
                leave_campaign_rooms(namespace, sid)

    def read_standings(self, principals) -> dict[str, dict[int, Standing]]:
        """The accounts behind these principals, one query per audience (and the worker's cache refreshed)."""
        ids: dict[str, set[int]] = {"courier": set(), "staff": set()}
        for principal in principals:
            ids[principal.audience].add(principal.subject_id)
        with self.app.app_context():
            try:
                return {audience: standings().refresh(db.session, audience, wanted)
                        for audience, wanted in ids.items()}
            finally:
                db.session.remove()


def leave_campaign_rooms(namespace: str, sid: str) -> None:
    for room in socketio.server.manager.get_rooms(sid, namespace):
        if isinstance(room, str) and room.startswith(CAMPAIGN_ROOM_PREFIX):
            socketio.server.leave_room(sid, room, namespace=namespace)
