"""Ops refund a paid order (audited, role-checked) and read the day's reconciliation (both backends)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, PaymentRefund, utcnow
from tests.assertions import assert_error
from tests.console_web import console_fixture, text  # noqa: F401  (the fixture `console`)
from tests.pay_fixtures import ORDERS, order_status, pay, pay_sandbox, wechat_order  # noqa: F401

CONSOLE = "/api/v1/console"


@pytest.fixture
def paid_order(client, make, pay):
    """A WeChat order of 1800 fen, paid: (order, shopper headers, courier)."""
    home = make.compound()
    courier = make.courier(compounds_=[home])
    _, headers = make.shopper(home=home)
    order = wechat_order(client, headers, make.store_session(headers, courier), [(make.product(price_fen=900), 2)])
    assert client.post(f"{ORDERS}/{order['id']}/payment", headers=headers).status_code == 200
    pay.shopper_pays(order["id"])
    assert pay.deliver(pay.notifications(1)[0]).status_code == 204
    return order, headers, courier


def refund(client, headers, order_id, reason="damaged goods"):
    return client.post(f"{CONSOLE}/orders/{order_id}/refund", json={"reason": reason}, headers=headers)


def test_ops_refund_a_paid_order_in_full_audited_once(client, make, paid_order, pay):
    order, _, _ = paid_order
    ops = make.staff_headers("ops")
    answer = refund(client, ops, order["id"])
    assert answer.status_code == 200 and answer.get_json()["order"]["status"] == "refunding"
    assert refund(client, ops, order["id"]).get_json()["order"]["status"] == "refunding"
    db.session.expire_all()
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "order.refund")).all()
    assert entry.target_id == order["id"] and entry.details["reason"] == "damaged goods"
    assert entry.details["status"] == ["paid", "refunding"] and entry.details["refund_fen"] == 1800
    refund_row = db.session.scalar(select(PaymentRefund).where(PaymentRefund.order_id == order["id"]))
    assert refund_row.requested_by.startswith("staff:") and refund_row.status == "processing"


@pytest.mark.parametrize("role", ["marketing"])
def test_only_ops_and_admin_refund(client, make, paid_order, pay, role):
    order, _, _ = paid_order
    assert_error(refund(client, make.staff_headers(role), order["id"]), 403, "forbidden")
    _, shopper = make.shopper()
    assert_error(refund(client, shopper, order["id"]), 401, "unauthorized")
    assert refund(client, make.staff_headers("admin"), order["id"]).status_code == 200


def test_refund_needs_a_reason_and_a_paid_order(client, make, paid_order, pay):
    order, headers, courier = paid_order
    ops = make.staff_headers("ops")
    answer = client.post(f"{CONSOLE}/orders/{order['id']}/refund", json={}, headers=ops)
    assert answer.status_code == 422 and "reason" in answer.get_json()["error"]["fields"]
    handed = client.post(f"/api/v1/courier/pickups/{order['id']}/handover",
                         json={"pickup_code": order["pickup_code"]}, headers=make.courier_headers(courier))
    assert handed.status_code == 200
    assert_error(refund(client, ops, order["id"]), 409, "not_refundable")
    assert_error(refund(client, ops, 10**9), 404, "not_found")


def test_reconciliation_counts_the_day(client, make, paid_order, pay):
    order, headers, _ = paid_order
    ops = make.staff_headers("ops")
    refund(client, ops, order["id"])
    out_refund_no = db.session.scalar(select(PaymentRefund.out_refund_no))
    pay.settle_refund(out_refund_no)
    [notice] = [n for n in pay.notifications(2) if n["event_type"] == "REFUND.SUCCESS"]
    assert pay.deliver(notice).status_code == 204
    # A success for an order we never made, to be listed.
    forged = pay.forge("TRANSACTION.SUCCESS", {"out_trade_no": "XGUNKNOWN", "trade_state": "SUCCESS",
                                               "amount": {"total": 5}, "appid": "x", "mchid": "y"})
    assert pay.deliver(forged).status_code == 204
    today = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    answer = client.get(f"{CONSOLE}/reports/reconciliation", query_string={"date": today}, headers=ops)
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()
    assert report["paid"] == {"count": 1, "fen": 1800} and report["refunded"] == {"count": 1, "fen": 1800}
    assert report["handed_over"] == {"count": 0, "fen": 0}
    assert [d["kind"] for d in report["discrepancies"]] == ["unknown_order"]
    other = client.get(f"{CONSOLE}/reports/reconciliation", query_string={"date": "2001-01-01"}, headers=ops)
    assert other.get_json()["paid"] == {"count": 0, "fen": 0}
    bad = client.get(f"{CONSOLE}/reports/reconciliation", query_string={"date": "yesterday"}, headers=ops)
    assert bad.status_code == 422
    assert_error(client.get(f"{CONSOLE}/reports/reconciliation", query_string={"date": today},
                            headers=make.staff_headers("marketing")), 403, "forbidden")
    assert order_status(order["id"]) == "refunded" and report["date"] == today


def test_ops_refund_from_the_order_page(make, paid_order, pay, console):
    order, _, _ = paid_order
    browser = console("ops")
    page = text(browser.get("/console/orders", query_string={"q": order["id"]}))
    assert "全额退款 Refund in full" in page and "微信支付 WeChat Pay" in page
    browser.post(f"/console/orders/{order['id']}/refund", {"reason": " "})
    assert order_status(order["id"]) == "paid"  # a reason is required
    done = browser.post(f"/console/orders/{order['id']}/refund", {"reason": "货损 damaged"})
    assert done.status_code == 302 and order_status(order["id"]) == "refunding"
    shown = text(browser.get(done.headers["Location"]))
    assert "refunding" in shown and "全额退款 Refund in full" not in shown
    db.session.expire_all()
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "order.refund")).all()
    assert entry.details["reason"] == "货损 damaged"


def test_the_reconciliation_page_lists_the_day(make, paid_order, pay, console):
    pay.deliver(pay.forge("TRANSACTION.SUCCESS", {"out_trade_no": "XG<script>", "trade_state": "SUCCESS",
                                                  "amount": {"total": 5}, "appid": "x", "mchid": "y"}))
    browser = console("ops")
    page = text(browser.get("/console/orders/reconciliation"))
    assert "18.00" in page and "unknown_order" in page and "<script>" not in page
    assert "unknown_order" not in text(browser.get("/console/orders/reconciliation?date=2001-01-01"))
    assert console("marketing").get("/console/orders/reconciliation").status_code == 403


def test_ops_cancel_of_an_unpaid_wechat_order_closes_it_at_wechat_pay(client, make, pay):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    _, headers = make.shopper(home=home)
    order = wechat_order(client, headers, make.store_session(headers, courier), [(make.product(price_fen=300), 1)])
    assert client.post(f"{ORDERS}/{order['id']}/payment", headers=headers).status_code == 200
    answer = client.post(f"{CONSOLE}/orders/{order['id']}/cancel", json={"reason": "out of stock"},
                         headers=make.staff_headers("ops"))
    assert answer.status_code == 200 and answer.get_json()["order"]["status"] == "cancelled"
    assert pay.hook("GET", f"/transactions/{pay.trade_no(order['id'])}")[1]["transaction"]["trade_state"] == "CLOSED"


def test_ops_cancel_finds_a_lost_payment_and_asks_for_a_refund_instead(client, make, paid_order, pay):
    home = make.compound()
    courier = make.courier(compounds_=[home])
    _, headers = make.shopper(home=home)
    order = wechat_order(client, headers, make.store_session(headers, courier), [(make.product(price_fen=300), 1)])
    assert client.post(f"{ORDERS}/{order['id']}/payment", headers=headers).status_code == 200
    pay.mode("drop")
    pay.shopper_pays(order["id"])
    answer = client.post(f"{CONSOLE}/orders/{order['id']}/cancel", json={"reason": "out of stock"},
                         headers=make.staff_headers("ops"))
    assert_error(answer, 409, "not_cancellable")
    assert order_status(order["id"]) == "paid"
