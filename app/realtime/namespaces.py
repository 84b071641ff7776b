"""Socket.IO namespaces. Each authenticates in connect(auth) and refuses a bad token."""
from __future__ import annotations

from flask import current_app, session
from flask_socketio import ConnectionRefusedError, Namespace, join_room

from app.extensions import db
from app.realtime.rooms import compound_room, courier_room
from app.services import residence
from app.services.errors import ServiceError


def principal_from_auth(auth, audience: str):
    """The principal of a connect-time `auth: {"token"}`, else refuse the connection."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if not isinstance(token, str) or not token:
        raise ConnectionRefusedError("unauthorized")
    try:
        return current_app.extensions["xiaoge.tokens"].verify(token, audience)
    except ServiceError:
        raise ConnectionRefusedError("unauthorized") from None


class ShopperNamespace(Namespace):
    def on_connect(self, auth=None):
        """A shopper connects; they join their home compound's room to hear the van."""
        principal = principal_from_auth(auth, "shopper")
        session["shopper_id"] = principal.subject_id
        compound_id = residence.home_compound_id(db.session, principal.subject_id)
        if compound_id is not None:
            join_room(compound_room(compound_id))
        db.session.remove()


class CourierNamespace(Namespace):
    def on_connect(self, auth=None):
        """A courier's handheld connects; it joins its own room for pick-list updates."""
        principal = principal_from_auth(auth, "courier")
        session["courier_id"] = principal.subject_id
        join_room(courier_room(principal.subject_id))


class ConsoleNamespace(Namespace):
    def on_connect(self, auth=None):
        """A staff console connects to watch campaigns live."""
        principal = principal_from_auth(auth, "staff")
        session["staff_id"] = principal.subject_id
