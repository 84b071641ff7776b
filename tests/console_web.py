"""Helpers for the web console's tests: a signed-in staff browser (cookie session + CSRF token)."""
from __future__ import annotations

import re

import pytest
from flask import g

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def forget_request_globals() -> None:
    """Start the next request with a fresh `g`, as every real request does.

    The `app` fixture keeps one app context open for the whole test, and Flask's test client
    reuses it, so `g` outlives a request; Flask-WTF keeps the CSRF token it made in `g`, and
    would hand one session's token to another browser's page.
    """
    for name in ("csrf_token", "csrf_valid"):
        g.pop(name, None)


class StaffBrowser:
    """One staff member's cookie session against the console, as a browser would hold it."""

    def __init__(self, client, member=None):
        self.client, self.member = client, member

    def token(self) -> str:
        """A CSRF token of this session (read off a page, as a browser's form would carry it)."""
        forget_request_globals()
        page = self.client.get("/console/login" if self.member is None else "/console/")
        return csrf_token(page.get_data(as_text=True))

    def get(self, path: str, **kw):
        forget_request_globals()
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kw):
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.token())
        forget_request_globals()
        return self.client.post(path, data=form, **kw)

    def sign_in(self, member, password: str = "staff-password"):
        answer = self.post("/console/login", {"username": member.username, "password": password})
        assert answer.status_code == 302, answer.get_data(as_text=True)
        self.member = member
        return answer


@pytest.fixture(name="console")
def console_fixture(app, make):
    """`console("marketing")`: a browser signed in as a new staff member of that role."""
    def sign_in(role: str = "admin") -> StaffBrowser:
        browser = StaffBrowser(app.test_client())
        browser.sign_in(make.staff_member(role))
        return browser
    return sign_in


def text(answer) -> str:
    return answer.get_data(as_text=True)
