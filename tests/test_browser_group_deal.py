"""A group deal filling up live in two browser pages (groups.js): two neighbours, each sees the
other's join in the progress bar without reloading, and the group succeed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Order
from tests.browser import PHONE, screenshot, watched_page
from tests.factories import now
from tests.test_browser_shop import wechat_pay_here  # noqa: F401  (fixture: WeChat Pay notifies this server)
from tests.test_browser_store import console_problem, settle, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def open_group_deal(client, make, world) -> int:
    product = make.product(name="阳澄湖大闸蟹 8只", price_fen=39800)
    answer = client.post("/api/v1/console/group-deals", headers=make.staff_headers("marketing"), json={
        "product_id": product.id, "compound_id": world.home_id, "group_price_fen": 29800, "min_households": 2,
        "deadline": (now() + timedelta(hours=3)).isoformat()})
    assert answer.status_code == 201, answer.get_json()
    settle()
    return answer.get_json()["group_deal"]["id"]


def enter_through_share_link(page, server_url, world, deal_id: int):
    """Open the shared link `/s/<courier_code>?group=<id>`, sign in as a demo shopper, choose the compound."""
    from playwright.sync_api import expect

    page.goto(f"{server_url}/s/{world.courier_code}?group={deal_id}")
    page.get_by_role("button", name="体验登录 Try as a demo shopper").click()
    page.locator("#route-chips").get_by_role("button", name=world.home_name).click()
    expect(page.locator("#xiaoge-store")).to_have_attribute("data-realtime", "live")
    card = page.locator(f'.group[data-group-id="{deal_id}"]')
    expect(card).to_have_class("group shared")  # the link's deal, picked out
    return card


def test_two_neighbours_fill_a_group_and_each_sees_the_other_join_live(app, client, make, browser, live_server,
                                                                       world, tmp_path):
    from playwright.sync_api import expect

    app.config["XIAOGE_DEMO"] = True
    deal_id = open_group_deal(client, make, world)
    with watched_page(browser, live_server, console_problem, **PHONE) as first, \
            watched_page(browser, live_server, console_problem, **PHONE) as second:
        mine = enter_through_share_link(first, live_server.url, world, deal_id)
        theirs = enter_through_share_link(second, live_server.url, world, deal_id)
        expect(mine).to_contain_text("已拼 0/2 户")
        expect(mine).to_contain_text("¥298")

        mine.get_by_role("button", name="参团 Join").click()
        expect(mine).to_contain_text("已参团，取货码")
        expect(mine.get_by_role("button", name="已参团 Joined")).to_be_disabled()
        expect(theirs).to_contain_text("已拼 1/2 户")  # pushed: the second page never reloaded
        expect(theirs.locator(".group-bar")).to_have_attribute("aria-valuenow", "1")

        theirs.get_by_role("button", name="参团 Join").click()
        expect(theirs).to_contain_text("已成团 Group on")
        expect(mine).to_contain_text("已拼 2/2 户")
        expect(mine).to_contain_text("已成团 Group on")
        screenshot(first, "group-deal-360.png", tmp_path)


def test_a_neighbour_joins_paying_by_wechat_pay(app, client, make, browser, live_server, world, wechat_pay_here):
    from playwright.sync_api import expect

    app.config["XIAOGE_DEMO"] = True
    deal_id = open_group_deal(client, make, world)
    with watched_page(browser, live_server, console_problem, **PHONE) as page:
        card = enter_through_share_link(page, live_server.url, world, deal_id)
        card.get_by_role("button", name="微信支付 WeChat Pay").click()
        expect(page.get_by_role("button", name="确认支付 Pay")).to_be_visible()  # WeChat Pay's page (sandbox)
        expect(page.locator("body")).to_contain_text("298.00")
        page.get_by_role("button", name="确认支付 Pay").click()
        expect(page.locator("#xiaoge-store")).to_have_attribute("data-realtime", "live")  # back in the store

    settle()
    order = db.session.scalars(select(Order).where(Order.source == "group")).one()
    assert (order.status, order.held, order.total_fen) == ("paid", True, 29800)  # paid, held for the group
