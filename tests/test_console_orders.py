"""Ops on one order from the console (API and page): cancel it, unlock its handover; both audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Coupon, Order
from app.services.store import pickups
from tests.assertions import assert_error, assert_invalid
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)

CONSOLE = "/api/v1/console/orders"


@pytest.fixture
def order_with_coupon(make):
    """A store order waiting at the van, paid partly with a coupon; (order, courier, shopper headers, session)."""
    home = make.compound()
    courier = make.courier(compounds_=[home])
    _, headers = make.shopper(home=home)
    session_id = make.store_session(headers, courier)
    coupon = make.claimed_coupon(headers, make.coupon_template([home], discount_fen=500, threshold_fen=1000))
    order = make.placed_order(headers, session_id, [(make.product(price_fen=3000), 1)], coupon_id=coupon["id"])
    return order, courier, headers, session_id


def audit(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def lock(client, make, courier, order) -> None:
    headers = make.courier_headers(courier)
    wrong = "000000" if order["pickup_code"] != "000000" else "111111"
    for _ in range(pickups.MAX_WRONG_CODES):
        client.post(f"/api/v1/courier/pickups/{order['id']}/handover", json={"pickup_code": wrong}, headers=headers)


def test_ops_cancel_an_order_and_the_shopper_gets_the_coupon_back_to_use_again(client, make, order_with_coupon):
    order, _, headers, session_id = order_with_coupon

    answer = client.post(f"{CONSOLE}/{order['id']}/cancel", json={"reason": "顾客电话取消"},
                         headers=make.staff_headers("ops"))

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["order"]["status"] == "cancelled"
    assert db.session.get(Coupon, order["coupon_id"]).status == "unused"
    [entry] = audit("order.cancel")
    assert (entry.target_type, entry.target_id) == ("order", order["id"])
    assert entry.details["reason"] == "顾客电话取消" and entry.details["coupon_returned"] == order["coupon_id"]
    again = make.placed_order(headers, session_id, [(make.product(price_fen=3000), 1)], coupon_id=order["coupon_id"])
    assert again["discount_fen"] == 500


def test_a_cancelled_order_leaves_the_pick_list_and_cannot_be_handed_over(client, make, order_with_coupon):
    order, courier, _, _ = order_with_coupon
    client.post(f"{CONSOLE}/{order['id']}/cancel", json={"reason": "缺货"}, headers=make.staff_headers("ops"))
    courier_headers = make.courier_headers(courier)

    assert client.get("/api/v1/courier/pickups", headers=courier_headers).get_json()["orders"] == []
    handover = client.post(f"/api/v1/courier/pickups/{order['id']}/handover",
                           json={"pickup_code": order["pickup_code"]}, headers=courier_headers)
    assert_error(handover, 409, "not_available")


def test_cancelling_again_changes_nothing_and_is_audited_once(client, make, order_with_coupon):
    order, _, _, _ = order_with_coupon
    headers = make.staff_headers("ops")
    first = client.post(f"{CONSOLE}/{order['id']}/cancel", json={"reason": "一"}, headers=headers)

    again = client.post(f"{CONSOLE}/{order['id']}/cancel", json={"reason": "二"}, headers=headers)

    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert len(audit("order.cancel")) == 1


def test_a_handed_over_order_is_not_cancellable(client, make, order_with_coupon):
    order, courier, _, _ = order_with_coupon
    client.post(f"/api/v1/courier/pickups/{order['id']}/handover", json={"pickup_code": order["pickup_code"]},
                headers=make.courier_headers(courier))

    answer = client.post(f"{CONSOLE}/{order['id']}/cancel", json={"reason": "迟了"}, headers=make.staff_headers("ops"))

    assert_error(answer, 409, "not_cancellable")
    db.session.expire_all()
    assert db.session.get(Order, order["id"]).status == "completed"
    assert db.session.get(Coupon, order["coupon_id"]).status == "used"
    assert audit("order.cancel") == []


@pytest.mark.parametrize("body", [{}, {"reason": "   "}, {"reason": "x" * 201}])
def test_a_cancel_needs_a_reason(client, make, order_with_coupon, body):
    order, _, _, _ = order_with_coupon
    assert_invalid(client.post(f"{CONSOLE}/{order['id']}/cancel", json=body, headers=make.staff_headers("ops")),
                   "reason")
    assert db.session.get(Order, order["id"]).status == "reserved"


@pytest.mark.parametrize("action", ["cancel", "unlock-handover"])
def test_order_actions_on_a_missing_order_are_not_found(client, make, action):
    answer = client.post(f"{CONSOLE}/999999/{action}", json={"reason": "?"}, headers=make.staff_headers("admin"))
    assert_error(answer, 404, "not_found")


def test_ops_unlock_a_locked_handover_and_the_right_code_then_completes_it(client, make, order_with_coupon):
    order, courier, _, _ = order_with_coupon
    lock(client, make, courier, order)

    answer = client.post(f"{CONSOLE}/{order['id']}/unlock-handover", headers=make.staff_headers("ops"))

    assert answer.status_code == 200 and answer.get_json()["order"]["wrong_code_attempts"] == 0
    [entry] = audit("order.unlock_handover")
    assert entry.details == {"wrong_code_attempts": [pickups.MAX_WRONG_CODES, 0]}
    handover = client.post(f"/api/v1/courier/pickups/{order['id']}/handover",
                           json={"pickup_code": order["pickup_code"]}, headers=make.courier_headers(courier))
    assert handover.status_code == 200


# --- the console page --------------------------------------------------------------------


def test_ops_find_an_order_by_its_pickup_code_and_cancel_it_from_the_page(make, order_with_coupon, console):
    order, _, _, _ = order_with_coupon
    browser = console("ops")

    page = text(browser.get("/console/orders", query_string={"q": order["pickup_code"]}))
    assert f'data-order-id="{order["id"]}"' in page and "取消订单 Cancel order" in page

    done = browser.post(f"/console/orders/{order['id']}/cancel", {"reason": "顾客不要了"})

    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order["id"]).status == "cancelled"
    assert audit("order.cancel")[0].details["reason"] == "顾客不要了"
    shown = text(browser.get(done.headers["Location"]))
    assert "cancelled" in shown and "取消订单 Cancel order" not in shown


def test_the_page_refuses_a_cancel_without_a_reason(make, order_with_coupon, console):
    order, _, _, _ = order_with_coupon
    browser = console("ops")

    browser.post(f"/console/orders/{order['id']}/cancel", {"reason": " "})

    assert db.session.get(Order, order["id"]).status == "reserved"
    assert audit("order.cancel") == []


def test_ops_unlock_a_locked_handover_from_the_page(client, make, order_with_coupon, console):
    order, courier, _, _ = order_with_coupon
    lock(client, make, courier, order)
    browser = console("ops")
    page = text(browser.get("/console/orders", query_string={"q": order["id"]}))
    assert "已锁定 locked" in page and "解锁取货 Unlock handover" in page

    assert browser.post(f"/console/orders/{order['id']}/unlock-handover").status_code == 302

    db.session.expire_all()
    assert db.session.get(Order, order["id"]).wrong_code_attempts == 0
    assert len(audit("order.unlock_handover")) == 1


def test_the_page_says_when_nothing_matches(console):
    assert "没有找到订单" in text(console("ops").get("/console/orders?q=424242"))


def test_shopper_written_text_on_the_page_is_escaped(make, order_with_coupon, console):
    order, _, _, _ = order_with_coupon
    order_row = db.session.get(Order, order["id"])
    order_row.shopper.nickname = "<script>alert(1)</script>"
    db.session.commit()

    page = text(console("ops").get("/console/orders", query_string={"q": order["id"]}))

    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
