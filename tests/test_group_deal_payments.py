"""Group deals and money: paid joins held until the outcome, refunded when the group fails, never
charged twice nor kept; concurrent joins at the threshold (both databases)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.actions.group_deals import settle_group_deals
from app.actions.payment_settler import settle_payments
from app.extensions import db
from app.models import GroupDeal, GroupJoin, Order, PaymentRefund
from tests.concurrency import at_once, error_code
from tests.groups import deal_path, deal_row, hood, order_row, past_its_deadline  # noqa: F401
from tests.pay_fixtures import ORDERS, pay, pay_sandbox  # noqa: F401


def refunds_of(order_id: int) -> list[PaymentRefund]:
    db.session.expire_all()
    return list(db.session.scalars(select(PaymentRefund).where(PaymentRefund.order_id == order_id)))


def wechat_join(client, hood, deal_id: int) -> tuple[dict, dict]:
    """A neighbour joins paying by WeChat Pay and is handed the payment arguments: (order, headers)."""
    _, headers = hood.neighbour()
    answer = hood.join(deal_id, headers, pay="wechat")
    assert answer.status_code == 201, answer.get_json()
    order = answer.get_json()["join"]["order"]
    assert (order["status"], order["pay_method"], order["held"]) == ("pending_payment", "wechat", True)
    assert client.post(f"{ORDERS}/{order['id']}/payment", headers=headers).status_code == 200
    return order, headers


def paid_now(pay, order_id: int) -> None:
    pay.shopper_pays(order_id)
    assert pay.deliver(pay.notifications(1)[-1]).status_code == 204
    assert order_row(order_id).status == "paid"


def test_a_paid_join_is_held_then_refunded_in_full_when_the_group_fails(client, make, hood, pay):
    deal = hood.open_deal(min_households=2)
    order, _ = wechat_join(client, hood, deal["id"])
    paid_now(pay, order["id"])
    assert order_row(order["id"]).held is True  # paid, and held for the outcome: not on the pick list
    past_its_deadline(deal["id"])
    settled = settle_group_deals()
    assert settled.unwound == [order["id"]]
    [refund] = refunds_of(order["id"])
    assert (refund.amount_fen, refund.status) == (2000, "processing")  # sent to WeChat Pay at once
    pay.settle_refund(refund.out_refund_no)
    [done] = [n for n in pay.notifications(2) if n["event_type"] == "REFUND.SUCCESS"]
    assert pay.deliver(done).status_code == 204
    assert (order_row(order["id"]).status, order_row(order["id"]).refunded_fen) == ("refunded", 2000)
    assert settle_group_deals().unwound == [] and len(refunds_of(order["id"])) == 1


def test_a_payment_notified_after_the_deadline_is_refunded_not_kept(client, hood, pay):
    deal = hood.open_deal(min_households=2)
    order, _ = wechat_join(client, hood, deal["id"])
    pay.mode("late", 0.3)
    pay.shopper_pays(order["id"])  # paid just before the deadline; WeChat Pay's word comes late
    past_its_deadline(deal["id"])
    assert settle_group_deals().unwound == [order["id"]]  # asked WeChat Pay first: paid, so refunded
    assert order_row(order["id"]).status == "refunding"
    [late] = pay.notifications(1)
    assert pay.deliver(late).status_code == 204
    assert order_row(order["id"]).status == "refunding"  # the late word changes nothing
    [refund] = refunds_of(order["id"])
    assert refund.amount_fen == 2000


def test_a_payment_for_a_join_already_cancelled_is_paid_back(client, hood, pay):
    deal = hood.open_deal(min_households=2)
    order, _ = wechat_join(client, hood, deal["id"])
    past_its_deadline(deal["id"])
    assert settle_group_deals().unwound == [order["id"]]
    assert order_row(order["id"]).status == "cancelled"  # unpaid: its WeChat order closed
    trade_no = pay.trade_no(order["id"])
    notice = pay.forge("TRANSACTION.SUCCESS", {
        "out_trade_no": trade_no, "transaction_id": "4200000000000000001", "trade_state": "SUCCESS",
        "appid": pay.app.config["WECHAT_APPID"], "mchid": pay.app.config["WECHATPAY_MCHID"],
        "amount": {"total": 2000, "payer_total": 2000, "currency": "CNY"},
        "payer": {"openid": "whoever"}, "success_time": "2026-01-01T10:00:00+08:00"})
    assert pay.deliver(notice).status_code == 204
    assert order_row(order["id"]).status == "cancelled"
    assert [r.amount_fen for r in refunds_of(order["id"])] == [2000]


def test_a_refund_wechat_pay_could_not_take_is_resent_by_the_payment_loop(client, hood, pay):
    deal = hood.open_deal(min_households=2)
    order, _ = wechat_join(client, hood, deal["id"])
    paid_now(pay, order["id"])
    assert pay.hook("POST", "/fail-next-refund", kind="unavailable")[0] == 200
    past_its_deadline(deal["id"])
    assert settle_group_deals().unwound == [order["id"]]
    [refund] = refunds_of(order["id"])
    assert refund.status == "queued" and order_row(order["id"]).status == "refunding"
    assert settle_payments().refunds_sent == [refund.out_refund_no]
    assert [r.status for r in refunds_of(order["id"])] == ["processing"]


def test_a_confirmed_paid_join_reaches_the_pick_list(client, make, hood, pay):
    deal = hood.open_deal(min_households=2)
    order, _ = wechat_join(client, hood, deal["id"])
    paid_now(pay, order["id"])
    _, second = hood.neighbour()
    assert hood.join(deal["id"], second).get_json()["group_deal"]["status"] == "succeeded"
    listed = client.get("/api/v1/courier/pickups", headers=make.courier_headers(hood.courier)).get_json()["orders"]
    assert order["id"] in [o["id"] for o in listed]
    past_its_deadline(deal["id"])
    assert settle_group_deals().unwound == [] and order_row(order["id"]).status == "paid"


def join_request(headers, deal_id, key):
    return lambda c: c.post(f"{deal_path(deal_id)}/joins", json={"quantity": 1},
                            headers={**headers, "Idempotency-Key": key})


def test_shoppers_opening_a_group_on_one_deal_at_once_make_one_group(app, make, hood):
    deal_id = make.deal(hood.product, [hood.home], 2800, group_price_fen=2200, group_min_households=3).id
    body = {"deal_id": deal_id, "compound_id": hood.home.id}
    neighbours = [hood.neighbour()[1] for _ in range(6)]

    results = at_once(app, [lambda c, h=h: c.post("/api/v1/group-deals", json=body, headers=h) for h in neighbours])

    assert sorted(status for status, _ in results) == [200] * 5 + [201], results
    assert len({answer["group_deal"]["id"] for _, answer in results}) == 1
    assert db.session.scalar(select(func.count()).select_from(GroupDeal).where(GroupDeal.from_deal_id == deal_id)) == 1


def test_concurrent_joins_at_the_threshold_never_pass_the_cap(app, hood):
    deal = hood.open_deal(min_households=3, max_households=3)
    neighbours = [hood.neighbour()[1] for _ in range(8)]
    results = at_once(app, [join_request(headers, deal["id"], "k") for headers in neighbours])
    assert sorted(status for status, _ in results) == [201] * 3 + [409] * 5, results
    assert {error_code(r) for r in results if r[0] == 409} == {"group_full"}
    row = deal_row(deal["id"])
    assert (row.joined, row.status) == (3, "succeeded")
    joined_orders = list(db.session.scalars(select(GroupJoin.order_id).where(GroupJoin.group_deal_id == deal["id"])))
    assert len(joined_orders) == 3 and all(order_row(i).held is False for i in joined_orders)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 3  # the refused left no order behind


def test_the_same_join_sent_at_once_joins_once(app, hood):
    deal = hood.open_deal(min_households=3)
    _, headers = hood.neighbour()
    results = at_once(app, [join_request(headers, deal["id"], "double-tap")] * 6)
    assert sorted(status for status, _ in results) == [200] * 5 + [201], results
    assert all(body == results[0][1] for _, body in results)
    assert deal_row(deal["id"]).joined == 1
