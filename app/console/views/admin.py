"""Admin only: the audit log and staff accounts."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.console.auth import requires
from app.console.blueprint import bp
from app.console.display import ROLE_LABELS
from app.console.forms import Field, Form, load, run
from app.extensions import db
from app.models import STAFF_ROLES, AuditEntry, Staff
from app.schemas.console import StaffIn
from app.services.audit import changes, trail
from app.services.audit.trail import TARGET_TYPES

STAFF_FIELDS = (
    Field("username", "用户名", "Username", help="字母、数字、. _ - · Letters, digits, . _ -",
          attrs={"autocomplete": "off", "maxlength": 60}),
    Field("password", "初始密码", "Initial password", kind="password",
          help="至少 8 位 · At least 8 characters",
          attrs={"autocomplete": "new-password"}),
    Field("role", "角色", "Role", kind="choice"),
)


def read_id(name: str) -> int | None:
    text = request.args.get(name, "")
    return int(text) if text.isdigit() and len(text) < 19 else None


@bp.get("/audit")
@requires("audit")
def audit_log():
    """Who changed what, newest first; filter by target or action, page back with `before`."""
    target_type = request.args.get("target_type") or None
    action = request.args.get("action") or None
    entries = trail.entries(db.session, target_type=target_type, target_id=read_id("target_id"),
                            action=action, before_id=read_id("before"))
    actions = sorted(db.session.scalars(select(AuditEntry.action).distinct()))
    filters = {key: value for key, value in request.args.items() if key != "before" and value}
    return render_template("console/audit.html", active="audit", entries=entries, actions=actions,
                           target_types=sorted(set(TARGET_TYPES.values())), filters=filters,
                           older=entries[-1].id if len(entries) == trail.PAGE_SIZE else None)


def staff_form() -> Form:
    return Form(STAFF_FIELDS, choices={"role": [(role, " ".join(ROLE_LABELS[role])) for role in STAFF_ROLES]})


def staff_page(form: Form, status: int = 200):
    members = list(db.session.scalars(select(Staff).order_by(Staff.id)))
    return render_template("console/staff.html", active="staff", members=members, form=form,
                           roles=STAFF_ROLES), status


@bp.get("/staff")
@requires("staff")
def staff():
    """Staff accounts and the form to add one."""
    return staff_page(staff_form())


@bp.post("/staff")
@requires("staff")
def create_staff():
    """Add a staff account (the same checks as POST /api/v1/console/staff)."""
    form = staff_form()
    body = load(form, StaffIn, request.form)
    created = None if body is None else run(
        form, lambda: changes.create_staff(db.session, g.staff.id, body), conflict_field="username")
    if not created:
        form.raw.pop("password", None)
        return staff_page(form, 422)
    flash(f"已添加员工 Staff account added: {created.username}")
    return redirect(url_for("console_web.staff"))
