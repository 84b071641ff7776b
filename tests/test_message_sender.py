"""The message sender: jobs expanded into one message per subscribed resident, each send
consumed once, WeChat's errcodes handled (43101, 45xxx, -1), several loops never sending
twice, and the messages arriving at the sandbox's WeChat."""
from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import requests

from app.actions import messages
from app.actions.message_sender import MessageSender
from app.extensions import db
from app.models import Order, OutboxMessage, Shopper, utcnow
from tests.messaging import ORDER, VAN, drain, outbox, received, residents, sends_left, subscribe
from wechat.errors import WeChatUnavailable


@pytest.fixture(autouse=True)
def no_queued_errcodes(sandbox):
    """The sandbox outlives the test: errcodes a failed test left queued must not reach the next."""
    yield
    with sandbox.state.lock:
        sandbox.state.subscribe_errors.clear()


def queue_errcodes(sandbox, *errcodes):
    answer = requests.post(f"{sandbox.url}/sandbox/subscribe-errors", json={"errcodes": list(errcodes)},
                           timeout=5)
    assert answer.status_code == 200, answer.text


def shopper_at(make, compound, sends: int = 1, template: str = VAN):
    """A shopper known to the sandbox's WeChat, living in the compound, with `sends` sends left."""
    openid = f"o-{uuid.uuid4().hex}"
    shopper_id, headers = make.shopper(openid=openid, home=compound)
    if sends:
        subscribe([shopper_id], sends, template)
    return shopper_id, openid, headers


def van_arrives(make, compound, courier=None):
    courier = courier or make.courier([compound])
    make.campaign([compound])
    answer = make.arrival(courier, compound)
    assert answer.status_code == 201 and answer.get_json()["rounds"], answer.get_json()
    return courier


def test_the_van_arrived_message_reaches_subscribed_residents_only(app, make, sandbox):
    home, elsewhere = make.compound(), make.compound()
    subscribed, openid, _ = shopper_at(make, home)
    _, unsubscribed, _ = shopper_at(make, home, sends=0)
    _, away, _ = shopper_at(make, elsewhere)
    courier = van_arrives(make, home)

    drain(app)

    [message] = received(sandbox, openid)
    assert message["template_id"] == VAN
    assert message["page"] == f"pages/store/index?c={courier.courier_code}"
    assert message["data"] == {"thing1": {"value": courier.name}, "thing2": {"value": home.name},
                               "thing3": {"value": "小哥到了，快来摇一摇"}}
    assert received(sandbox, unsubscribed) == [] and received(sandbox, away) == []
    assert sends_left(subscribed) == 0
    assert [m.status for m in outbox()] == ["done", "sent"]


def test_each_send_is_consumed_once_and_a_job_with_none_left_sends_nothing(app, make, sandbox):
    home = make.compound()
    once, once_openid, _ = shopper_at(make, home, sends=1)
    twice, twice_openid, _ = shopper_at(make, home, sends=2)
    van_arrives(make, home)
    drain(app)
    [job] = outbox(kind="van_arrived")
    for _ in range(2):
        db.session.add(OutboxMessage(kind="van_arrived", compound_id=home.id, arrival_id=job.arrival_id,
                                     due_at=utcnow()))

    drain(app)

    assert len(received(sandbox, once_openid)) == 1
    assert len(received(sandbox, twice_openid)) == 2
    assert (sends_left(once), sends_left(twice)) == (0, 0)
    assert [m.status for m in outbox(kind="van_arrived")] == ["done"] * 3
    assert len(outbox(kind="send")) == 3


def test_43101_refuses_the_message_and_spends_no_more(app, make, sandbox):
    home = make.compound()
    shopper_id, openid, _ = shopper_at(make, home, sends=3)
    van_arrives(make, home)
    queue_errcodes(sandbox, 43101)

    drain(app)

    [message] = outbox(kind="send")
    assert (message.status, message.attempts) == ("refused", 0)
    assert message.last_error.startswith("43101")
    assert received(sandbox, openid) == []
    assert sends_left(shopper_id) == 0


