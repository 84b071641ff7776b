"""Order status subscribe messages: queued with the change they report, once, for a subscribed shopper."""
from __future__ import annotations

import pytest

from app.actions.payment_settler import settle_payments
from tests.messaging import ORDER, outbox, sends_left, subscribe
from tests.pay_fixtures import ORDERS, order_status, pay, pay_sandbox, wechat_order  # noqa: F401
from tests.test_order_cancel_refund import past_deadline, refund_of


@pytest.fixture
def prepaid(client, make, pay):
    """A subscribed shopper's prepaid WeChat order: (order, headers, shopper id)."""
    shop = make.shop()
    shopper_id, headers = shop.shopper_id, shop.headers
    subscribe([shopper_id], sends=3, template=ORDER)
    order = wechat_order(client, headers, shop.store_session_id, [(make.product(), 1)])
    assert client.post(f"{ORDERS}/{order['id']}/payment", headers=headers).status_code == 200
    return order, headers, shopper_id


def order_messages(order_id: int) -> list[str]:
    return [m.data["phrase2"] for m in outbox(kind="send", template_id=ORDER)
            if m.data["character_string1"] == str(order_id)]


def test_a_payment_queues_one_paid_message_and_a_repeat_queues_none(prepaid, pay):
    order, _, shopper_id = prepaid
    pay.shopper_pays(order["id"])
    notice = pay.notifications(1)[-1]
    assert pay.deliver(notice).status_code == 204 and pay.deliver(notice).status_code == 204
    assert len(order_messages(order["id"])) == 1 and sends_left(shopper_id, ORDER) == 2


def test_a_refund_queues_a_refunded_message_when_it_is_done(client, prepaid, pay):
    order, headers, _ = prepaid
    pay.shopper_pays(order["id"])
    assert pay.deliver(pay.notifications(1)[-1]).status_code == 204
    assert client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers).status_code == 200
    assert len(order_messages(order["id"])) == 1  # refunding: nothing said yet
    pay.settle_refund(refund_of(order["id"]).out_refund_no)
    [done] = [n for n in pay.notifications(2) if n["event_type"] == "REFUND.SUCCESS"]
    assert pay.deliver(done).status_code == 204 and pay.deliver(done).status_code == 204
    assert order_status(order["id"]) == "refunded" and len(order_messages(order["id"])) == 2


def test_a_payment_found_by_asking_before_expiry_is_told_too(prepaid, pay):
    order, _, _ = prepaid
    pay.mode("drop")
    pay.shopper_pays(order["id"])
    past_deadline(order["id"])
    assert settle_payments().paid == [order["id"]]
    assert order_status(order["id"]) == "paid" and len(order_messages(order["id"])) == 1


def test_a_refund_whose_notification_never_came_is_settled_by_asking(client, prepaid, pay):
    from sqlalchemy import update

    from app.extensions import db
    from app.models import PaymentRefund, utcnow
    from app.services.payments.refunds import REFUND_QUIET

    order, headers, _ = prepaid
    pay.shopper_pays(order["id"])
    assert pay.deliver(pay.notifications(1)[-1]).status_code == 204
    assert client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers).status_code == 200
    out_refund_no = refund_of(order["id"]).out_refund_no
    pay.mode("drop")  # WeChat Pay refunds, and its notification is lost
    pay.settle_refund(out_refund_no)
    assert settle_payments().refunds_settled == []  # too soon to ask: the notification may be on its way
    db.session.execute(update(PaymentRefund).values(created_at=utcnow() - REFUND_QUIET))
    db.session.commit()
    assert settle_payments().refunds_settled == [out_refund_no]
    assert order_status(order["id"]) == "refunded" and len(order_messages(order["id"])) == 2
    assert settle_payments().refunds_settled == []  # settled once
