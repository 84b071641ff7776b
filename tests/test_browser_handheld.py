"""The courier web app in a real browser: Debian's chromium through Playwright, 360 px wide.

The app is served for real (HTTP and WebSocket, tests/live_server.py). The courier signs in,
taps "arrived" with the network cut, reloads the page (the service worker serves the shell,
IndexedDB still holds the tap), gets the network back and sees the round open; the pick list
hears a won item live and a handover checks the pickup code.
Never `playwright install`: the browser is the system's /usr/bin/chromium.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Arrival, Order, ShakeRound
from tests.browser import PHONE, screenshot, watched_page

pytestmark = pytest.mark.browser

# Chromium's own notes of a request the emulated network cut, and of the page's backed-off
# retries: expected while offline, not script errors.
OFFLINE_NOTES = ("Failed to load resource: net::ERR_INTERNET_DISCONNECTED",)
# The page's own timers (app/handheld_web/static/outbox.js): "arrived" is disabled for 2 s after
# a tap, and the first retry comes 1-2 s after a failure. Tests move the page's clock past them.
TAP_PAUSE = RETRY_WITHIN = "00:02"


@pytest.fixture
def handheld(browser, live_server):
    """A 360x740 touch page on the live server; fails the test on any script error."""
    with watched_page(browser, live_server, console_problem, **PHONE) as page:
        yield page


def console_problem(message) -> bool:
    """A console error, except chromium's note of an HTTP error answer (a wrong code is a 409)
    or of a request the emulated offline network cut."""
    if message.type != "error":
        return False
    return not message.text.startswith(("Failed to load resource: the server responded",) + OFFLINE_NOTES)


def settle() -> None:
    """End the test thread's transaction before the browser needs the database (SQLite
    transactions begin IMMEDIATE: an open one would hold the live server's requests)."""
    db.session.commit()


def count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    answer = db.session.scalar(query)
    settle()
    return answer


@dataclass
class Route:
    courier: object  # ORM objects, for the factories
    home: object
    employee_no: str  # plain values, safe to read without touching the database
    courier_id: int
    home_id: int
    home_name: str
    other_name: str


def route_with_campaign(make, prizes=None) -> Route:
    home, other = make.compound(name="阳光花园"), make.compound(name="翠湖苑")
    courier = make.courier([home, other], name="王小哥")
    make.campaign([home], prizes=prizes, title="到车摇一摇")
    built = Route(courier, home, courier.employee_no, courier.id, home.id, home.name, other.name)
    settle()
    return built


def sign_in(page, server_url: str, route: Route) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server_url}/handheld/")
    page.locator("#employee-no").fill(route.employee_no)
    page.locator("#password").fill("courier-pass")
    page.get_by_role("button", name="登录 Sign in").click()
    expect(page.locator("#courier-name")).to_have_text("王小哥")
    expect(page.locator("#net")).to_have_attribute("data-state", "online")
    page.locator("#route").get_by_role("button", name=route.home_name).click()
    expect(page.locator("#compound-name")).to_have_text(route.home_name)


def latest_tap(page):
    return page.locator("#taps li").first


