"""Who is signed in to the console, and which sections each role may open.

Staff sign in with username and password (the same service as `POST /api/v1/console/auth`);
the cookie session then holds only the staff id, the account's token_version and when they
signed in. The account is read again on every request, so a changed role applies at once, and
a disabled account or a bumped token_version (sign-out) ends the session: a copy of the cookie
kept from before sign-out opens nothing. A session ends after PERMANENT_SESSION_LIFETIME from
sign-in, however busy it was.
"""
from __future__ import annotations

import time
from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from app.extensions import db
from app.models import STAFF_ROLES, Staff
from app.services.accounts import staff as staff_accounts
from app.wiring import standings

# Section -> roles that may open it (API.md: marketing runs campaigns, coupons and deals;
# ops runs compounds, couriers and products; admin may do everything, staff accounts too).
SECTION_ROLES: dict[str, tuple[str, ...]] = {
    "campaigns": ("marketing",), "coupons": ("marketing",), "deals": ("marketing",),
    "group_deals": ("marketing",), "promotions": ("marketing",),
    "compounds": ("ops",), "couriers": ("ops",), "products": ("ops",), "orders": ("ops",),
    "earnings": ("ops",), "reports": ("marketing", "ops"), "portraits": ("marketing", "ops"),
    "audit": ("admin",), "staff": ("admin",),
}
assert all(set(roles) <= set(STAFF_ROLES) for roles in SECTION_ROLES.values())

# The menu, in order: section, endpoint, Chinese and English label.
NAVIGATION = (
    ("campaigns", "console_web.campaigns", "摇一摇活动", "Campaigns"),
    ("coupons", "console_web.coupons", "优惠券", "Coupons"),
    ("deals", "console_web.deals", "小区特价", "Deals"),
    ("group_deals", "console_web.group_deals", "拼团", "Group deals"),
    ("promotions", "console_web.promotions", "大促日历", "Promotions"),
    ("compounds", "console_web.compounds", "小区", "Compounds"),
    ("couriers", "console_web.couriers", "小哥", "Couriers"),
    ("products", "console_web.products", "商品", "Products"),
    ("orders", "console_web.orders", "订单", "Orders"),
    ("earnings", "console_web.earnings", "小哥收益", "Courier earnings"),
    ("reports", "console_web.reports", "报表", "Reports"),
    ("staff", "console_web.staff", "员工账号", "Staff"),
    ("audit", "console_web.audit_log", "操作日志", "Audit log"),
)


class SessionOnlyWithCookie(SecureCookieSessionInterface):
    """Flask's signed cookie session, opened only for a request that sent cookies.

    API calls and socket events carry bearer tokens and no cookie: they get an empty session
    without a signing serializer built for each (4-5% of a worker's time on a shake, py-spy).
    A console request (cookie sent) opens it as Flask does; a sign-in writes it as Flask does."""

    def open_session(self, app, request):
        if "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)


def may(role: str | None, section: str) -> bool:
    """Admins may open every section; others the sections of their role."""
    return role == "admin" or role in SECTION_ROLES[section]


def sections_for(role: str | None) -> list[tuple]:
    return [item for item in NAVIGATION if may(role, item[0])]


def sign_in(member: Staff) -> None:
    """Start a fresh session (a new cookie and CSRF secret) for this staff member."""
    session.clear()
    session.permanent = True
    session["staff_id"] = member.id
    session["token_version"] = member.token_version
    session["signed_in_at"] = int(time.time())


def sign_out(member: Staff | None) -> None:
    """End the session, and void this account's other sessions, copies of this cookie and tokens."""
    if member is not None:
        staff_accounts.sign_out_everywhere(member)
        db.session.commit()
        standings().forget("staff", member.id)
    session.clear()


def load_signed_in_staff() -> tuple[Staff | None, bool]:
    """(the signed-in staff member or None, whether a session just expired); drops a dead session."""
    staff_id = session.get("staff_id")
    if staff_id is None:
        return None, False
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if time.time() - session.get("signed_in_at", 0) > lifetime:
        session.clear()
        return None, True
    member = db.session.get(Staff, staff_id)
    if member is None or member.disabled or session.get("token_version") != member.token_version:
        session.clear()
        return None, False
    return member, False


def requires(section: str | None = None):
    """Only for signed-in staff (others go to the sign-in page); with a section, only its roles (403)."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            member = g.get("staff")
            if member is None:
                target = request.full_path if request.method == "GET" else None
                return redirect(url_for("console_web.login", next=target,
                                        expired=1 if g.get("session_expired") else None))
            if section is not None and not may(member.role, section):
                abort(403)
            return view(*args, **kwargs)
        wrapper.console_section = section
        return wrapper
    return decorator


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a console path only, never another site."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("console_web.home")
