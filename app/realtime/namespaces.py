"""Socket.IO namespaces. Each authenticates in connect(auth) and refuses a bad token.

Handlers call the same actions and services as the REST API. Every event is acked with one
shape: the body the REST call would answer (the shake's body, the arrival's body), or API.md's
error shape `{"error": {...}}` for a refusal; socket-only events ack a small body of their own.
"""
from __future__ import annotations

import logging

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, join_room, leave_room

from app import metrics
from app.actions import arrivals, shakes
from app.actions.residence import remember_resident
from app.actions.store import announce_live, viewing
from app.broadcasts import campaign_room, compound_room, courier_room
from app.extensions import db
from app.realtime.account_watch import may_watch_campaigns
from app.realtime.guard import GuardedNamespace, refusing_outages
from app.schemas.loading import load
from app.schemas.shake import ArrivalIn, EnterStoreIn, SocketShakeIn, ViewingIn, WatchCampaignIn
from app.services.errors import OUTAGES, Forbidden, ServiceError, Unavailable
from app.services.idempotency import error_body
from app.services.places import residence
from app.services.store import catalog, storefront
from app.wiring import signed_in, standings

log = logging.getLogger(__name__)


def principal_from_auth(auth, audience: str):
    """The principal of a connect-time `auth: {"token"}`, else refuse the connection."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if not isinstance(token, str) or not token:
        raise ConnectionRefusedError("unauthorized")
    start_background_tasks()
    try:
        return signed_in(token, audience)
    except ServiceError:
        raise ConnectionRefusedError("unauthorized") from None


def start_background_tasks() -> None:
    """Start this worker's background loops (once): on its first request or socket connect,
    so a worker that only ever serves sockets runs them too."""
    for task in current_app.extensions.get("xiaoge.background_tasks", ()):
        task.start()


def watch_account(principal) -> None:
    """Hold this socket against its account from now on (account_watch.py drops it when revoked)."""
    session["principal"] = principal
    current_app.extensions["xiaoge.account_watch"].add(request.namespace, request.sid, principal)


def unwatch_account() -> None:
    current_app.extensions["xiaoge.account_watch"].remove(request.namespace, request.sid)


def acked(namespace: GuardedNamespace, run) -> dict:
    """The ack of a handler: what `run` answers, or, for a refusal or a failure of ours, the
    error body, so a client waiting for its ack is never left waiting. An event past the
    connection's rate does nothing and is acked `rate_limited`."""
    flooded = namespace.flooding()
    if flooded is not None:
        return flooded
    try:
        return run()
    except ServiceError as refusal:
        db.session.rollback()
        metrics.refused(refusal.code)
        return error_body(refusal)
    except OUTAGES as outage:  # as REST answers it: a 503 to retry, not our bug
        db.session.rollback()
        log.error("database or Redis unreachable in a socket handler: %s",
                  getattr(outage, "orig", None) or outage)
        metrics.refused(Unavailable.code)
        return error_body(Unavailable())
    except Exception:
        db.session.rollback()
        log.exception("socket handler failed")
        metrics.refused("internal_error")
        return {"error": {"code": "internal_error", "message": "Something went wrong on our side."}}