def test_arrived_tapped_offline_survives_a_reload_and_opens_the_round_once_back_online(
        live_server, make, handheld):
    from playwright.sync_api import expect

    route = route_with_campaign(make)
    sign_in(handheld, live_server.url, route)
    # The service worker holds the shell before the network goes: that is what reloads offline.
    expect(handheld.locator("body")).to_have_attribute("data-offline-ready", "yes")

    handheld.context.set_offline(True)
    expect(handheld.locator("#net")).to_have_attribute("data-state", "offline")
    tapped_after = datetime.now(timezone.utc)
    handheld.get_by_role("button", name="到了 Arrived").click()
    tap = latest_tap(handheld)
    expect(tap).to_have_attribute("data-status", "queued")
    expect(tap).to_contain_text("排队中 queued")
    expect(handheld.locator("#queued")).to_have_text("排队 1 queued")
    event_id = tap.get_attribute("data-event-id")

    handheld.reload()  # still offline: the service worker serves the page, IndexedDB the tap
    tap = latest_tap(handheld)
    expect(tap).to_have_attribute("data-event-id", event_id)
    expect(tap).to_have_attribute("data-status", "queued")
    expect(handheld.locator("#queued")).to_have_text("排队 1 queued")
    expect(handheld.locator("#net")).to_have_attribute("data-state", "offline")
    assert count(Arrival, courier_id=route.courier_id) == 0
    restored_at = datetime.now(timezone.utc)

    handheld.context.set_offline(False)
    expect(tap).to_have_attribute("data-status", "sent")
    expect(tap).to_contain_text("已送达 sent")
    expect(tap).to_contain_text("摇一摇已开 1 shake round open until")
    expect(handheld.locator("#queued")).to_have_text("排队 0 queued")
    expect(handheld.locator("#net")).to_have_attribute("data-state", "online")

    arrivals = db.session.scalars(select(Arrival).where(Arrival.courier_id == route.courier_id)).all()
    assert [(a.event_id, a.compound_id) for a in arrivals] == [(event_id, route.home_id)]
    assert tapped_after <= arrivals[0].occurred_at <= restored_at  # the tap's time, not the delivery's
    settle()
    assert count(ShakeRound, compound_id=route.home_id) == 1

    handheld.reload()  # a delivered tap stays delivered; nothing is sent twice
    expect(latest_tap(handheld)).to_have_attribute("data-status", "sent")
    expect(handheld.locator("#net")).to_have_attribute("data-state", "online")
    assert count(Arrival, courier_id=route.courier_id) == 1


def test_pick_list_updates_live_and_handover_checks_the_pickup_code(live_server, make, handheld, tmp_path):
    from playwright.sync_api import expect

    water = make.product(name="农夫山泉 550ml×24")
    route = route_with_campaign(make, prizes=[{"kind": "item", "product_id": water.id, "per_round": 5,
                                               "win_probability": 1.0}])
    handheld.clock.install()  # the page's timers run in real time until moved on below
    sign_in(handheld, live_server.url, route)
    expect(handheld.locator("#pick-note")).to_have_text("暂无待取货 Nothing to hand over here")

    handheld.get_by_role("button", name="到了 Arrived").click()
    expect(latest_tap(handheld)).to_contain_text("摇一摇已开 1 shake round open until")
    round_id = db.session.scalar(select(ShakeRound.id).where(ShakeRound.compound_id == route.home_id))
    _, shopper = make.shopper(home=route.home)
    won = make.shake(round_id, shopper).get_json()
    settle()
    assert won["result"] == "win", won
    order_id, code = won["prize"]["order"]["id"], won["prize"]["order"]["pickup_code"]

    card = handheld.locator(f'#picks li[data-order-id="{order_id}"]')  # pushed, not polled
    expect(card).to_contain_text("农夫山泉 550ml×24 ×1")
    expect(card).to_contain_text("摇中 won")
    expect(handheld.locator("#pick-count")).to_have_text("1")
    expect(handheld.locator("#route").get_by_role("button", name=route.home_name)).to_contain_text("1 待取")
    expect(card.locator("input.code")).to_have_attribute("inputmode", "numeric")
    handheld.clock.fast_forward(TAP_PAUSE)
    expect(handheld.get_by_role("button", name="到了 Arrived")).to_be_enabled()  # after its anti-double-tap pause
    assert handheld.evaluate("document.documentElement.scrollWidth") <= 360  # nothing sticks out sideways
    handheld.evaluate("window.scrollTo(0, 0)")
    screenshot(handheld, "handheld-360.png", tmp_path, full_page=True)

    card.locator("input.code").fill("12")  # half typed when the next order comes in
    store_order = make.placed_order(shopper, make.store_session(shopper, route.courier, route.home), [(water, 2)])
    settle()
    expect(handheld.locator(f'#picks li[data-order-id="{store_order["id"]}"]')).to_contain_text("农夫山泉 550ml×24 ×2")
    expect(handheld.locator("#pick-count")).to_have_text("2")
    expect(card.locator("input.code")).to_have_value("12")

    wrong = "000000" if code != "000000" else "111111"
    card.locator("input.code").fill(wrong)
    card.get_by_role("button", name="交货 Hand over").click()
    expect(card.locator(".message")).to_have_text("取货码错误 Wrong code · 还可试 4 次 4 tries left")
    assert db.session.get(Order, order_id).status == "reserved"
    settle()

    card.locator("input.code").fill(code)
    card.get_by_role("button", name="交货 Hand over").click()
    expect(card.locator(".message")).to_contain_text("已交货 Handed over")
    expect(handheld.locator("#route").get_by_role("button", name=route.home_name)).to_contain_text("1 待取")
    db.session.expire_all()
    assert db.session.get(Order, order_id).status == "completed"
    settle()


