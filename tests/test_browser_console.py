"""The staff console in a real browser: Debian's chromium driven by Playwright.

A marketer signs in, creates a campaign with two prizes, opens its live dashboard; a
courier's arrival (through the API) opens a round, shoppers shake (through the API), and
the dashboard shows the round and the counts change with no reload. A member of staff
without the role reaches neither the page nor its API. The app is served for real (HTTP
and WebSocket, tests/live_server.py) with its round sweeper on, which pushes the figures.
Never `playwright install`: the browser is the system's /usr/bin/chromium.
"""
from __future__ import annotations

import re
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest

from app import create_app
from app.console.display import SHANGHAI
from app.extensions import db
from app.models import Campaign, utcnow
from tests.browser import screenshot, watched_page
from tests.conftest import app_config, empty_all_tables

pytestmark = pytest.mark.browser

COUNTDOWN = re.compile(r"^[12]:[0-5]\d$")  # a two-minute round reads 2:00 or 1:5x
PASSWORD = "console-pass-1"


@pytest.fixture
def app(database_url, sandbox):
    """The app with its round sweeper on: the dashboard's figures come from its pushes."""
    app = create_app({**app_config(database_url, sandbox.url), "ROUND_SWEEPER": True})
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def desk(browser, live_server):
    """A desktop page on the live server, in Shanghai; fails the test on any script error."""
    with watched_page(browser, live_server, console_problem, viewport={"width": 1360, "height": 900},
                      locale="zh-CN", timezone_id="Asia/Shanghai") as page:
        yield page


def console_problem(note) -> bool:
    """A console error, except chromium's note of an HTTP error answer (a 403 is expected here)."""
    return note.type == "error" and not note.text.startswith("Failed to load resource: the server responded")


def settle() -> None:
    """End the test thread's transaction before the browser or the sweeper needs the database
    (on SQLite every transaction begins IMMEDIATE: see app/database.py)."""
    db.session.commit()


@pytest.fixture
def world(make):
    """A compound on a courier's route, a coupon and a product to give away, and a marketer."""
    home = make.compound(name="浦东阳光苑", district="浦东新区")
    make.compound(name="翠湖天地", district="浦东新区")
    courier = make.courier([home], name="王小哥")
    coupon = make.coupon_template([home], title="满30减5")
    water = make.product(name="农夫山泉 550ml×24", price_fen=3990)
    marketer = make.staff_member("marketing", password=PASSWORD, username="lily.marketing")
    ops = make.staff_member("ops", password=PASSWORD, username="tom.ops")
    built = SimpleNamespace(home=home, courier=courier, home_id=home.id, coupon_id=coupon.id,
                            water_id=water.id,
                            marketer=marketer.username, ops=ops.username)
    settle()
    return built


def sign_in(page, server_url: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server_url}/console/login")
    page.get_by_label("用户名 Username").fill(username)
    page.get_by_label("密码 Password").fill(PASSWORD)
    page.get_by_role("button", name="登录 Sign in").click()
    expect(page.locator("h1")).to_contain_text("你好")


