"""The H5 store in a real browser: Debian's chromium driven by Playwright, 360 px wide.

The app is served for real (HTTP and WebSocket, tests/live_server.py); the page signs in
through the demo login, opens the store, claims a coupon, hears the van arrive and shakes.
Never `playwright install`: the browser is the system's /usr/bin/chromium.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from app import broadcasts
from app.extensions import db
from app.models import utcnow
from app.services.campaigns import rounds
from tests.browser import PHONE, screenshot, watched_page

pytestmark = pytest.mark.browser

COUNTDOWN = re.compile(r"^[12]:[0-5]\d$")  # a two-minute window reads 2:00 or 1:5x
CLOSED_PANEL_STAYS = "00:06"  # app/web/static/shake.js, CLOSED_PANEL_STAYS_MS


@pytest.fixture
def phone(browser, live_server):
    """A 360x740 touch page on the live server; fails the test on any script error."""
    with watched_page(browser, live_server, console_problem, **PHONE) as page:
        yield page


def settle() -> None:
    """End the test thread's transaction before the browser needs the database.

    On SQLite every transaction begins IMMEDIATE (app/database.py): a test thread sitting
    on one (even after a read) would hold the live server's requests at the busy timeout.
    """
    db.session.commit()


HTTP_ERROR_NOTE = "Failed to load resource: the server responded"


def console_problem(message) -> bool:
    """A console error, except chromium's note of an HTTP error answer (422 compound_required
    is how the store learns to offer the chooser)."""
    return message.type == "error" and not message.text.startswith(HTTP_ERROR_NOTE)


@dataclass
class StoreWorld:
    courier: object  # ORM objects, for the factories
    home: object
    courier_code: str  # plain values, safe to read without touching the database
    home_id: int
    home_name: str
    coupon_id: int


@pytest.fixture
def world(make) -> StoreWorld:
    """A courier with two compounds, deals (public and staff) and a coupon in the first."""
    home, other = make.compound(), make.compound()
    courier = make.courier([home, other], name="王小哥")
    water = make.product(name="农夫山泉 550ml×24", price_fen=3990)
    make.deal(water, [home], 2990)
    rice = make.product(name="五常大米 5kg", price_fen=8990)
    make.deal(rice, [home], 6990, kind="staff")
    coupon = make.coupon_template([home], title="满30减5", discount_fen=500, threshold_fen=3000)
    built = StoreWorld(courier, home, courier.courier_code, home.id, home.name, coupon.id)
    settle()
    return built


def open_shake_round(make, world: StoreWorld, title: str) -> dict:
    """A live campaign in the home compound and the van's arrival there: the opened round."""
    make.campaign([world.home], title=title)
    arrival = make.arrival(world.courier, world.home)
    body = arrival.get_json()
    settle()
    assert arrival.status_code == 201, body
    (opened,) = body["rounds"]
    return opened


def sign_in_and_choose(page, server_url, world: StoreWorld, shots: Path | None = None):
    from playwright.sync_api import expect

    page.goto(f"{server_url}/s/{world.courier_code}")
    expect(page.locator("h1.name")).to_have_text("王小哥")
    login = page.get_by_role("button", name="体验登录 Try as a demo shopper")
    expect(login).to_be_visible()
    if shots:
        screenshot(page, "store-360-login.png", shots, full_page=True)
    login.click()
    expect(page.locator("#route-title")).to_contain_text("选择你的小区")
    if shots:
        screenshot(page, "store-360-chooser.png", shots, full_page=True)
    page.locator("#route-chips").get_by_role("button", name=world.home_name).click()
    expect(page.locator("#store-compound")).to_have_text(world.home_name)
    expect(page.locator("#xiaoge-store")).to_have_attribute("data-realtime", "live")


