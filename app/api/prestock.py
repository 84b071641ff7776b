"""Pre-stocking the van (提前配货): the courier's loading list and confirming it; ops reviewing a
courier's list and setting the safety margin."""
from __future__ import annotations

from datetime import date

from flask_smorest import Blueprint

from app.api.auth import auth_required, principal
from app.api.errors import ErrorBody
from app.api.van_load import BELOW_RESERVED
from app.extensions import db
from app.models import utcnow
from app.schemas.prestock import (MarginEnvelope, MarginIn, PrestockConfirmIn, PrestockListIn, PrestockOut,
                                  PrestockQuery)
from app.schemas.van import VanLoadEnvelope
from app.services.audit import prestock as audited
from app.services.couriers import registry
from app.services.prestock import plans
from app.services.prestock.demand import Margin
from app.services.van import loads

blp = Blueprint("prestock", __name__, url_prefix="/api/v1", description="Pre-stocking the van")


def the_day(query: dict) -> date:
    return query.get("date") or loads.van_day(utcnow())


def day_load(courier_id: int, day: date) -> dict:
    return {"van_load": {"date": day, "items": loads.van_load(db.session, courier_id, day)}}


@blp.get("/courier/prestock")
@auth_required("courier")
@blp.arguments(PrestockQuery, location="query")
@blp.response(200, PrestockOut)
def courier_prestock(query):
    """The signed-in courier's loading list (装车单) for the day (default today): the list ops
    reviewed, else the suggestion."""
    return plans.loading_list(db.session, principal().subject_id, the_day(query))


@blp.post("/courier/prestock/confirm")
@auth_required("courier")
@blp.arguments(PrestockConfirmIn)
@blp.response(200, VanLoadEnvelope)
@blp.alt_response(409, schema=ErrorBody, description=BELOW_RESERVED)
def confirm_courier_prestock(body):
    """Make the loading list (or the edited `items`) that day's van load; confirming again gives the same load."""
    courier_id = principal().subject_id
    plans.confirm(db.session, courier_id, body["date"], body.get("items"), utcnow())
    db.session.commit()
    return day_load(courier_id, body["date"])


@blp.get("/console/couriers/<int:courier_id>/prestock")
@auth_required("staff", "ops")
@blp.arguments(PrestockQuery, location="query")
@blp.response(200, PrestockOut)
def console_prestock(query, courier_id):
    """A courier's loading list for the day (default today)."""
    registry.get_courier(db.session, courier_id)
    return plans.loading_list(db.session, courier_id, the_day(query))


@blp.put("/console/couriers/<int:courier_id>/prestock")
@auth_required("staff", "ops")
@blp.arguments(PrestockListIn)
@blp.response(200, PrestockOut)
def review_console_prestock(body, courier_id):
    """Extension: save ops' adjusted list for the day, what the courier then sees (audited)."""
    courier = registry.get_courier(db.session, courier_id)
    audited.review(db.session, principal().subject_id, courier, body["date"], body["items"], utcnow())
    db.session.commit()
    return plans.loading_list(db.session, courier_id, body["date"])


@blp.get("/console/prestock/margin")
@auth_required("staff", "ops")
@blp.response(200, MarginEnvelope)
def prestock_margin():
    """Extension: the safety margin every suggestion adds."""
    return {"margin": plans.margin(db.session)}


@blp.put("/console/prestock/margin")
@auth_required("staff", "ops")
@blp.arguments(MarginIn)
@blp.response(200, MarginEnvelope)
def set_prestock_margin(body):
    """Extension: set the safety margin (audited)."""
    wanted = audited.set_margin(db.session, principal().subject_id, Margin(body["percent"], body["minimum"]),
                                utcnow())
    db.session.commit()
    return {"margin": wanted}
