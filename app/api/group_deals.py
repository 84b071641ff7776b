"""Group deals (凑单): marketing opens one in a compound; neighbours read it and join it with an order."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from app.actions import group_deals as group_actions
from app.api.auth import auth_required, principal
from app.api.errors import ErrorBody
from app.extensions import db
from app.schemas import groups as s
from app.schemas.shopper import IdempotencyHeader
from app.services.groups import deals

blp = Blueprint("group_deals", __name__, url_prefix="/api/v1", description="Group deals (凑单)")


@blp.post("/console/group-deals")
@auth_required("staff", "marketing")
@blp.arguments(s.GroupDealIn)
@blp.response(201, s.GroupDealEnvelope)
def open_group_deal(body):
    """Open a group deal in a compound: the product at the group price once `min_households` join
    before the deadline (at most `max_households`, if given)."""
    return {"group_deal": group_actions.open_deal(principal().subject_id, body)}


@blp.post("/group-deals")
@auth_required("shopper")
@blp.arguments(s.ShopperGroupIn)
@blp.response(201, s.GroupDealEnvelope)
@blp.alt_response(200, schema=s.GroupDealEnvelope, description="a group is already open on that deal there: join it")
@blp.alt_response(403, schema=ErrorBody, description="not_in_compound")
def open_group_on_deal(body):
    """Extension: a shopper opens a group deal (凑单) on a deal that allows it (its group price and
    households), in their compound, for 48 hours or until the deal ends; then joins it like any other.
    When one is already open on that deal there, it answers that one (200). Anyone in the compound
    hears it as `/shopper` `group_progress`."""
    group, opened = group_actions.open_on_deal(principal().subject_id, body)
    return {"group_deal": group}, 201 if opened else 200


@blp.get("/group-deals/<int:deal_id>")
@auth_required("shopper")
@blp.response(200, s.GroupDealEnvelope)
@blp.alt_response(404, schema=ErrorBody, description="not_found")
def get_group_deal(deal_id):
    """A group deal and its progress (any shopper: a share link opens it); also pushed to the compound's
    room as `/shopper` `group_progress`."""
    return {"group_deal": deals.get_deal(db.session, deal_id)}


@blp.post("/group-deals/<int:deal_id>/joins")
@auth_required("shopper")
@blp.arguments(IdempotencyHeader, location="headers")
@blp.arguments(s.JoinIn)
@blp.response(201, s.JoinEnvelope)
@blp.alt_response(403, schema=ErrorBody, description="not_in_compound: the deal is for another compound")
@blp.alt_response(409, schema=ErrorBody, description="group_full, group_closed (failed, or past its deadline), "
                                                     "already_joined")
def join_group_deal(headers, body, deal_id):
    """Join with an order at the group price, paid at the van (`at_van`) or through WeChat Pay
    (`wechat`); held until the group succeeds (then on the courier's pick list), cancelled and
    refunded if it fails. The same Idempotency-Key replays the first answer."""
    answer = group_actions.join(principal().subject_id, deal_id, headers["idempotency_key"], body)
    return jsonify(answer.body), answer.status  # already serialised (a replay may be an error body)
