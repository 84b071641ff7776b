"""Clearance in the H5 store, in Chromium: its own section on the storefront, each clearance item
marked with the units left and its end, on the storefront and the catalogue; ordering one takes a unit."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.browser import PHONE, screenshot, watched_page
from tests.clearance import sold
from tests.test_browser_store import console_problem, settle, sign_in_and_choose, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

# 2099-06-01 12:00 UTC is 20:00 in Shanghai: the page shows the end in Beijing time.
ENDS_AT = datetime(2099, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def phone(browser, live_server):
    with watched_page(browser, live_server, console_problem, **PHONE) as page:
        yield page


def test_the_store_shows_clearance_items_with_units_left_and_their_end(app, live_server, make, phone, world,
                                                                       tmp_path):
    from playwright.sync_api import expect

    tissue = make.product(name="维达抽纸 3层×24包", price_fen=6990)
    deal_id = make.deal(tissue, [world.home], 3990, kind="clearance", quantity=5,
                        starts_at=datetime.now(timezone.utc) - timedelta(hours=1), ends_at=ENDS_AT).id
    settle()
    app.config["XIAOGE_DEMO"] = True
    sign_in_and_choose(phone, live_server.url, world)

    section = phone.locator("#items-clearance")
    expect(section).to_contain_text("维达抽纸 3层×24包")
    expect(section).to_contain_text("清仓 Clearance")
    expect(section).to_contain_text("剩 5 件 · 5 left")
    expect(section).to_contain_text("06/01 20:00")
    water = phone.locator("#items-hot li.item", has_text="农夫山泉 550ml×24")
    expect(water).to_have_count(1)
    expect(water.locator(".item-clearance")).to_have_count(0)  # a compound price is not marked
    screenshot(phone, "store-360-clearance.png", tmp_path, full_page=True)

    row = phone.locator("#shop-items li.item", has_text="维达抽纸 3层×24包")
    expect(row).to_contain_text("清仓 Clearance")
    for _ in range(6):
        row.get_by_role("button", name="加一 One more").click()
    beyond = row.locator(".beyond-clearance")
    expect(beyond).to_contain_text("More than the 5 left: not at the clearance price")
    for _ in range(5):
        row.get_by_role("button", name="减一 One less").click()
    expect(beyond).to_be_hidden()
    phone.get_by_role("button", name="下单 Order").click()
    expect(phone.locator("#order-list li.order").first).to_contain_text("¥39.9")
    taken = sold(deal_id)
    settle()  # the test thread's read ends before the page's next request (SQLite)
    assert taken == (1, 5)
