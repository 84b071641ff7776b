"""The console's sign-in is taken back too (issue 13, A11): the dashboard's token is short-lived
and dies with the console session; a copy of the cookie kept from before sign-out opens nothing;
a disabled account is out of the pages at once; the cookie is Secure and HSTS is sent behind an
https PUBLIC_URL; the staff and courier pages disable, change roles and sign couriers out."""
from __future__ import annotations

from sqlalchemy import select

from app import create_app
from app.extensions import db, socketio
from app.models import AuditEntry, Courier, Staff
from tests.conftest import app_config
from tests.console_web import StaffBrowser, console_fixture, text  # noqa: F401  (the fixture `console`)
from tests.factories import bearer
from tests.test_console_dashboard import boot_of

CONSOLE = "/api/v1/console"
COOKIE = "xiaoge_console"


def dashboard_token(browser, campaign) -> str:
    return boot_of(text(browser.get(f"/console/campaigns/{campaign.id}/live")))["token"]


def test_the_dashboard_token_stops_working_after_console_sign_out(app, client, make, console):
    campaign = make.campaign([make.compound()])
    marketer = console("marketing")
    token = dashboard_token(marketer, campaign)
    assert client.get(f"{CONSOLE}/campaigns/{campaign.id}", headers=bearer(token)).status_code == 200

    marketer.post("/console/logout")

    assert client.get(f"{CONSOLE}/campaigns/{campaign.id}", headers=bearer(token)).status_code == 401
    socket = socketio.test_client(app, namespace="/console", auth={"token": token}, flask_test_client=client)
    assert not socket.is_connected("/console")


def test_the_dashboard_token_lives_ten_minutes_and_a_signed_in_page_renews_it(app, client, make, console):
    campaign = make.campaign([make.compound()])
    marketer = console("marketing")
    tokens = app.extensions["xiaoge.tokens"]
    start = tokens.clock()
    tokens.clock = lambda: start
    token = dashboard_token(marketer, campaign)
    assert client.get(f"{CONSOLE}/campaigns/{campaign.id}", headers=bearer(token)).status_code == 200

    tokens.clock = lambda: start + app.config["CONSOLE_TOKEN_SECONDS"]

    assert app.config["CONSOLE_TOKEN_SECONDS"] <= 600
    assert client.get(f"{CONSOLE}/campaigns/{campaign.id}", headers=bearer(token)).status_code == 401
    renewed = marketer.get("/console/socket-token").get_json()["token"]
    assert client.get(f"{CONSOLE}/campaigns/{campaign.id}", headers=bearer(renewed)).status_code == 200


def test_no_fresh_dashboard_token_without_a_console_session(app, make, console):
    marketer = console("marketing")
    marketer.post("/console/logout")

    answer = marketer.get("/console/socket-token")

    assert answer.status_code == 302 and "/console/login" in answer.headers["Location"]


def test_a_copy_of_the_console_cookie_opens_nothing_after_sign_out(app, make, console):
    admin = console("admin")
    kept = admin.client.get_cookie(COOKIE, path="/console").value
    assert admin.get("/console/staff").status_code == 200

    admin.post("/console/logout")
    thief = StaffBrowser(app.test_client())
    thief.client.set_cookie(COOKIE, kept, path="/console")

    answer = thief.get("/console/staff")
    assert answer.status_code == 302 and "/console/login" in answer.headers["Location"]


def test_a_disabled_staff_member_is_out_of_the_console_pages_at_once(client, make, console):
    marketer = console("marketing")
    assert marketer.get("/console/campaigns").status_code == 200

    admin = make.staff_headers("admin")
    client.patch(f"{CONSOLE}/staff/{marketer.member.id}", json={"disabled": True}, headers=admin)

    answer = marketer.get("/console/campaigns")
    assert answer.status_code == 302 and "/console/login" in answer.headers["Location"]
    again = StaffBrowser(marketer.client)  # signed out: a sign-in page's form, as a browser would have
    refused = again.post("/console/login", {"username": marketer.member.username,
                                            "password": "staff-password"})
    assert refused.status_code == 422 and "Wrong username or password" in text(refused)


def test_an_admin_disables_and_re_roles_staff_from_the_staff_page(make, console):
    admin, member = console("admin"), make.staff_member("marketing")
    page = text(admin.get("/console/staff"))
    assert f'action="/console/staff/{member.id}"' in page and "停用 Disable" in page

    assert admin.post(f"/console/staff/{member.id}", {"role": "ops"}).status_code == 302
    assert admin.post(f"/console/staff/{member.id}", {"disabled": "1"}).status_code == 302

    db.session.expire_all()
    changed = db.session.get(Staff, member.id)
    assert (changed.role, changed.disabled) == ("ops", True)
    assert "已停用 Disabled" in text(admin.get("/console/staff"))
    assert admin.post(f"/console/staff/{member.id}", {"role": "boss"}).status_code == 422
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == member.id)
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["staff.update", "staff.update"]


def test_ops_sign_a_courier_out_and_disable_them_from_the_courier_page(client, make, console):
    ops, courier = console("ops"), make.courier()
    headers = make.courier_headers(courier)
    page = text(ops.get(f"/console/couriers/{courier.id}"))
    assert "注销所有设备 Sign out every device" in page

    assert ops.post(f"/console/couriers/{courier.id}/sign-out").status_code == 302
    assert client.get("/api/v1/courier/me", headers=headers).status_code == 401
    assert ops.post(f"/console/couriers/{courier.id}/disabled", {"disabled": "1"}).status_code == 302

    db.session.expire_all()
    assert db.session.get(Courier, courier.id).disabled
    assert "已停用 Disabled" in text(ops.get(f"/console/couriers/{courier.id}"))
    assert ops.post(f"/console/couriers/{courier.id}/disabled", {"disabled": "maybe"}).status_code == 422
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "courier")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["courier.sign_out", "courier.update"]


def served(database_url, sandbox, public_url: str):
    return create_app({**app_config(database_url, sandbox.url), "PUBLIC_URL": public_url})


def first_answers(app) -> tuple:
    """The sign-in page (which sets the console cookie, holding its CSRF secret) and an API answer."""
    with app.app_context():
        try:
            client = app.test_client()
            return client.get("/console/login"), client.get("/api/v1/healthz")
        finally:
            db.engine.dispose()


def test_behind_an_https_public_url_the_cookie_is_secure_and_browsers_are_told_to_stay(database_url, sandbox):
    login, api = first_answers(served(database_url, sandbox, "https://shop.example"))

    assert "Secure" in login.headers["Set-Cookie"]
    for answer in (login, api):
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


def test_behind_an_http_public_url_neither(database_url, sandbox):
    login, api = first_answers(served(database_url, sandbox, "http://127.0.0.1:5000"))

    assert COOKIE in login.headers["Set-Cookie"] and "Secure" not in login.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in login.headers and "Strict-Transport-Security" not in api.headers