def test_45xxx_pauses_the_sender_and_sends_later_uncounted(app, make, sandbox):
    home = make.compound()
    _, first, _ = shopper_at(make, home)
    _, second, _ = shopper_at(make, home)
    van_arrives(make, home)
    queue_errcodes(sandbox, 45011)

    sender = drain(app, ticks=3)

    assert received(sandbox, first) == received(sandbox, second) == []
    assert sender.paused_until > utcnow() + timedelta(seconds=50)
    assert [(m.status, m.attempts) for m in outbox(kind="send")] == [("pending", 0)] * 2
    assert all(m.due_at >= sender.paused_until for m in outbox(kind="send"))

    sender.work(utcnow() + timedelta(seconds=61))  # the pause is over

    assert len(received(sandbox, first)) == len(received(sandbox, second)) == 1
    assert [m.status for m in outbox(kind="send")] == ["sent", "sent"]


def test_a_busy_wechat_is_retried_with_backoff(app, make, sandbox):
    home = make.compound()
    _, openid, _ = shopper_at(make, home)
    van_arrives(make, home)
    queue_errcodes(sandbox, -1)

    sender = drain(app, ticks=2)

    [message] = outbox(kind="send")
    assert (message.status, message.attempts) == ("pending", 1) and message.due_at > utcnow()
    assert received(sandbox, openid) == []

    sender.work(utcnow() + timedelta(seconds=3))

    assert len(received(sandbox, openid)) == 1
    assert outbox(kind="send")[0].status == "sent"


def test_an_unreachable_wechat_is_retried_a_bounded_number_of_times(app, make, sandbox, monkeypatch):
    app.config["MESSAGE_MAX_ATTEMPTS"] = 3
    tries = []

    def time_out(*args, **kwargs):
        tries.append(args)
        raise WeChatUnavailable("WeChat unreachable: ReadTimeout")

    monkeypatch.setattr(app.extensions["xiaoge.wechat"], "send_subscribe_message", time_out)
    home = make.compound()
    shopper_at(make, home)
    van_arrives(make, home)
    sender = drain(app, ticks=1)

    for minutes in range(1, 6):
        sender.work(utcnow() + timedelta(minutes=minutes))

    [message] = outbox(kind="send")
    assert (message.status, message.attempts, len(tries)) == ("failed", 2, 3)
    assert "ReadTimeout" in message.last_error


def test_two_loops_at_once_never_send_a_message_twice(app, make, sandbox):
    home = make.compound()
    ids = residents(home, 120)
    openids = [db.session.get(Shopper, i).openid for i in ids]
    with sandbox.state.lock:
        for openid in openids:
            sandbox.state.user(openid)
    van_arrives(make, home)
    db.session.commit()
    db.session.close()
    senders = [MessageSender(app), MessageSender(app)]
    barrier = threading.Barrier(2)
    errors = []

    def run(sender):
        try:
            barrier.wait(timeout=10)
            for _ in range(20):  # 10 sends a tick: enough ticks for both to run out of work
                sender.tick()
        except Exception as exc:  # noqa: BLE001  (seen by the test, not lost in the thread)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    got = Counter(m["touser"] for m in received(sandbox))
    assert [got[openid] for openid in openids] == [1] * 120
    assert {m.status for m in outbox(kind="send")} == {"sent"}


def order_of(make, home, sends: int):
    courier = make.courier([home])
    product = make.product()
    shopper_id, openid, headers = shopper_at(make, home, sends=sends, template=ORDER)
    order = make.placed_order(headers, make.store_session(headers, courier, home), [(product, 2)])
    return courier, openid, db.session.get(Order, order["id"])


def test_an_order_status_message_reaches_its_shopper(app, make, sandbox):
    home = make.compound()
    courier, openid, order = order_of(make, home, sends=1)

    assert messages.order_status(order, "paid") is True
    assert messages.order_status(order, "refunded") is False  # its one send is spent
    drain(app)

    [message] = received(sandbox, openid)
    assert message["template_id"] == ORDER
    assert message["page"] == f"pages/store/index?c={courier.courier_code}&order={order.id}"
    assert message["data"] == {"character_string1": {"value": str(order.id)}, "phrase2": {"value": "已支付"},
                               "amount3": {"value": f"¥{order.total_fen / 100:.2f}"}}


def test_an_arrival_that_opens_no_round_sends_no_shake_now(app, make, sandbox):
    home = make.compound()
    shopper_id, openid, _ = shopper_at(make, home)
    courier = make.courier([home])
    assert make.arrival(courier, home).status_code == 201

    drain(app)

    assert received(sandbox, openid) == []
    assert sends_left(shopper_id) == 1


def test_the_van_arriving_tells_its_reserved_orders_they_are_ready(app, make, sandbox):
    home = make.compound()
    courier, openid, order = order_of(make, home, sends=1)

    van_arrives(make, home, courier)
    drain(app)

    [message] = received(sandbox, openid)
    assert message["template_id"] == ORDER and message["data"]["phrase2"] == {"value": "待取货：小哥已到"}


