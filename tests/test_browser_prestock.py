"""The handheld's 装车单 Loading list in a real browser (360 px, touch): today's suggestion from past
sales, confirmed with one big button, and the van load is set."""
from __future__ import annotations

import pytest

from tests.browser import screenshot
from tests.prestock import sold_every_day, today
from tests.test_browser_handheld import handheld, route_with_campaign, settle, sign_in  # noqa: F401
from tests.van import quantity_and_reserved

pytestmark = pytest.mark.browser


def test_the_courier_confirms_the_loading_list_and_the_van_is_loaded(  # noqa: F811  (the fixture `handheld`)
        live_server, make, client, handheld, tmp_path):
    from playwright.sync_api import expect

    milk = make.product(name="光明牛奶")
    route = route_with_campaign(make)
    shopper_id, _ = make.shopper()
    sold_every_day(shopper_id, route.courier, route.home, [(milk, 3)], 28, today())
    milk_id, home_name = milk.id, route.home_name
    settle()
    sign_in(handheld, live_server.url, route)

    handheld.locator("#prestock summary").click()
    row = handheld.locator(f'#prestock-items li[data-product-id="{milk_id}"]')
    expect(row).to_contain_text("光明牛奶")
    expect(row.locator(".prestock-quantity")).to_have_text("3")
    expect(row.locator(".prestock-compounds")).to_have_text(f"{home_name} 3")
    confirm = handheld.get_by_role("button", name="确认装车 Confirm van load")
    assert min(confirm.bounding_box()["height"], confirm.bounding_box()["width"]) >= 64  # a gloved thumb
    confirm.click()

    expect(handheld.locator("#prestock-message")).to_contain_text("已装车 Van loaded")
    expect(handheld.locator("#prestock-date")).to_contain_text("已审核 reviewed")
    handheld.locator("#vanload summary").click()
    expect(handheld.locator(f'#van-items li[data-product-id="{milk_id}"] .van-quantity')).to_have_text("3")
    assert handheld.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(handheld, "handheld-loading-list-360.png", tmp_path, full_page=True)
    assert quantity_and_reserved(milk_id) == (3, 0)
    settle()
