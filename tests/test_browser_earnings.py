"""The handheld's "my store" figures in a real browser (360 px): today's and this month's sales and
earnings, big, and brought up to date by a handover at the van."""
from __future__ import annotations

import pytest

from tests.browser import screenshot
from tests.earnings import set_rates
from tests.test_browser_handheld import handheld, route_with_campaign, settle, sign_in  # noqa: F401

pytestmark = pytest.mark.browser


def test_the_courier_sees_todays_and_this_months_earnings_grow_with_a_handover(  # noqa: F811  (the fixture `handheld`)
        live_server, make, handheld, tmp_path):
    from playwright.sync_api import expect

    tea = make.product(name="龙井茶", category="茶饮", price_fen=2500)
    set_rates(1000)
    route = route_with_campaign(make)
    _, shopper = make.shopper(home=route.home)
    order = make.placed_order(shopper, make.store_session(shopper, route.courier, route.home), [(tea, 2)])
    settle()
    sign_in(handheld, live_server.url, route)

    expect(handheld.locator("#earn-today-sales")).to_have_text("¥0.00")
    expect(handheld.locator("#earn-month-commission")).to_have_text("¥0.00")
    card = handheld.locator(f'#picks li[data-order-id="{order["id"]}"]')
    card.locator("input.code").fill(order["pickup_code"])
    card.get_by_role("button", name="交货 Hand over").click()
    expect(card.locator(".message")).to_contain_text("已交货 Handed over")

    expect(handheld.locator("#earn-today-sales")).to_have_text("¥50.00")
    expect(handheld.locator("#earn-today-commission")).to_have_text("¥5.00")
    expect(handheld.locator("#earn-month-commission")).to_have_text("¥5.00")
    expect(handheld.locator("#earn-today-orders")).to_have_text("1 单 orders")
    font_size = handheld.locator("#earn-today-commission").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert font_size >= 28  # read at arm's length
    assert handheld.evaluate("document.documentElement.scrollWidth") <= 360
    handheld.evaluate("window.scrollTo(0, 0)")
    screenshot(handheld, "handheld-earnings-360.png", tmp_path)
    settle()
