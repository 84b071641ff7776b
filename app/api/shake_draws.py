"""A closed round's draws, for anyone to verify (no sign-in): `python -m handheld.verify` reads them."""
from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from app.api.errors import ErrorBody
from app.extensions import db
from app.models import utcnow
from app.schemas.draws import RoundDrawsOut
from app.wiring import draws_ledger

blp = Blueprint("shake_draws", __name__, url_prefix="/api/v1", description="Verifiable draws")


@blp.get("/shake-rounds/<int:round_id>/draws")
@blp.response(200, RoundDrawsOut)
@blp.alt_response(409, schema=ErrorBody, description="round_open: published once the round has closed")
@blp.alt_response(404, schema=ErrorBody, description="no such round, or one drawn before draws were verifiable")
def round_draws(round_id):
    """The round's seed, its prizes' shares of [0, 1) and every shake with its number and outcome,
    in the order decided; 409 `round_open` while it takes shakes."""
    return Response(draws_ledger().draws(db.session, round_id, utcnow()).encoded, mimetype="application/json")