def shanghai_minutes(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def fill_campaign_form(page, world) -> None:
    from playwright.sync_api import expect

    page.get_by_label("活动名称 Title").fill("晚高峰 到车摇一摇")
    page.get_by_label("开始 Starts").fill(shanghai_minutes(utcnow() - timedelta(minutes=1)))
    page.get_by_label("结束 Ends").fill(shanghai_minutes(utcnow() + timedelta(days=1)))
    page.get_by_label("浦东阳光苑").check()
    rows = page.locator("#prize-rows .prize-row")
    rows.nth(0).locator('[data-part="prize"]').select_option(f"coupon:{world.coupon_id}")
    rows.nth(0).locator('[data-part="per_round"]').fill("20")
    rows.nth(0).locator('[data-part="win_probability"]').fill("50")
    rows.nth(1).locator('[data-part="prize"]').select_option(f"item:{world.water_id}")
    rows.nth(1).locator('[data-part="per_round"]').fill("4")
    rows.nth(1).locator('[data-part="win_probability"]').fill("10")
    expect(rows.nth(0).locator('[data-part="odds"]')).to_contain_text("约每 2 次摇中 1 次")
    expect(rows.nth(1).locator('[data-part="odds"]')).to_contain_text("1 every 30 s")
    expect(page.locator("#pool-summary")).to_contain_text("每轮共 24 份奖品")
    expect(page.locator("#pool-summary")).to_contain_text("60%")  # the shares lie end to end: 0.5 + 0.1


def test_a_marketer_creates_a_campaign_and_watches_it_live(app, live_server, make, desk, world, tmp_path):
    from playwright.sync_api import expect

    sign_in(desk, live_server.url, world.marketer)
    desk.get_by_role("link", name="摇一摇活动 Campaigns").first.click()
    desk.get_by_role("link", name="新建活动 New campaign").click()
    fill_campaign_form(desk, world)
    screenshot(desk, "console-campaign-form.png", tmp_path, full_page=True)
    desk.get_by_role("button", name="创建活动 Create campaign").click()

    expect(desk.locator(".flash")).to_contain_text("已创建活动 Campaign created")
    expect(desk.locator("h1 .status")).to_have_text("进行中 Live")
    expect(desk.locator("#pool")).to_contain_text("农夫山泉 550ml×24")
    campaign = db.session.scalar(db.select(Campaign).where(Campaign.title == "晚高峰 到车摇一摇"))
    assert [(p.kind, p.per_round, p.win_probability) for p in campaign.prizes] == [
        ("coupon", 20, 0.5), ("item", 4, 0.1)]
    settle()

    desk.get_by_role("link", name="实时看板 Live dashboard").click()
    expect(desk.locator("#dashboard")).to_have_attribute("data-realtime", "live")
    expect(desk.locator("#kpi-shakes")).to_have_text("0")
    desk.evaluate("() => { window.notReloaded = true; }")

    arrival = make.arrival(world.courier, world.home)
    settle()
    assert arrival.status_code == 201, arrival.get_json()
    (opened,) = arrival.get_json()["rounds"]
    round_card = desk.locator(f'.round[data-round-id="{opened["id"]}"]')
    expect(round_card).to_contain_text("浦东阳光苑")
    expect(round_card.locator(".countdown")).to_have_text(COUNTDOWN)
    expect(desk.locator("#arrivals")).to_contain_text("王小哥")

    for _ in range(3):
        _, headers = make.shopper(home=world.home)
        for _ in range(2):
            assert make.shake(opened["id"], headers).status_code == 200
    settle()
    expect(desk.locator("#kpi-shakes")).to_have_text("6")
    expect(desk.locator("#kpi-rounds")).to_have_text("1")
    expect(desk.locator("#prizes tbody tr")).to_have_count(2)
    expect(desk.locator("#prizes")).to_contain_text("满30减5")
    assert desk.evaluate("() => window.notReloaded") is True

    # shoppers in the store: they count as watching, and they give the chart a few seconds of shakes
    shake_in_waves(make, world, opened["id"], shoppers=6)
    expect(desk.locator("#kpi-watching")).to_have_text("6")
    expect(desk.locator("#kpi-shakes")).to_have_text("22")
    expect(desk.locator("#watching")).to_contain_text("浦东阳光苑")
    assert desk.evaluate("() => window.notReloaded") is True
    screenshot(desk, "console-dashboard.png", tmp_path, full_page=True)


def shake_in_waves(make, world, round_id: int, shoppers: int) -> None:
    """Shoppers open the courier's store, then shake in waves a second apart (16 shakes for 6)."""
    crowd = []
    for _ in range(shoppers):
        _, headers = make.shopper(home=world.home)
        make.store_session(headers, world.courier, world.home)
        crowd.append(headers)
    settle()
    for wave in (crowd[:2], crowd[:4], crowd[:6], crowd[2:6]):
        for headers in wave:
            assert make.shake(round_id, headers).status_code == 200
        settle()
        time.sleep(1)


def test_staff_without_the_role_reach_neither_the_page_nor_its_api(app, live_server, make, desk, world):
    from playwright.sync_api import expect

    campaign_id = make.campaign([world.home]).id
    settle()
    sign_in(desk, live_server.url, world.ops)
    expect(desk.locator("nav.sidebar")).not_to_contain_text("摇一摇活动")
    answer = desk.goto(f"{live_server.url}/console/campaigns/{campaign_id}/live")
    assert answer.status == 403
    expect(desk.locator("h1")).to_contain_text("无权访问")
    assert desk.request.get(f"{live_server.url}/console/campaigns/{campaign_id}/live.json").status == 403

    token = desk.request.post(f"{live_server.url}/api/v1/console/auth",
                              data={"username": world.ops, "password": PASSWORD}).json()["token"]
    refused = desk.request.get(f"{live_server.url}/api/v1/console/campaigns/{campaign_id}",
                               headers={"Authorization": f"Bearer {token}"})
    assert refused.status == 403 and refused.json()["error"]["code"] == "forbidden"
