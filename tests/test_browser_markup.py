"""In Chromium: markup a shopper wrote (a nickname) shows literally on the handheld's pick list,
and markup in names shows literally on the console and the H5 store page; no script of it runs."""
from __future__ import annotations

import pytest

from app.extensions import db
from tests.browser import PHONE, watched_page
from tests.test_markup_escaped import MARKUP, shopper_text_everywhere

pytestmark = pytest.mark.browser


def no_console_errors_but_http_answers(note) -> bool:
    return note.type == "error" and not note.text.startswith("Failed to load resource")


def watch_dialogs(page) -> list[str]:
    """Every alert/confirm/prompt the page opens (dismissed), for the test to assert none."""
    opened: list[str] = []

    def dismiss(dialog):
        opened.append(dialog.message)
        dialog.dismiss()
    page.on("dialog", dismiss)
    return opened


def test_the_handheld_pick_list_shows_a_markup_nickname_as_text(browser, live_server, client, make, sandbox):
    from playwright.sync_api import expect

    home, courier, _ = shopper_text_everywhere(client, make, sandbox)
    employee_no, home_name = courier.employee_no, home.name
    db.session.commit()  # SQLite: the live server needs the database
    with watched_page(browser, live_server, no_console_errors_but_http_answers, **PHONE) as page:
        dialogs = watch_dialogs(page)
        page.goto(f"{live_server.url}/handheld/")
        page.locator("#employee-no").fill(employee_no)
        page.locator("#password").fill("courier-pass")
        page.get_by_role("button", name="登录 Sign in").click()
        page.locator("#route").get_by_role("button", name=home_name).click()
        card = page.locator("#picks li").first
        expect(card.locator(".pick-head span")).to_have_text(MARKUP)
        expect(card.locator("img")).to_have_count(0)
        expect(page.locator("#compound-name")).to_have_text(home_name)
        assert dialogs == []


def test_console_and_store_pages_show_markup_names_as_text(browser, live_server, client, make, sandbox):
    from playwright.sync_api import expect

    home, courier, _ = shopper_text_everywhere(client, make, sandbox)
    make.staff_member("admin", password="console-pass-1", username="markup.admin")
    store_url, home_name = f"{live_server.url}/s/{courier.courier_code}", home.name
    db.session.commit()
    with watched_page(browser, live_server, no_console_errors_but_http_answers,
                      viewport={"width": 1360, "height": 900}) as page:
        dialogs = watch_dialogs(page)
        page.goto(f"{live_server.url}/console/login")
        page.get_by_label("用户名 Username").fill("markup.admin")
        page.get_by_label("密码 Password").fill("console-pass-1")
        page.get_by_role("button", name="登录 Sign in").click()
        expect(page.locator("h1")).to_contain_text("你好")
        page.goto(f"{live_server.url}/console/compounds")
        expect(page.locator("table").get_by_text(home_name, exact=True)).to_have_count(1)
        page.goto(store_url)
        expect(page.get_by_text(home_name, exact=True).first).to_be_visible()
        assert page.locator("img[src='x']").count() == 0
        assert dialogs == []
