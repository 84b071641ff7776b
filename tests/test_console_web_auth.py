"""Web console sign-in: hashed passwords, sessions that expire, CSRF on every form, safe redirects."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from app import create_app
from app.extensions import db
from app.models import Compound
from tests.conftest import app_config
from tests.console_web import StaffBrowser, console_fixture, text  # noqa: F401  (the fixture `console`)
from tests.factories import bearer


@pytest.mark.one_database
def test_the_sign_in_page_has_bilingual_labels_and_a_csrf_token(client):
    page = text(client.get("/console/login"))
    assert "用户名" in page and "Username" in page and "密码" in page and "Password" in page
    assert 'name="csrf_token"' in page


def test_a_good_password_signs_in_with_an_httponly_lax_cookie_that_expires(app, make):
    member = make.staff_member("marketing", password="correct horse")
    browser = StaffBrowser(app.test_client())
    answer = browser.post("/console/login", {"username": member.username, "password": "correct horse"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/console/")
    cookie = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("xiaoge_console="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert "Path=/console" in cookie  # sent to the console only, not to the API or the sockets
    assert member.username in text(browser.get("/console/"))


def test_a_wrong_password_is_refused_next_to_the_field_and_never_echoed(app, make):
    member = make.staff_member(password="the-real-one")
    browser = StaffBrowser(app.test_client())
    answer = browser.post("/console/login", {"username": member.username, "password": "a-guess-123"})
    page = text(answer)
    assert answer.status_code == 422
    assert "用户名或密码错误 · Wrong username or password" in page
    assert 'value="a-guess-123"' not in page and f'value="{member.username}"' in page
    assert browser.get("/console/").status_code == 302  # still signed out


@pytest.mark.one_database
def test_blank_sign_in_fields_are_each_marked_required(client):
    browser = StaffBrowser(client)
    page = text(browser.post("/console/login", {"username": "", "password": ""}))
    assert page.count("必填 · Required") == 2


@pytest.mark.one_database
def test_sign_in_without_a_csrf_token_is_refused(app, make):
    member = make.staff_member()
    browser = StaffBrowser(app.test_client())
    answer = browser.post("/console/login", {"username": member.username, "password": "staff-password"},
                          csrf=False)
    assert answer.status_code == 400
    assert "表单已失效" in text(answer)


@pytest.mark.one_database
def test_a_form_without_its_csrf_token_changes_nothing(console, make):
    ops = console("ops")
    body = {"name": "无令牌小区", "city": "上海", "lat": "31.2", "lng": "121.5", "radius_m": "300"}
    refused = ops.post("/console/compounds", body, csrf=False)
    forged = ops.post("/console/compounds", {**body, "csrf_token": "forged-token"})
    assert refused.status_code == 400 and forged.status_code == 400
    assert db.session.scalar(db.select(Compound).where(Compound.name == "无令牌小区")) is None


@pytest.mark.one_database
def test_a_csrf_token_of_another_session_is_refused(console):
    ops, other = console("ops"), console("ops")
    answer = ops.post("/console/compounds", {"name": "x", "csrf_token": other.token()})
    assert answer.status_code == 400


def test_the_json_api_needs_no_csrf_token_it_uses_bearer_tokens(client, make):
    answer = client.post("/api/v1/console/compounds", json=make.compound_body(),
                         headers=make.staff_headers("ops"))
    assert answer.status_code == 201


def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(app, make):
    member = make.staff_member("marketing")
    browser = StaffBrowser(app.test_client())
    answer = browser.get("/console/campaigns")
    assert answer.status_code == 302
    assert "/console/login?next=/console/campaigns" in answer.headers["Location"]
    browser.get(answer.headers["Location"])
    back = browser.post("/console/login?next=/console/campaigns",
                        {"username": member.username, "password": "staff-password"})
    assert back.headers["Location"] == "/console/campaigns"


def test_sign_in_never_redirects_to_another_site(app, make):
    member = make.staff_member()
    for target in ("//evil.example/", "https://evil.example/", "/api/v1/openapi.json"):
        browser = StaffBrowser(app.test_client())
        answer = browser.post(f"/console/login?next={target}",
                              {"username": member.username, "password": "staff-password"})
        assert answer.headers["Location"] == "/console/", target


def test_a_session_ends_after_its_lifetime_even_when_busy(app, console):
    browser = console("marketing")
    assert browser.get("/console/campaigns").status_code == 200
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    assert lifetime == timedelta(hours=8)
    with browser.client.session_transaction("/console/") as session:
        session["signed_in_at"] = int(time.time() - lifetime.total_seconds() - 1)
    answer = browser.get("/console/campaigns")
    assert answer.status_code == 302 and "expired=1" in answer.headers["Location"]
    assert "登录已过期" in text(browser.get(answer.headers["Location"]))
    assert browser.get("/console/campaigns").status_code == 302  # the session is gone, not just refused once


def test_a_session_lifetime_comes_from_the_config(app, console):
    browser = console("ops")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=30)
    with browser.client.session_transaction("/console/") as session:
        session["signed_in_at"] = int(time.time() - 31)
    assert browser.get("/console/compounds").status_code == 302


def test_signing_out_takes_a_form_post_and_ends_the_session(console):
    browser = console("ops")
    assert browser.get("/console/logout").status_code == 404  # a link cannot sign anyone out
    assert browser.post("/console/logout", csrf=False).status_code == 400
    assert browser.get("/console/").status_code == 200
    assert browser.post("/console/logout").status_code == 302
    assert browser.get("/console/").status_code == 302


def test_a_changed_role_applies_on_the_next_request(console):
    browser = console("marketing")
    assert browser.get("/console/campaigns").status_code == 200
    browser.member.role = "ops"
    db.session.commit()
    assert browser.get("/console/campaigns").status_code == 403
    assert browser.get("/console/compounds").status_code == 200


def test_pages_are_never_cached_nor_framed(console):
    answer = console("admin").get("/console/")
    assert answer.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


@pytest.mark.one_database
def test_an_unknown_console_address_is_the_consoles_own_404(client):
    answer = client.get("/console/no-such-page")
    assert answer.status_code == 404 and "找不到页面" in text(answer)


@pytest.mark.one_database
def test_a_staff_token_is_not_a_console_session(client, make):
    assert client.get("/console/", headers=bearer(make.staff_token("admin"))).status_code == 302


def test_guessing_a_password_in_the_console_is_stopped(app, make, database_url, sandbox):
    username = make.staff_member().username
    db.session.commit()  # end the read that loaded the username: on SQLite it holds the write lock
    limited = create_app({**app_config(database_url, sandbox.url), "RATELIMIT_ENABLED": True})
    browser = StaffBrowser(limited.test_client())
    answers = [browser.post("/console/login", {"username": username, "password": f"guess-{n}"})
               for n in range(11)]
    assert [a.status_code for a in answers[:10]] == [422] * 10
    assert answers[10].status_code == 429 and "尝试次数过多" in text(answers[10])
    with limited.app_context():
        db.engine.dispose()


@pytest.mark.one_database
def test_the_cookie_session_is_opened_only_for_a_request_that_sent_cookies(app, make, monkeypatch):
    member = make.staff_member(password="correct horse")
    browser = StaffBrowser(app.test_client())
    browser.post("/console/login", {"username": member.username, "password": "correct horse"})
    opened = []
    original = type(app.session_interface).get_signing_serializer
    monkeypatch.setattr(type(app.session_interface), "get_signing_serializer",
                        lambda self, a: opened.append(1) or original(self, a))
    bare = app.test_client(use_cookies=False)
    assert bare.get("/api/v1/healthz").status_code == 200 and "Set-Cookie" not in bare.get("/api/v1/healthz").headers
    assert bare.get("/console/").status_code == 302 and opened == []  # no cookie: no serializer, signed out
    assert member.username in text(browser.get("/console/")) and opened  # the cookie still signs in
