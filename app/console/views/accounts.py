"""Taking access back from the console pages: a staff member's role and disabling (admin); a
courier's disabling and signing out a lost handheld (ops). The same services and audit entries
as the JSON API (app/api/console_accounts.py)."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for

from app.console.auth import requires
from app.console.blueprint import bp
from app.extensions import db
from app.models import STAFF_ROLES
from app.services.accounts import staff as staff_service
from app.services.audit import account_changes
from app.services.couriers import registry as courier_service
from app.services.errors import InvalidRequest
from app.wiring import standings

SWITCH = {"1": True, "0": False}  # the value of a form's `disabled` button


def read_disabled(form, required: bool = False) -> dict:
    """{"disabled": bool} from a form's `disabled` button, if it was pressed."""
    if "disabled" not in form and not required:
        return {}
    if form.get("disabled") not in SWITCH:
        raise InvalidRequest({"disabled": "1 or 0"})
    return {"disabled": SWITCH[form["disabled"]]}


def read_role(form) -> dict:
    if "role" not in form:
        return {}
    if form["role"] not in STAFF_ROLES:
        raise InvalidRequest({"role": f"one of {', '.join(STAFF_ROLES)}"})
    return {"role": form["role"]}


@bp.post("/staff/<int:staff_id>")
@requires("staff")
def update_staff(staff_id: int):
    """Change a staff member's role, or disable/enable them; their tokens and sessions follow."""
    member = staff_service.get_staff(db.session, staff_id)
    body = read_role(request.form) | read_disabled(request.form)
    account_changes.update_staff(db.session, g.staff.id, member, body)
    db.session.commit()
    standings().forget("staff", staff_id)
    flash(f"已更新员工 Staff account updated: {member.username}")
    return redirect(url_for("console_web.staff"))


@bp.post("/couriers/<int:courier_id>/disabled")
@requires("couriers")
def set_courier_disabled(courier_id: int):
    """Disable a courier (no sign-in, every token void) or enable them again."""
    courier = courier_service.get_courier(db.session, courier_id)
    body = read_disabled(request.form, required=True)
    account_changes.update_courier(db.session, g.staff.id, courier, body)
    db.session.commit()
    standings().forget("courier", courier_id)
    flash("已停用小哥账号 · Courier disabled" if courier.disabled else "已启用小哥账号 · Courier enabled")
    return redirect(url_for("console_web.courier", courier_id=courier_id))


@bp.post("/couriers/<int:courier_id>/sign-out")
@requires("couriers")
def sign_out_courier(courier_id: int):
    """Sign the courier out of every handheld (a lost one): they sign in again with their password."""
    courier = courier_service.get_courier(db.session, courier_id)
    account_changes.sign_out_courier(db.session, g.staff.id, courier)
    db.session.commit()
    standings().forget("courier", courier_id)
    flash("已注销该小哥所有设备的登录 · The courier is signed out on every device")
    return redirect(url_for("console_web.courier", courier_id=courier_id))
