"""The handheld's 装车 Van load screen in a real browser (360 px, touch): big +/- buttons, saved whole,
never below what is reserved."""
from __future__ import annotations

import pytest

from tests.test_browser_handheld import handheld, route_with_campaign, settle, sign_in  # noqa: F401
from tests.browser import screenshot
from tests.van import load_van, quantity_and_reserved

pytestmark = pytest.mark.browser


def test_the_courier_loads_the_van_with_big_buttons_and_saves_it(  # noqa: F811  (the fixture `handheld`)
        live_server, make, client, handheld, tmp_path):
    from playwright.sync_api import expect

    milk, tea = make.product(name="光明牛奶"), make.product(name="龙井茶")
    route = route_with_campaign(make)
    courier_headers = make.courier_headers(route.courier)
    load_van(client, courier_headers, [(milk, 3)])
    _, shopper = make.shopper(home=route.home)
    make.placed_order(shopper, make.store_session(shopper, route.courier, route.home), [(milk, 2)])
    milk_id, tea_id = milk.id, tea.id
    settle()
    sign_in(handheld, live_server.url, route)

    handheld.locator("#vanload summary").click()
    row = handheld.locator(f'#van-items li[data-product-id="{milk_id}"]')
    expect(row).to_contain_text("光明牛奶")
    expect(row.locator(".van-quantity")).to_have_text("3")
    plus = row.get_by_role("button", name="加一 One more 光明牛奶")
    minus = row.get_by_role("button", name="减一 One fewer 光明牛奶")
    assert min(plus.bounding_box()["height"], plus.bounding_box()["width"]) >= 64  # a gloved thumb hits it
    plus.click()
    plus.click()
    minus.click()
    expect(row.locator(".van-quantity")).to_have_text("4")
    for _ in range(3):
        minus.click()
    expect(row.locator(".van-quantity")).to_have_text("2")  # 2 are reserved: it stops there
    expect(handheld.locator("#van-message")).to_contain_text("2 reserved")
    handheld.locator("#van-add-id").fill(str(tea_id))
    handheld.get_by_role("button", name="添加 Add").click()
    handheld.get_by_role("button", name="保存装车 Save van load").click()

    expect(handheld.locator("#van-message")).to_have_text("已保存 Saved ✓")
    expect(handheld.locator(f'#van-items li[data-product-id="{tea_id}"]')).to_contain_text("龙井茶")
    assert handheld.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(handheld, "handheld-van-load-360.png", tmp_path, full_page=True)
    assert quantity_and_reserved(milk_id) == (2, 2)
    assert quantity_and_reserved(tea_id) == (1, 0)
    settle()