def test_wrong_password_is_refused_and_logout_returns_to_sign_in(live_server, make, handheld):
    from playwright.sync_api import expect

    route = route_with_campaign(make)
    handheld.goto(f"{live_server.url}/handheld/")
    handheld.locator("#employee-no").fill(route.employee_no)
    handheld.locator("#password").fill("not-the-password")
    handheld.get_by_role("button", name="登录 Sign in").click()
    expect(handheld.locator("#login-message")).to_have_text("工号或密码错误 Wrong employee no. or password")

    sign_in(handheld, live_server.url, route)
    expect(handheld.locator("#route .stop")).to_have_count(2)
    handheld.reload()  # the sign-in is kept on the device
    expect(handheld.locator("#courier-name")).to_have_text("王小哥")
    handheld.get_by_role("button", name="退出 Log out").click()
    expect(handheld.locator("#login-view")).to_be_visible()
    expect(handheld.locator("#employee-no")).to_have_value(route.employee_no)
    assert handheld.evaluate("localStorage.getItem('xiaoge.handheld.token')") is None


def test_a_tap_the_server_refuses_leaves_the_queue_with_the_reason(live_server, make, handheld):
    from playwright.sync_api import expect

    route = route_with_campaign(make)
    sign_in(handheld, live_server.url, route)
    route.courier.compounds.remove(route.home)  # ops takes the compound off today's route meanwhile
    settle()

    handheld.get_by_role("button", name="到了 Arrived").click()
    tap = latest_tap(handheld)
    expect(tap).to_have_attribute("data-status", "refused")
    expect(tap).to_contain_text("被拒 refused")
    expect(tap).to_contain_text("不在你的路线 Not on your route")
    expect(handheld.locator("#queued")).to_have_text("排队 0 queued")
    assert count(ShakeRound, compound_id=route.home_id) == 0


def test_a_busy_server_keeps_the_tap_queued_and_the_backoff_retry_delivers_it(live_server, make, handheld):
    from playwright.sync_api import expect

    route = route_with_campaign(make)
    answers = []

    def socket_down(ws):  # no socket at all: the tap must take the REST road, and retry it
        ws.close()

    def busy_once(request_route):
        answers.append(request_route.request.post_data_json["event_id"])
        if len(answers) == 1:
            request_route.fulfill(status=503, json={"error": {"code": "unavailable", "message": "busy"}})
        else:
            request_route.continue_()

    handheld.route_web_socket(re.compile(r"/socket\.io/"), socket_down)
    handheld.route("**/api/v1/courier/arrivals", busy_once)
    handheld.clock.install()  # the page's timers run in real time until moved on below
    handheld.goto(f"{live_server.url}/handheld/")
    handheld.locator("#employee-no").fill(route.employee_no)
    handheld.locator("#password").fill("courier-pass")
    handheld.get_by_role("button", name="登录 Sign in").click()
    expect(handheld.locator("#net")).to_have_attribute("data-state", "connecting")

    handheld.get_by_role("button", name="到了 Arrived").click()
    tap = latest_tap(handheld)
    expect(tap).to_contain_text("试了 1 tries: 服务器忙 Server busy (503)")
    expect(tap).to_have_attribute("data-status", "queued")
    handheld.clock.fast_forward(RETRY_WITHIN)
    expect(tap).to_have_attribute("data-status", "sent")  # the backoff timer's retry, 1-2 s later
    expect(tap).to_contain_text("摇一摇已开 1 shake round open until")
    assert len(answers) == 2 and answers[0] == answers[1]  # the same event_id both times
    assert count(Arrival, courier_id=route.courier_id) == 1