def test_no_send_left_queues_no_order_message(app, make, sandbox):
    home = make.compound()
    _, _, order = order_of(make, home, sends=0)

    assert messages.order_status(order, "paid") is False
    db.session.commit()
    assert outbox() == []


def test_every_worker_starts_a_sender_unless_turned_off(database_url, sandbox):
    from app import create_app
    from tests.conftest import app_config

    on = create_app({**app_config(database_url, sandbox.url), "MESSAGE_SENDER": True})
    off = create_app(app_config(database_url, sandbox.url))

    assert isinstance(on.extensions["xiaoge.message_sender"], MessageSender)
    assert on.extensions["xiaoge.message_sender"] in on.extensions["xiaoge.background_tasks"]
    assert "xiaoge.message_sender" not in off.extensions


def test_the_sandbox_refuses_errcodes_it_cannot_answer(sandbox):
    answer = requests.post(f"{sandbox.url}/sandbox/subscribe-errors", json={"errcodes": ["43101", 0]},
                           timeout=5)

    assert answer.status_code == 422
    assert sandbox.state.subscribe_errors == []


def test_finished_messages_are_forgotten_after_a_week(app, make, sandbox):
    home = make.compound()
    shopper_at(make, home, sends=2)
    van_arrives(make, home)
    drain(app)
    pending = OutboxMessage(kind="van_arrived", compound_id=home.id, arrival_id=outbox()[0].arrival_id,
                            due_at=utcnow() + timedelta(days=30))
    db.session.add(pending)
    db.session.commit()

    MessageSender(app).work(utcnow() + timedelta(days=8))

    assert [m.status for m in outbox()] == ["pending"]


def test_an_arrival_without_a_round_still_tells_orders_they_are_ready(app, make, sandbox):
    home = make.compound()
    courier, openid, _ = order_of(make, home, sends=1)

    assert make.arrival(courier, home).status_code == 201
    drain(app)

    [message] = received(sandbox, openid)
    assert message["data"]["phrase2"] == {"value": "待取货：小哥已到"}


@pytest.mark.one_database
def test_a_failed_round_of_work_is_logged_and_the_loop_goes_on(app, monkeypatch):
    """BackgroundLoop.run calls failed() after a tick raises: the sender's own bookkeeping must not
    take that name (it did: a TypeError ended the loop for good at the first database hiccup)."""
    sender = MessageSender(app)
    ticks = []

    def tick():
        ticks.append(1)
        if len(ticks) == 1:
            raise RuntimeError("the database went away")
        sender.running = False
        return 0.0

    monkeypatch.setattr(sender, "tick", tick)
    monkeypatch.setattr("app.background.socketio.sleep", lambda seconds: None)
    sender.running = True
    sender.run()
    assert len(ticks) == 2


@pytest.mark.one_database
def test_the_sender_paces_its_sends_and_lets_the_fan_out_go_first(app, make, sandbox):
    home = make.compound()
    residents_ = residents(home, 12)
    app.config.update(MESSAGE_SENDS_PER_SECOND=20.0, MESSAGE_JOB_DELAY_SECONDS=3.0)
    van_arrives(make, home)
    db.session.commit()
    sender = MessageSender(app)
    now = utcnow()
    assert sender.work(now) == 1.0 and outbox(kind="send") == []  # the job waits out its delay
    assert sender.work(now + timedelta(seconds=3)) == pytest.approx(10 / 20.0)  # 10 sent at 20 a second
    statuses = Counter(m.status for m in outbox(kind="send"))
    assert statuses["pending"] == 2 and sum(statuses.values()) == len(residents_) == 12  # 10 handled, 2 wait


def test_a_sender_of_its_own_sends_the_queue_from_the_cli(app, make, sandbox, monkeypatch):
    home = make.compound()
    _, openid, _ = shopper_at(make, home)
    van_arrives(make, home)
    db.session.commit()
    ticks = []
    tick = MessageSender.tick

    def tick_then_stop_after_five(sender):
        ticks.append(tick(sender))
        if len(ticks) == 5:
            sender.stop()
        return 0

    monkeypatch.setattr(MessageSender, "tick", tick_then_stop_after_five)
    result = app.test_cli_runner().invoke(args=["send-messages"])

    assert result.exit_code == 0, result.output
    [message] = received(sandbox, openid)
    assert message["template_id"] == VAN and len(ticks) == 5
