"""Console: take access back. A staff member's role and disabling (admin); a courier's details,
disabling and signing out a lost handheld (ops). Old tokens stop working within 5 s
(app/services/accounts/standing.py)."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api.auth import auth_required, principal
from app.extensions import db
from app.schemas.accounts import CourierAccountEnvelope, CourierPatchIn, StaffAccountEnvelope, StaffPatchIn
from app.services.accounts import staff
from app.services.audit import account_changes
from app.services.couriers import registry
from app.wiring import standings

blp = Blueprint("console_accounts", __name__, url_prefix="/api/v1/console",
                description="Staff console: accounts")


@blp.patch("/staff/<int:staff_id>")
@auth_required("staff", "admin")
@blp.arguments(StaffPatchIn)
@blp.response(200, StaffAccountEnvelope)
def update_staff(body, staff_id):
    """Change a staff member's role or disable them (admin); their tokens follow within 5 s.

    409 `conflict` when the change would leave no enabled admin."""
    member = staff.get_staff(db.session, staff_id)
    account_changes.update_staff(db.session, principal().subject_id, member, body)
    db.session.commit()
    standings().forget("staff", staff_id)  # at once on this worker; the others within seconds
    return {"staff": member}


@blp.patch("/couriers/<int:courier_id>")
@auth_required("staff", "ops")
@blp.arguments(CourierPatchIn)
@blp.response(200, CourierAccountEnvelope)
def update_courier(body, courier_id):
    """Change a courier's name, avatar or route, or disable them (their tokens stop within 5 s)."""
    courier = registry.get_courier(db.session, courier_id)
    account_changes.update_courier(db.session, principal().subject_id, courier, body)
    db.session.commit()
    standings().forget("courier", courier_id)
    return {"courier": courier}


@blp.post("/couriers/<int:courier_id>/sign-out")
@auth_required("staff", "ops")
@blp.response(200, CourierAccountEnvelope)
def sign_out_courier(courier_id):
    """Sign a courier out everywhere (a lost handheld): every token they hold gets 401 within 5 s."""
    courier = registry.get_courier(db.session, courier_id)
    account_changes.sign_out_courier(db.session, principal().subject_id, courier)
    db.session.commit()
    standings().forget("courier", courier_id)
    return {"courier": courier}
