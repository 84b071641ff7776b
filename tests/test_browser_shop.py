"""Shopping in the H5 store, in Chromium: browse and search the catalogue, order for the van,
see the order with its pickup code, have it handed over or cancel it (shop.js)."""
from __future__ import annotations

import pytest

from tests.browser import PHONE, screenshot, watched_page
from tests.test_browser_store import console_problem, settle, sign_in_and_choose, world  # noqa: F401  (fixture)
from wechat.pay import NOTIFY_PATH

pytestmark = pytest.mark.browser

PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}  # a common phone today (iPhone 12-15)


@pytest.fixture
def phone(browser, live_server):
    """A 390x844 touch page on the live server; fails the test on any script error."""
    with watched_page(browser, live_server, console_problem, **PHONE_390) as page:
        yield page


def order_row(page):
    return page.locator("#order-list li.order").first


def add_two_waters(page):
    from playwright.sync_api import expect

    page.locator("#shop-search").fill("农夫")
    page.get_by_role("button", name="搜索 Search").click()
    expect(page.locator("#shop-items li.item")).to_have_count(1)
    row = page.locator("#shop-items li.item", has_text="农夫山泉 550ml×24")
    expect(row).to_contain_text("¥29.9")
    row.get_by_role("button", name="加一 One more").click()
    row.get_by_role("button", name="加一 One more").click()
    expect(page.locator("#cart-total")).to_have_text("¥59.8")


def test_a_shopper_orders_for_the_van_and_the_courier_hands_it_over(app, live_server, make, phone, world,
                                                                    client, tmp_path):
    from playwright.sync_api import expect

    app.config["XIAOGE_DEMO"] = True
    sign_in_and_choose(phone, live_server.url, world)
    categories = phone.locator("#shop-categories")
    expect(categories.get_by_role("tab", name="全部 All")).to_have_attribute("aria-selected", "true")
    add_two_waters(phone)
    phone.get_by_role("button", name="下单 Order").click()
    row = order_row(phone)
    expect(row).to_have_attribute("data-status", "reserved")
    expect(row).to_contain_text("农夫山泉 550ml×24 × 2")
    expect(row).to_contain_text("¥59.8")
    expect(phone.locator("#cart-bar")).to_be_hidden()

    order_id = int(row.get_attribute("data-order-id"))
    code = row.locator(".order-head b").inner_text().removeprefix("取货码 ")
    answer = client.post(f"/api/v1/courier/pickups/{order_id}/handover", json={"pickup_code": code},
                         headers=make.courier_headers(world.courier))
    assert answer.status_code == 200, answer.get_json()
    settle()
    phone.get_by_role("button", name="刷新 Refresh").click()
    expect(order_row(phone)).to_have_attribute("data-status", "completed")
    expect(order_row(phone)).to_contain_text("已完成")
    expect(order_row(phone).get_by_role("button", name="取消 Cancel")).to_have_count(0)


def test_a_shopper_cancels_an_order_waiting_at_the_van(app, live_server, phone, world):
    from playwright.sync_api import expect

    app.config["XIAOGE_DEMO"] = True
    sign_in_and_choose(phone, live_server.url, world)
    add_two_waters(phone)
    phone.get_by_role("button", name="下单 Order").click()
    expect(order_row(phone)).to_have_attribute("data-status", "reserved")
    phone.once("dialog", lambda dialog: dialog.accept())
    order_row(phone).get_by_role("button", name="取消 Cancel").click()
    expect(order_row(phone)).to_have_attribute("data-status", "cancelled")


@pytest.fixture
def wechat_pay_here(app, live_server, sandbox):
    """WeChat Pay's notifications to this live server (the sandbox really POSTs them), refunds
    settled by the sandbox at once, as the demo has it."""
    saved = app.config["WECHATPAY_NOTIFY_URL"]
    app.config["WECHATPAY_NOTIFY_URL"] = live_server.url + NOTIFY_PATH
    app.extensions.pop("xiaoge.pay", None)
    sandbox.pay.reset()
    yield
    sandbox.pay.reset()
    app.config["WECHATPAY_NOTIFY_URL"] = saved
    app.extensions.pop("xiaoge.pay", None)


def pay_on_the_sandbox_page(page):
    from playwright.sync_api import expect

    page.get_by_role("button", name="下单 Order").click()
    expect(page.get_by_role("button", name="确认支付 Pay")).to_be_visible()  # WeChat Pay's page (sandbox)
    expect(page.locator("body")).to_contain_text("59.80")
    page.get_by_role("button", name="确认支付 Pay").click()
    expect(order_row(page)).to_have_attribute("data-status", "paid")  # back in the store, told by WeChat Pay


def test_a_shopper_pays_by_wechat_pay_and_the_courier_hands_it_over(app, live_server, make, phone, world,
                                                                    client, wechat_pay_here, tmp_path):
    from playwright.sync_api import expect

    app.config["XIAOGE_DEMO"] = True
    sign_in_and_choose(phone, live_server.url, world)
    add_two_waters(phone)
    phone.locator("#cart-pay").select_option("wechat")
    pay_on_the_sandbox_page(phone)
    row = order_row(phone)
    code = row.locator(".order-head b").inner_text().removeprefix("取货码 ")
    answer = client.post(f"/api/v1/courier/pickups/{row.get_attribute('data-order-id')}/handover",
                         json={"pickup_code": code}, headers=make.courier_headers(world.courier))
    assert answer.status_code == 200, answer.get_json()
    settle()
    phone.get_by_role("button", name="刷新 Refresh").click()
    expect(order_row(phone)).to_have_attribute("data-status", "completed")
    screenshot(phone, "store-390-paid.png", tmp_path)


def test_a_shopper_cancels_a_paid_order_and_sees_it_refunded(app, live_server, phone, world, wechat_pay_here):
    from playwright.sync_api import expect

    app.config["XIAOGE_DEMO"] = True
    sign_in_and_choose(phone, live_server.url, world)
    add_two_waters(phone)
    phone.locator("#cart-pay").select_option("wechat")
    pay_on_the_sandbox_page(phone)
    phone.once("dialog", lambda dialog: dialog.accept())
    order_row(phone).get_by_role("button", name="取消 Cancel").click()
    expect(order_row(phone)).to_have_attribute("data-status", "refunded", timeout=15_000)
    expect(order_row(phone)).to_contain_text("已退款")
