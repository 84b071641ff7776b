"""The van load (装车): the courier's own from the handheld, any courier's from the console (ops)."""
from __future__ import annotations

from datetime import datetime

from flask_smorest import Blueprint

from app.api.auth import auth_required, principal
from app.api.errors import ErrorBody
from app.extensions import db
from app.models import utcnow
from app.schemas.van import VanLoadEnvelope, VanLoadIn
from app.services.audit import van_loads
from app.services.couriers import registry
from app.services.van import loads

blp = Blueprint("van_load", __name__, url_prefix="/api/v1", description="Van load")

BELOW_RESERVED = "below_reserved: a quantity under what orders and rounds already hold (names the product)"


def todays_load(courier_id: int, now: datetime) -> dict:
    day = loads.van_day(now)
    return {"van_load": {"date": day, "items": loads.van_load(db.session, courier_id, day)}}


@blp.get("/courier/van-load")
@auth_required("courier")
@blp.response(200, VanLoadEnvelope)
def courier_van_load():
    """What the signed-in courier's van carries today, and what is reserved of it."""
    return todays_load(principal().subject_id, utcnow())


@blp.put("/courier/van-load")
@auth_required("courier")
@blp.arguments(VanLoadIn)
@blp.response(200, VanLoadEnvelope)
@blp.alt_response(409, schema=ErrorBody, description=BELOW_RESERVED)
def replace_courier_van_load(body):
    """Declare today's van load (the whole list; the same list again changes nothing)."""
    courier_id, now = principal().subject_id, utcnow()
    loads.replace_van_load(db.session, courier_id, body["items"], now)
    db.session.commit()
    return todays_load(courier_id, now)


@blp.get("/console/couriers/<int:courier_id>/van-load")
@auth_required("staff", "ops")
@blp.response(200, VanLoadEnvelope)
def console_van_load(courier_id):
    """A courier's van load today."""
    registry.get_courier(db.session, courier_id)
    return todays_load(courier_id, utcnow())


@blp.put("/console/couriers/<int:courier_id>/van-load")
@auth_required("staff", "ops")
@blp.arguments(VanLoadIn)
@blp.response(200, VanLoadEnvelope)
@blp.alt_response(409, schema=ErrorBody, description=BELOW_RESERVED)
def replace_console_van_load(body, courier_id):
    """Set a courier's van load today for them (audited)."""
    now = utcnow()
    courier = registry.get_courier(db.session, courier_id)
    van_loads.set_van_load(db.session, principal().subject_id, courier, body["items"], now)
    db.session.commit()
    return todays_load(courier_id, now)
