"""The compound portrait page (marketing, ops): charts beside the city's, a refresh button, and
the JSON the forms' "pick compounds by portrait" filter asks (services/portrait)."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from marshmallow import ValidationError

from app.actions.portraits import window_days
from app.console.auth import requires
from app.console.blueprint import bp
from app.extensions import db
from app.models import Compound, utcnow
from app.schemas.portrait import ByPortraitArgs, PortraitOut
from app.services.errors import NotFound
from app.services.portrait import portraits, targeting


@bp.get("/compounds/<int:compound_id>/portrait")
@requires("portraits")
def portrait(compound_id):
    """One compound's portrait, computed now if it never was."""
    compound = db.session.get(Compound, compound_id)
    if compound is None:
        raise NotFound("No such compound.")
    shown = PortraitOut().dump(portraits.current_portrait(db.session, compound_id, utcnow(), window_days()))
    db.session.commit()
    return render_template("console/portrait.html", active="compounds", compound=compound, portrait=shown)


@bp.post("/compounds/<int:compound_id>/portrait/refresh")
@requires("portraits")
def refresh_portrait(compound_id):
    portraits.refresh_portrait(db.session, compound_id, utcnow(), window_days())
    db.session.commit()
    flash("画像已更新 Portrait refreshed")
    return redirect(url_for("console_web.portrait", compound_id=compound_id))


@bp.get("/compounds/by-portrait.json")
@requires("portraits")
def compounds_by_portrait():
    """{"compound_ids": [...]} matching the filter (the same query as the API's by-portrait)."""
    try:
        args = ByPortraitArgs().load({k: v for k, v in request.args.items() if v != ""})
    except ValidationError as error:
        return jsonify({"error": {"code": "invalid_request", "fields": error.messages}}), 422
    cheap = args["cheap_min_share"] if args["cheap_min_share"] is not None else targeting.PRICE_SENSITIVE_SHARE
    found = targeting.compounds_by_portrait(db.session, args.get("category"), args["min_share"],
                                            args["price_sensitive"], cheap)
    return jsonify({"compound_ids": [f["compound_id"] for f in found]})
