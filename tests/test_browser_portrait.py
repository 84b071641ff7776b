"""The compound portrait page and the forms' "pick by portrait" filter in a real browser
(Debian's chromium through Playwright, never `playwright install`)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import utcnow
from app.services.portrait import portraits
from tests.browser import screenshot
from tests.portraits import order_at
from tests.test_browser_console import PASSWORD, app, desk, settle, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def town(make):
    """Two compounds, one buying for babies, one for the kitchen; their portraits; a marketer."""
    babies = make.compound(name="宝宝花园")
    kitchen = make.compound(name="粮油新村")
    courier = make.courier([babies, kitchen])
    diapers = make.product(name="纸尿裤 L码", category="母婴", price_fen=8900)
    rice = make.product(name="五常大米 5kg", category="粮油", price_fen=6990)
    now = utcnow()
    for n in range(3):
        order_at(make.shopper()[0], babies, courier, now - timedelta(days=n, minutes=5), [(diapers, 1), (rice, 1)])
        order_at(make.shopper()[0], kitchen, courier, now - timedelta(days=n, minutes=5), [(rice, 2)])
    for compound in (babies, kitchen):
        portraits.refresh_portrait(db.session, compound.id, now)
    make.staff_member("marketing", password=PASSWORD, username="mia.marketing")
    ids = babies.id, kitchen.id
    settle()
    return ids


def test_marketing_reads_a_portrait_with_charts_and_picks_compounds_by_it(desk, live_server, town, tmp_path):
    from playwright.sync_api import expect

    babies_id, kitchen_id = town
    sign_in(desk, live_server.url, "mia.marketing")
    desk.goto(f"{live_server.url}/console/compounds/{babies_id}/portrait")

    expect(desk.locator("h1")).to_contain_text("宝宝花园")
    expect(desk.locator("#kpi-orders")).to_have_text("3")
    expect(desk.locator("#kpi-households")).to_have_text("3")
    for chart in ("categories", "bands", "hours", "weekdays"):
        expect(desk.locator(f"#chart-{chart} canvas")).to_have_count(1)
    expect(desk.locator("#chart-categories")).to_have_attribute("data-drawn", "2")  # 母婴, 粮油
    expect(desk.locator("#chart-categories")).to_contain_text("全市 City %")
    expect(desk.locator("#top-products")).to_contain_text("纸尿裤 L码")
    screenshot(desk, "console-portrait.png", tmp_path, full_page=True)

    desk.get_by_role("button", name="立即更新 Refresh now").click()
    expect(desk.locator("body")).to_contain_text("画像已更新 Portrait refreshed")

    desk.goto(f"{live_server.url}/console/coupons")
    desk.get_by_label("品类 Category").fill("母婴")
    desk.get_by_label("最低占比 Minimum share %").fill("10")
    desk.get_by_role("button", name="选中 Select").click()
    expect(desk.locator(".portrait-filter [data-part=result]")).to_contain_text("选中 1 个小区")
    expect(desk.get_by_label("宝宝花园")).to_be_checked()
    expect(desk.get_by_label("粮油新村")).not_to_be_checked()
