"""Shaking over REST: the compound's open round, a shake, the shopper's wins."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from app.actions import shakes
from app.api.auth import auth_required, principal
from app.api.bodies import documented_body, json_body
from app.api.errors import ErrorBody
from app.extensions import db
from app.models import Compound, utcnow
from app.schemas import shake as s
from app.schemas.paging import OwnListArgs, own_list
from app.services.campaigns import rounds
from app.services.errors import NotFound
from app.services.shaking.answers import prize_won
from app.services.shaking.recording import shopper_wins
from app.wiring import draw_engine

blp = Blueprint("shopper_shakes", __name__, url_prefix="/api/v1", description="Shake")


@blp.get("/compounds/<int:compound_id>/shake")
@auth_required("shopper")
@blp.response(200, s.CurrentRoundEnvelope)
def current_round(compound_id):
    """The round open in this compound now, with the shopper's shakes left, or null."""
    if db.session.get(Compound, compound_id) is None:
        raise NotFound("No such compound.")
    shake_round = rounds.open_round_in(db.session, compound_id, utcnow())
    if shake_round is None:
        return {"round": None}
    return {"round": {"id": shake_round.id, "campaign": shake_round.campaign,
                      "opens_at": shake_round.opens_at, "closes_at": shake_round.closes_at,
                      "seed_sha256": shake_round.seed_sha256,
                      "shakes_left": draw_engine().shakes_left(db.session, shake_round, principal().subject_id)}}


@blp.post("/shake-rounds/<int:round_id>/shakes")
@auth_required("shopper")
@documented_body(blp, s.ShakeIn)  # loaded below: the hot path skips webargs (app/api/bodies.py)
@blp.response(200, s.ShakeAnswer)
@blp.alt_response(503, schema=ErrorBody, description="unavailable: busy or Redis unreachable; nothing was done, "
                                                     "retry the same shake_id after Retry-After seconds")
@blp.alt_response(429, schema=ErrorBody, description="shake_limit_reached; or rate_limited: this shopper's shakes "
                                                     "come too fast or too many at once; nothing was done, retry the "
                                                     "same shake_id after Retry-After seconds")
def shake(round_id):
    """Shake once; the same shake_id again returns the first answer."""
    body = json_body(s.ShakeIn)
    answer = shakes.shake(principal().subject_id, round_id, body["shake_id"]).answer
    return jsonify(answer.body), answer.status


@blp.get("/me/wins")
@auth_required("shopper")
@blp.arguments(OwnListArgs, location="query")
@blp.response(200, s.WinList)
def my_wins(query):
    """What the shopper has won, newest first, a page at a time."""
    page = shopper_wins(db.session, principal().subject_id, query["cursor"], query["limit"])
    return own_list("wins", [{"shake_id": w.shake_id, "round_id": w.round_id, "won_at": w.created_at,
                           "prize": prize_won(w).body()} for w in page.items], page.next_after)
