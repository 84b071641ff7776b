"""Compounds (小区): the list, a map of centres and radii, and registering a new one (ops)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.console.auth import requires
from app.console.blueprint import bp
from app.console.forms import Field, Form, load, run
from app.console.geo import compound_map
from app.extensions import db
from app.models import Compound
from app.schemas.console import CompoundIn
from app.services.audit import changes

COMPOUND_FIELDS = (
    Field("name", "小区名称", "Name", attrs={"maxlength": 120}),
    Field("city", "城市", "City", attrs={"maxlength": 60}),
    Field("district", "区", "District", required=False, attrs={"maxlength": 60}),
    Field("lat", "纬度", "Latitude", kind="float", help="中心点，如 31.2304 · Centre, e.g. 31.2304"),
    Field("lng", "经度", "Longitude", kind="float", help="中心点，如 121.4737 · Centre, e.g. 121.4737"),
    Field("radius_m", "半径（米）", "Radius (m)", kind="int", help="10–20000 米 metres"),
    Field("aliases", "别名", "Aliases", kind="lines", required=False,
          help="每行一个或用逗号分隔 · One per line or comma-separated"),
)


def compound_form() -> Form:
    return Form(COMPOUND_FIELDS)


def page(form: Form, status: int = 200):
    compounds = list(db.session.scalars(select(Compound).order_by(Compound.id)))
    return render_template("console/compounds.html", active="compounds", compounds=compounds,
                           map=compound_map(compounds), form=form), status


@bp.get("/compounds")
@requires("compounds")
def compounds():
    """Every compound, on a map and in a table, and the form to add one."""
    return page(compound_form())


@bp.post("/compounds")
@requires("compounds")
def create_compound():
    """Register a compound (the same checks as POST /api/v1/console/compounds)."""
    form = compound_form()
    body = load(form, CompoundIn, request.form)
    created = None if body is None else run(
        form, lambda: changes.create_compound(db.session, g.staff.id, body))
    if not created:
        return page(form, 422)
    flash(f"已添加小区 Compound added: {created.name}")
    return redirect(url_for("console_web.compounds"))
