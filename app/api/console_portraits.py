"""The compound portrait in the console (marketing, ops): read it, refresh it, pick compounds by it."""
from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy import select

from app.actions.portraits import window_days
from app.api.auth import auth_required
from app.extensions import db
from app.models import Compound, utcnow
from app.schemas import portrait as s
from app.services.portrait import portraits, targeting

blp = Blueprint("console_portraits", __name__, url_prefix="/api/v1/console", description="Compound portraits")


@blp.get("/compounds/<int:compound_id>/portrait")
@auth_required("staff", "marketing", "ops")
@blp.response(200, s.PortraitEnvelope)
def get_portrait(compound_id):
    """The compound's stored portrait (as of its last refresh: nightly, or POST .../refresh) beside
    the city's category shares; computed now if it never was."""
    found = portraits.current_portrait(db.session, compound_id, utcnow(), window_days())
    db.session.commit()
    return {"portrait": found}


@blp.post("/compounds/<int:compound_id>/portrait/refresh")
@auth_required("staff", "marketing", "ops")
@blp.response(200, s.PortraitEnvelope)
def refresh_portrait(compound_id):
    """Recompute the portrait now: only today's orders (and finished days not aggregated yet) are read."""
    portraits.refresh_portrait(db.session, compound_id, utcnow(), window_days())
    db.session.commit()
    return {"portrait": portraits.stored_portrait(db.session, compound_id)}


@blp.get("/compounds/by-portrait")
@auth_required("staff", "marketing", "ops")
@blp.arguments(s.ByPortraitArgs, location="query")
@blp.response(200, s.PortraitMatches)
def compounds_by_portrait(args):
    """Compounds whose stored portrait has at least `min_share` of spend in `category`, and (with
    `price_sensitive=true`) at least `cheap_min_share` of spend on items at 30 yuan or less."""
    cheap = args["cheap_min_share"] if args["cheap_min_share"] is not None else targeting.PRICE_SENSITIVE_SHARE
    found = targeting.compounds_by_portrait(db.session, args.get("category"), args["min_share"],
                                            args["price_sensitive"], cheap)
    names = dict(db.session.execute(select(Compound.id, Compound.name)
                                    .where(Compound.id.in_([f["compound_id"] for f in found]))).all())
    return {"compounds": [{**f, "name": names.get(f["compound_id"], "")} for f in found]}
