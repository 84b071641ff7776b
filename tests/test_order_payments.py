"""Paying an order through WeChat Pay (both backends, the sandbox's stand-in, real signatures and encryption)."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Order, Payment, PaymentDiscrepancy, PaymentNotification
from tests.assertions import assert_error
from tests.pay_fixtures import ORDERS, order_status, pay, pay_sandbox, wechat_order  # noqa: F401


@pytest.fixture
def shop(make):
    built = make.shop()
    return built.home, built.courier, built.headers, built.store_session_id


@pytest.fixture
def placed(client, make, shop, pay):
    """A pending WeChat order of 2 x 1200 fen, prepaid: (order body, shopper headers)."""
    _, _, headers, session_id = shop
    order = wechat_order(client, headers, session_id, [(make.product(price_fen=1200), 2)])
    answer = client.post(f"{ORDERS}/{order['id']}/payment", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return order, headers


def discrepancies() -> list[PaymentDiscrepancy]:
    db.session.expire_all()
    return list(db.session.scalars(select(PaymentDiscrepancy).order_by(PaymentDiscrepancy.id)))


def seen_notifications() -> int:
    return db.session.scalar(select(func.count()).select_from(PaymentNotification))


def test_wechat_order_waits_for_payment_until_its_deadline(client, make, shop, pay, app):
    _, _, headers, session_id = shop
    order = wechat_order(client, headers, session_id, [(make.product(price_fen=500), 1)])
    assert order["status"] == "pending_payment" and order["pay_method"] == "wechat"
    minutes = (datetime.fromisoformat(order["pay_deadline"]) - datetime.fromisoformat(order["created_at"]))
    assert abs(minutes.total_seconds() - 60 * app.config.get("ORDER_PAY_MINUTES", 15)) < 5


def test_payment_arguments_are_signed_and_prepaid_once(client, placed, pay):
    order, headers = placed
    again = client.post(f"{ORDERS}/{order['id']}/payment", headers=headers)
    first = client.post(f"{ORDERS}/{order['id']}/payment", headers=headers).get_json()["payment"]
    assert again.status_code == 200
    assert again.get_json()["payment"]["package"] == first["package"]
    assert first["package"].startswith("prepay_id=") and first["signType"] == "RSA" and first["paySign"]
    status, view = pay.hook("GET", f"/transactions/{pay.trade_no(order['id'])}")
    assert view["transaction"]["trade_state"] == "NOTPAY"
    assert view["request"]["amount"]["total"] == 2400


def test_pay_end_to_end_through_the_sandbox(client, placed, pay):
    order, headers = placed
    pay.shopper_pays(order["id"])
    [notification] = pay.notifications(1)
    answer = pay.deliver(notification)
    assert answer.status_code == 204, answer.get_json()
    mine = client.get(f"{ORDERS}/{order['id']}", headers=headers).get_json()["order"]
    assert mine["status"] == "paid" and mine["paid_at"] and mine["refunded_fen"] == 0
    assert db.session.scalar(select(Payment.transaction_id).where(Payment.order_id == order["id"]))


def test_a_repeated_notification_changes_nothing(client, placed, pay):
    order, _ = placed
    pay.mode("twice")
    pay.shopper_pays(order["id"])
    first, second = pay.notifications(2)
    assert first["body"] == second["body"]
    assert pay.deliver(first).status_code == 204
    paid_at = db.session.get(Order, order["id"]).paid_at
    assert pay.deliver(second).status_code == 204
    assert pay.deliver(first).status_code == 204
    db.session.expire_all()
    assert db.session.get(Order, order["id"]).paid_at == paid_at
    assert seen_notifications() == 1 and discrepancies() == []


def test_a_tampered_notification_is_refused_and_changes_nothing(client, placed, pay):
    order, _ = placed
    pay.shopper_pays(order["id"])
    [notification] = pay.notifications(1)
    body = notification["body"].encode("utf-8")
    tampered = body.replace(b'"event_type":"TRANSACTION.SUCCESS"', b'"event_type":"TRANSACTION.SUCCESS" ')
    for bad_body, headers in ((tampered, None), (b"not json", None),
                              (body, {**notification["headers"], "Wechatpay-Serial": "PUB_KEY_ID_0000"}),
                              (body, {**notification["headers"], "Wechatpay-Timestamp": "1000000000"})):
        answer = pay.deliver(notification, body=bad_body, headers=headers)
        assert_error(answer, 401, "bad_signature")
    assert order_status(order["id"]) == "pending_payment" and seen_notifications() == 0


@pytest.mark.parametrize("change", [{"amount": {"total": 1, "payer_total": 1, "currency": "CNY", "payer_currency": "CNY"}},
                                    {"appid": "wx_someone_else"}, {"mchid": "1900000999"}])
def test_a_mismatch_is_a_discrepancy_never_paid(client, placed, pay, change):
    order, _ = placed
    view = pay.shopper_pays(order["id"])["transaction"]
    forged = pay.forge("TRANSACTION.SUCCESS", {**view, **change})
    assert pay.deliver(forged).status_code == 204
    assert order_status(order["id"]) == "pending_payment"
    [found] = discrepancies()
    assert found.kind == "mismatch" and found.order_id == order["id"]
    assert set(found.detail["mismatches"]) == {next(iter(change)).replace("amount", "amount_fen")}


def test_a_success_for_an_unknown_order_is_recorded(client, placed, pay):
    order, _ = placed
    view = pay.shopper_pays(order["id"])["transaction"]
    assert pay.deliver(pay.forge("TRANSACTION.SUCCESS", {**view, "out_trade_no": "XG999T000"})).status_code == 204
    assert [d.kind for d in discrepancies()] == ["unknown_order"]
    assert order_status(order["id"]) == "pending_payment"


def test_payment_refused_when_not_payable(client, placed, pay, make, shop):
    order, headers = placed
    pay.shopper_pays(order["id"])
    assert pay.deliver(pay.notifications(1)[0]).status_code == 204
    assert_error(client.post(f"{ORDERS}/{order['id']}/payment", headers=headers), 409, "not_payable")
    _, _, _, session_id = shop
    at_van = make.placed_order(headers, session_id, [(make.product(), 1)])
    assert_error(client.post(f"{ORDERS}/{at_van['id']}/payment", headers=headers), 409, "not_payable")


def test_someone_elses_order_does_not_exist(client, placed, make, pay):
    order, _ = placed
    _, stranger = make.shopper()
    assert_error(client.get(f"{ORDERS}/{order['id']}", headers=stranger), 404, "not_found")
    assert_error(client.post(f"{ORDERS}/{order['id']}/payment", headers=stranger), 404, "not_found")
    assert_error(client.post(f"{ORDERS}/{order['id']}/cancel", headers=stranger), 404, "not_found")


def test_pay_unknown_method_is_invalid(client, shop, make, pay):
    _, _, headers, session_id = shop
    body = {"store_session_id": session_id, "pay": "cash", "items": [{"product_id": make.product().id, "quantity": 1}]}
    answer = client.post(ORDERS, json=body, headers={**headers, "Idempotency-Key": "k"})
    assert answer.status_code == 422 and "pay" in answer.get_json()["error"]["fields"]


def test_wechat_pay_down_is_a_503_not_a_500(client, shop, make, pay, app):
    _, _, headers, session_id = shop
    order = wechat_order(client, headers, session_id, [(make.product(price_fen=100), 1)])
    app.config["WECHATPAY_API_BASE"] = "http://127.0.0.1:9"
    app.extensions.pop("xiaoge.pay", None)
    assert_error(client.post(f"{ORDERS}/{order['id']}/payment", headers=headers), 503, "payment_unavailable")
    assert_error(client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers), 503, "payment_unavailable")
    assert order_status(order["id"]) == "pending_payment"


def test_paid_order_is_on_the_pick_list_and_handed_over(client, placed, pay, make, shop):
    _, courier, _, _ = shop
    order, _ = placed
    courier_headers = make.courier_headers(courier)
    listed = client.get("/api/v1/courier/pickups", headers=courier_headers).get_json()["orders"]
    assert order["id"] not in [o["id"] for o in listed]  # not paid yet
    handover = client.post(f"/api/v1/courier/pickups/{order['id']}/handover",
                           json={"pickup_code": order["pickup_code"]}, headers=courier_headers)
    assert_error(handover, 409, "not_available")
    pay.shopper_pays(order["id"])
    assert pay.deliver(pay.notifications(1)[0]).status_code == 204
    listed = client.get("/api/v1/courier/pickups", headers=courier_headers).get_json()["orders"]
    assert order["id"] in [o["id"] for o in listed]
    handover = client.post(f"/api/v1/courier/pickups/{order['id']}/handover",
                           json={"pickup_code": order["pickup_code"]}, headers=courier_headers)
    assert handover.status_code == 200, handover.get_json()
    assert order_status(order["id"]) == "completed"