class ShopperNamespace(GuardedNamespace):
    def on_connect(self, auth=None):
        """Sent by the mini-program; the shopper joins their home compound's room to hear the van."""
        with refusing_outages():
            principal = principal_from_auth(auth, "shopper")
            session["shopper_id"] = principal.subject_id
            self.hold(principal.subject_id)
            compound_id = residence.home_compound_id(db.session, principal.subject_id)
            session["home_compound_id"] = compound_id  # trusted by this socket's shakes (DrawEngine.shake)
            if compound_id is not None:
                join_room(compound_room(compound_id))
                remember_resident(principal.subject_id, compound_id)

    def on_enter_store(self, data=None, *_ignored):
        """Sent by a shopper opening a store; joins its compound's room; the room hears `live`
        within a second (coalesced: app/actions/store.py). Acked with `{"compound_id",
        "watching", "buying"}`."""
        def run():
            body = load(EnterStoreIn, data)
            store_session = storefront.get_store_session(db.session, body["store_session_id"], session["shopper_id"])
            previous = session.get("store_compound_id")
            if previous is not None and previous != store_session.compound_id:
                leave_room(compound_room(previous))
            session["store_compound_id"] = store_session.compound_id
            join_room(compound_room(store_session.compound_id))
            counts = announce_live(store_session.compound_id)
            return {"compound_id": store_session.compound_id, "watching": counts.watching,
                    "buying": counts.buying}
        return acked(self, run)

    def on_viewing(self, data=None, *_ignored):
        """Sent by a shopper whose screen shows a product of the store (`product_id`, or null: no
        product), and again every minute while it does: they count as watching it for
        POPULARITY_WATCH_SECONDS (2 minutes). The room hears the changed figures within a second
        (`live` `items`). Acked with `{"ok": true}`."""
        def run():
            body = load(ViewingIn, data)
            store_session = storefront.get_store_session(db.session, body["store_session_id"], session["shopper_id"])
            if body["product_id"] is not None:
                catalog.get_product(db.session, body["product_id"])
            viewing(session["shopper_id"], store_session.compound_id, body["product_id"])
            return {"ok": True}
        return acked(self, run)

    def on_leave_store(self, data=None, *_ignored):
        """Sent by a shopper leaving the store; they stop hearing that compound (unless it is home).
        Acked with `{"ok": true}`."""
        def run():
            compound_id = session.get("store_compound_id")
            home = residence.home_compound_id(db.session, session["shopper_id"])
            if compound_id is not None and compound_id != home:
                leave_room(compound_room(compound_id))
            session.pop("store_compound_id", None)
            return {"ok": True}
        return acked(self, run)

    def on_shake(self, data=None, *_ignored):
        """Sent by a shaking shopper; acked with the REST shake's body."""
        def run():
            body = load(SocketShakeIn, data)
            return shakes.shake(session["shopper_id"], body["round_id"], body["shake_id"],
                                known_home=session.get("home_compound_id")).answer.body
        return acked(self, run)


class CourierNamespace(GuardedNamespace):
    def on_connect(self, auth=None):
        """A courier's handheld connects; it joins its own room and hears `pickup_added`."""
        with refusing_outages():
            principal = principal_from_auth(auth, "courier")
            session["courier_id"] = principal.subject_id
            self.hold(principal.subject_id)
            join_room(courier_room(principal.subject_id))
            watch_account(principal)

    def on_disconnect(self, *reason):
        """The handheld went away (or was signed out)."""
        super().on_disconnect(*reason)
        unwatch_account()

    def on_arrived(self, data=None, *_ignored):
        """Sent by the handheld on "arrived"; acked with the REST answer's body (a replay's too)."""
        def run():
            return arrivals.arrive(session["courier_id"], load(ArrivalIn, data)).body
        return acked(self, run)


class ConsoleNamespace(GuardedNamespace):
    def on_connect(self, auth=None):
        """A staff console connects to watch campaigns live."""
        with refusing_outages():
            principal = principal_from_auth(auth, "staff")
            session["staff_id"] = principal.subject_id
            self.hold(principal.subject_id)
            watch_account(principal)

    def on_disconnect(self, *reason):
        """The console went away (or was signed out)."""
        super().on_disconnect(*reason)
        unwatch_account()

    def on_watch_campaign(self, data=None, *_ignored):
        """Sent by a console dashboard; it then hears that campaign's rounds and `campaign_stats`.
        Acked with `{"ok": true, "campaign_id"}`."""
        def run():
            current = standings().admit(db.session, session["principal"])  # the role as it is now
            if not may_watch_campaigns(current.role):
                raise Forbidden()
            campaign_id = load(WatchCampaignIn, data)["campaign_id"]
            join_room(campaign_room(campaign_id))
            return {"ok": True, "campaign_id": campaign_id}
        return acked(self, run)
