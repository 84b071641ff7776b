"""The courier's "arrived" tap over REST, and the pick list."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.actions import arrivals
from app.api.auth import auth_required, principal
from app.api.errors import ErrorBody
from app.extensions import db
from app.schemas.base import QueryId
from app.schemas.paging import NextCursor, OwnListArgs, own_list
from app.schemas.pickup import PickupOut
from app.schemas.shake import ArrivalAnswer, ArrivalIn
from app.services.store import pickups

blp = Blueprint("courier_arrivals", __name__, url_prefix="/api/v1/courier", description="Arrivals and pickups")


class PickupQuery(OwnListArgs):
    # A query string is text: "42" must load (a strict Id refused every value).
    compound_id = QueryId(load_default=None)


class PickupList(Schema):
    orders = fields.List(fields.Nested(PickupOut))
    next_cursor = NextCursor()  # only when there is more


@blp.post("/arrivals")
@auth_required("courier")
@blp.arguments(ArrivalIn)
@blp.response(201, ArrivalAnswer)
@blp.alt_response(422, schema=ErrorBody,
                  description="stale_event or too_far (past the compound's radius + 300 m): recorded, opens "
                  "nothing; the body also carries `arrival` and empty `rounds`, replayed as is")
@blp.alt_response(429, schema=ErrorBody,
                  description="rate_limited: more than ARRIVALS_PER_MINUTE taps a minute; nothing recorded, "
                  "retry after `retry_after_seconds` with the same event_id")
def arrive(body):
    """The van is in the compound: record once per event_id and open its shake rounds."""
    answer = arrivals.arrive(principal().subject_id, body)
    return jsonify(answer.body), answer.status


@blp.get("/pickups")
@auth_required("courier")
@blp.arguments(PickupQuery, location="query")
@blp.response(200, PickupList)
def pick_list(query):
    """Orders waiting for handover at the van, optionally for one compound, oldest first, a page at a time."""
    page = pickups.pick_list(db.session, principal().subject_id, query["compound_id"], query["cursor"],
                             query["limit"])
    return own_list("orders", page.items, page.next_after)
