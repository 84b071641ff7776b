"""Cancelling and refunding, expiry and its query first, retries, and a cancel racing a payment (both backends)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.actions.payment_settler import settle_payments
from app.extensions import db
from app.models import Coupon, Order, PaymentDiscrepancy, PaymentRefund, utcnow
from tests.assertions import assert_error
from tests.concurrency import at_once
from tests.pay_fixtures import NOTIFY, ORDERS, order_status, pay, pay_sandbox, wechat_order  # noqa: F401


@pytest.fixture
def shop(make):
    built = make.shop()
    return built.home, built.courier, built.headers, built.store_session_id


@pytest.fixture
def coupon_order(client, make, shop, pay):
    """A prepaid WeChat order of 3000 fen less a 500 fen coupon: (order, headers, coupon id)."""
    home, _, headers, session_id = shop
    coupon = make.claimed_coupon(headers, make.coupon_template([home], discount_fen=500, threshold_fen=1000))
    order = wechat_order(client, headers, session_id, [(make.product(price_fen=1500), 2)], coupon_id=coupon["id"])
    assert client.post(f"{ORDERS}/{order['id']}/payment", headers=headers).status_code == 200
    return order, headers, coupon["id"]


def paid(client, pay, order) -> None:
    pay.shopper_pays(order["id"])
    assert pay.deliver(pay.notifications(1)[-1]).status_code == 204
    assert order_status(order["id"]) == "paid"


def coupon_status(coupon_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Coupon, coupon_id).status


def refund_of(order_id: int) -> PaymentRefund | None:
    db.session.expire_all()
    return db.session.scalar(select(PaymentRefund).where(PaymentRefund.order_id == order_id))


def past_deadline(order_id: int) -> None:
    db.session.execute(update(Order).where(Order.id == order_id).values(pay_deadline=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_cancel_unpaid_closes_the_wechat_order_and_gives_the_coupon_back(client, coupon_order, pay):
    order, headers, coupon_id = coupon_order
    assert coupon_status(coupon_id) == "used"
    answer = client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers)
    assert answer.status_code == 200 and answer.get_json()["order"]["status"] == "cancelled"
    assert coupon_status(coupon_id) == "unused"
    assert pay.hook("GET", f"/transactions/{pay.trade_no(order['id'])}")[1]["transaction"]["trade_state"] == "CLOSED"
    again = client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers)
    assert again.status_code == 200 and again.get_json()["order"]["status"] == "cancelled"


def test_cancel_paid_refunds_in_full_then_refunded_on_the_notification(client, coupon_order, pay):
    order, headers, coupon_id = coupon_order
    paid(client, pay, order)
    answer = client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers)
    assert answer.get_json()["order"]["status"] == "refunding"
    refund = refund_of(order["id"])
    assert refund.amount_fen == 2500 and refund.status == "processing" and coupon_status(coupon_id) == "unused"
    assert client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers).get_json()["order"]["status"] == "refunding"
    pay.settle_refund(refund.out_refund_no)
    [notice] = [n for n in pay.notifications(2) if n["event_type"] == "REFUND.SUCCESS"]
    assert pay.deliver(notice).status_code == 204
    assert pay.deliver(notice).status_code == 204  # a repeat counts nothing twice
    mine = client.get(f"{ORDERS}/{order['id']}", headers=headers).get_json()["order"]
    assert mine["status"] == "refunded" and mine["refunded_fen"] == 2500
    assert refund_of(order["id"]).status == "success"


def test_not_cancellable_after_handover(client, coupon_order, pay, make, shop):
    _, courier, _, _ = shop
    order, headers, _ = coupon_order
    paid(client, pay, order)
    handed = client.post(f"/api/v1/courier/pickups/{order['id']}/handover", json={"pickup_code": order["pickup_code"]},
                         headers=make.courier_headers(courier))
    assert handed.status_code == 200, handed.get_json()
    assert_error(client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers), 409, "not_cancellable")
    assert refund_of(order["id"]) is None


def test_cancel_at_van_order(client, make, shop):
    _, _, headers, session_id = shop
    order = make.placed_order(headers, session_id, [(make.product(), 1)])
    answer = client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers)
    assert answer.status_code == 200 and answer.get_json()["order"]["status"] == "cancelled"


def test_expiry_closes_and_gives_the_coupon_back(client, coupon_order, pay):
    order, _, coupon_id = coupon_order
    settle_payments()
    assert order_status(order["id"]) == "pending_payment"  # not due yet
    past_deadline(order["id"])
    settled = settle_payments()
    assert settled.cancelled == [order["id"]] and order_status(order["id"]) == "cancelled"
    assert coupon_status(coupon_id) == "unused"
    assert pay.hook("GET", f"/transactions/{pay.trade_no(order['id'])}")[1]["transaction"]["trade_state"] == "CLOSED"


def test_a_lost_notification_is_settled_by_query_before_closing(client, coupon_order, pay):
    order, _, coupon_id = coupon_order
    pay.mode("drop")
    pay.shopper_pays(order["id"])
    assert pay.notifications() == []
    past_deadline(order["id"])
    assert settle_payments().paid == [order["id"]]
    assert order_status(order["id"]) == "paid" and coupon_status(coupon_id) == "used"


def test_a_late_notification_after_close_is_a_discrepancy_and_refunded(client, coupon_order, pay):
    order, headers, _ = coupon_order
    view = pay.shopper_pays(order["id"])["transaction"]  # the notification comes in, but ...
    db.session.execute(update(Order).where(Order.id == order["id"]).values(status="cancelled"))
    db.session.commit()  # ... the order was closed just before (as if by a cancel that lost the query)
    assert pay.deliver(pay.notifications(1)[0]).status_code == 204
    assert order_status(order["id"]) == "cancelled"
    kinds = [d.kind for d in db.session.scalars(select(PaymentDiscrepancy))]
    assert kinds == ["paid_after_close"]
    assert refund_of(order["id"]).amount_fen == view["amount"]["total"]
    settle_payments()
    assert refund_of(order["id"]).status == "processing"


def test_refund_queued_while_wechat_pay_is_down_is_sent_by_the_loop(client, coupon_order, pay):
    order, headers, _ = coupon_order
    paid(client, pay, order)
    assert pay.hook("POST", "/fail-next-refund", kind="unavailable")[0] == 200
    answer = client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers)
    assert answer.status_code == 200 and answer.get_json()["order"]["status"] == "refunding"
    assert refund_of(order["id"]).status == "queued"
    assert settle_payments().refunds_sent == [refund_of(order["id"]).out_refund_no]
    assert refund_of(order["id"]).status == "processing"


def test_a_cancel_racing_a_payment_notification_loses_no_money(client, coupon_order, pay, app, backend):
    if backend != "postgresql":
        pytest.skip("threads race on PostgreSQL")
    order, headers, _ = coupon_order
    pay.shopper_pays(order["id"])
    [notice] = pay.notifications(1)
    cancel = lambda c: c.post(f"{ORDERS}/{order['id']}/cancel", headers=headers)  # noqa: E731
    notify = lambda c: c.post(NOTIFY, data=notice["body"].encode(), headers=notice["headers"])  # noqa: E731
    results = at_once(app, [cancel, notify])
    assert [r[0] for r in results] == [200, 204], results
    assert order_status(order["id"]) == "refunding"
    assert refund_of(order["id"]).amount_fen == 2500


def test_a_late_notification_after_the_query_settled_it_changes_nothing(client, coupon_order, pay):
    order, _, _ = coupon_order
    pay.mode("late", 0.3)
    pay.shopper_pays(order["id"])
    past_deadline(order["id"])
    assert settle_payments().paid == [order["id"]]
    paid_at = db.session.get(Order, order["id"]).paid_at
    [late] = pay.notifications(1)
    assert pay.deliver(late).status_code == 204
    db.session.expire_all()
    assert db.session.get(Order, order["id"]).paid_at == paid_at and order_status(order["id"]) == "paid"
    assert db.session.scalars(select(PaymentDiscrepancy)).all() == []


def test_refund_notification_before_a_repeat_of_the_payment_one(client, coupon_order, pay):
    """Out of order: the payment's second copy arrives after the refund's; the order stays refunded."""
    order, headers, _ = coupon_order
    pay.mode("twice")
    pay.shopper_pays(order["id"])
    first, second = pay.notifications(2)
    assert pay.deliver(first).status_code == 204
    client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers)
    pay.mode("normal")
    pay.settle_refund(refund_of(order["id"]).out_refund_no)
    refunded = [n for n in pay.notifications(3) if n["event_type"] == "REFUND.SUCCESS"][0]
    assert pay.deliver(refunded).status_code == 204
    assert pay.deliver(second).status_code == 204
    assert order_status(order["id"]) == "refunded"
    assert db.session.scalars(select(PaymentDiscrepancy)).all() == []


def test_settle_payments_command_and_loop(app, coupon_order, pay):
    from app.actions.payment_settler import PaymentSettler

    order, _, coupon_id = coupon_order
    past_deadline(order["id"])
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["settle-payments"])
    assert result.exit_code == 0 and f"cancelled [{order['id']}]" in result.output, result.output
    assert order_status(order["id"]) == "cancelled" and coupon_status(coupon_id) == "unused"
    db.session.rollback()  # SQLite: the test's read holds the write lock (BEGIN IMMEDIATE)
    assert PaymentSettler(app).tick() > 0  # a round with nothing to do


def test_a_refused_refund_is_abnormal_for_ops_not_retried(client, coupon_order, pay):
    order, headers, _ = coupon_order
    paid(client, pay, order)
    assert pay.hook("POST", "/fail-next-refund", kind="refused")[0] == 200
    assert client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers).status_code == 200
    assert refund_of(order["id"]).status == "abnormal" and order_status(order["id"]) == "refunding"
    assert [d.kind for d in db.session.scalars(select(PaymentDiscrepancy))] == ["refund_abnormal"]
    assert settle_payments().refunds_sent == []


def test_cancel_after_a_lost_notification_refunds_what_was_paid(client, coupon_order, pay):
    order, headers, coupon_id = coupon_order
    pay.mode("drop")
    pay.shopper_pays(order["id"])
    answer = client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers)
    assert answer.status_code == 200 and answer.get_json()["order"]["status"] == "refunding"
    assert refund_of(order["id"]).amount_fen == 2500 and coupon_status(coupon_id) == "unused"


def test_past_its_deadline_an_order_is_not_payable(client, coupon_order, pay):
    order, headers, _ = coupon_order
    past_deadline(order["id"])
    assert_error(client.post(f"{ORDERS}/{order['id']}/payment", headers=headers), 409, "not_payable")


def test_an_order_a_coupon_pays_in_full_needs_no_wechat_payment(client, make, shop, pay):
    home, _, headers, session_id = shop
    coupon = make.claimed_coupon(headers, make.coupon_template([home], discount_fen=800, threshold_fen=0))
    order = wechat_order(client, headers, session_id, [(make.product(price_fen=800), 1)], coupon_id=coupon["id"])
    assert order["status"] == "paid" and order["total_fen"] == 0
    answer = client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers)
    assert answer.get_json()["order"]["status"] == "refunded" and coupon_status(coupon["id"]) == "unused"


def test_a_handover_racing_a_refund_one_wins(client, coupon_order, pay, app, backend, make, shop):
    if backend != "postgresql":
        pytest.skip("threads race on PostgreSQL")
    _, courier, _, _ = shop
    order, headers, _ = coupon_order
    paid(client, pay, order)
    courier_headers = make.courier_headers(courier)
    handover = lambda c: c.post(f"/api/v1/courier/pickups/{order['id']}/handover",  # noqa: E731
                                json={"pickup_code": order["pickup_code"]}, headers=courier_headers)
    cancel = lambda c: c.post(f"{ORDERS}/{order['id']}/cancel", headers=headers)  # noqa: E731
    handed, cancelled = at_once(app, [handover, cancel])
    status = order_status(order["id"])
    if status == "completed":
        assert handed[0] == 200 and cancelled[0] == 409 and refund_of(order["id"]) is None
    else:
        assert status == "refunding" and cancelled[0] == 200 and handed[0] == 409
        assert refund_of(order["id"]).amount_fen == 2500


def test_racing_payment_calls_get_one_prepay(client, make, shop, pay, app, backend):
    if backend != "postgresql":
        pytest.skip("threads race on PostgreSQL")
    _, _, headers, session_id = shop
    order = wechat_order(client, headers, session_id, [(make.product(price_fen=700), 1)])
    call = lambda c: c.post(f"{ORDERS}/{order['id']}/payment", headers=headers)  # noqa: E731
    results = at_once(app, [call] * 4)
    assert {status for status, _ in results} == {200}, results
    assert len({body["payment"]["package"] for _, body in results}) == 1