def test_shopper_opens_the_store_claims_a_coupon_and_shakes(app, live_server, make, phone,
                                                              world, tmp_path):
    from playwright.sync_api import expect

    app.config["XIAOGE_DEMO"] = True
    phone.clock.install()  # the page's own timers run in real time until moved on below
    sign_in_and_choose(phone, live_server.url, world, shots=tmp_path)

    expect(phone.locator("#items-hot")).to_contain_text("农夫山泉 550ml×24")
    expect(phone.locator("#items-hot")).to_contain_text("¥29.9")
    expect(phone.locator("#items-staff")).to_contain_text("五常大米 5kg")
    expect(phone.locator("#items-ranking")).to_contain_text("-25%")
    expect(phone.locator("#cta")).to_be_hidden()

    card = phone.locator(f'.coupon[data-coupon-id="{world.coupon_id}"]')
    card.get_by_role("button", name="领取 Claim").click()
    expect(card).to_contain_text("领取成功")
    expect(card.get_by_role("button")).to_have_text("已领取 Claimed")
    expect(card.get_by_role("button")).to_be_disabled()
    screenshot(phone, "store-360-storefront.png", tmp_path, full_page=True)

    opened = open_shake_round(make, world, "到车摇一摇")
    expect(phone.locator("#van-banner")).to_contain_text("小哥到了! The van is here")
    expect(phone.locator("#shake-panel")).to_be_visible()
    expect(phone.locator("#shake-title")).to_have_text("到车摇一摇")
    expect(phone.locator("#shake-countdown")).to_have_text(COUNTDOWN)
    expect(phone.locator("#shake-left")).to_contain_text("还能摇 3 次")

    phone.locator("#shake-button").click()
    result = phone.locator("#shake-result")
    expect(result).to_contain_text("中奖啦! You won!")
    expect(result).to_contain_text("满30减5")
    expect(result).to_contain_text("Coupon added to your wallet")
    expect(phone.locator("#shake-left")).to_contain_text("还能摇 2 次")
    screenshot(phone, "store-360.png", tmp_path)

    closed = rounds.close_due_rounds(db.session, utcnow() + timedelta(days=1), world.home_id)
    assert [r.id for r in closed] == [opened["id"]]
    commitment = closed[0].seed_sha256
    settle()
    broadcasts.shake_closed(closed[0])
    settle()
    expect(result).to_contain_text("本轮已结束 This round is over")
    expect(phone.locator("#shake-button")).to_be_disabled()
    expect(result.get_by_role("link", name="验证公平 Verify")).to_have_attribute(  # the commitment heard at open
        "href", f"/draws/{opened['id']}?commitment={commitment}")
    expect(phone.locator("#shake-panel")).to_be_visible()  # saying so, for a while
    phone.clock.fast_forward(CLOSED_PANEL_STAYS)
    expect(phone.locator("#shake-panel")).to_be_hidden()


def test_a_round_already_open_shows_the_shake_panel_on_load(app, live_server, make, phone,
                                                           world):
    from playwright.sync_api import expect

    app.config["XIAOGE_DEMO"] = True
    open_shake_round(make, world, "早到早摇")
    sign_in_and_choose(phone, live_server.url, world)
    expect(phone.locator("#shake-panel")).to_be_visible()
    expect(phone.locator("#shake-title")).to_have_text("早到早摇")
    phone.locator("#shake-later").click()
    expect(phone.locator("#shake-panel")).to_be_hidden()
    phone.locator("#shake-pill").click()
    expect(phone.locator("#shake-panel")).to_be_visible()


def test_shaking_the_phone_shakes(app, live_server, make, phone, world):
    from playwright.sync_api import expect

    app.config["XIAOGE_DEMO"] = True
    open_shake_round(make, world, "摇手机")
    phone.context.grant_permissions(["accelerometer", "gyroscope"])
    sign_in_and_choose(phone, live_server.url, world)
    expect(phone.locator("#shake-panel")).to_be_visible()
    enable = phone.locator("#shake-motion")
    if enable.is_visible():  # chromium, like iOS, asks first (DeviceMotionEvent.requestPermission)
        enable.click()
        expect(enable).to_be_hidden()
    expect(phone.locator("#shake-left")).to_contain_text("还能摇 3 次")
    phone.evaluate("""() => window.dispatchEvent(new DeviceMotionEvent("devicemotion", {
        acceleration: {x: 18, y: 9, z: 4}, accelerationIncludingGravity: {x: 18, y: 19, z: 4},
        interval: 16}))""")
    expect(phone.locator("#shake-result")).to_contain_text("中奖啦! You won!")
    expect(phone.locator("#shake-left")).to_contain_text("还能摇 2 次")


def test_outside_demo_mode_the_page_only_offers_wechat(app, live_server, phone, world):
    from playwright.sync_api import expect

    app.config["XIAOGE_DEMO"] = False
    phone.goto(f"{live_server.url}/s/{world.courier_code}")
    expect(phone.locator("#cta")).to_be_visible()
    expect(phone.get_by_text("请在微信中打开")).to_be_visible()
    assert phone.locator("#demo-login").count() == 0
    expect(phone.locator("#route-chips")).to_contain_text(world.home_name)
    expect(phone.locator("#shake-panel")).to_be_hidden()


def test_claim_refusals_are_shown_in_chinese_and_english(app, live_server, make, phone, world):
    from playwright.sync_api import expect

    app.config["XIAOGE_DEMO"] = True
    last_one = make.coupon_template([world.home], title="最后一张", total=1)
    last_one_id = last_one.id
    settle()
    sign_in_and_choose(phone, live_server.url, world)
    card = phone.locator(f'.coupon[data-coupon-id="{last_one_id}"]')
    expect(card).to_contain_text("剩 1 张")

    _, neighbour = make.shopper(home=world.home)  # a neighbour takes the last one meanwhile
    settle()
    taken = make.client.post(f"/api/v1/coupons/{last_one_id}/claims", headers=neighbour)
    settle()
    assert taken.status_code == 201, taken.get_json()

    card.get_by_role("button", name="领取 Claim").click()
    expect(card.locator(".coupon-status")).to_have_text("已抢光 Sold out")
    expect(card.get_by_role("button")).to_have_text("已抢光 Sold out")
    expect(card.get_by_role("button")).to_be_disabled()
