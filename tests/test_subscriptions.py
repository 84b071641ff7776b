"""POST/GET /api/v1/me/subscriptions: one send per acceptance, only our templates, capped; a
round opening queues one job, never per-shopper work in the arrival's request."""
from __future__ import annotations

from sqlalchemy import event

from app.extensions import db
from app.models import OutboxMessage
from app.services.messages.subscriptions import SENDS_CAP
from tests.assertions import assert_error, assert_invalid
from tests.messaging import ORDER, PLAN, VAN, outbox, residents

SUBSCRIPTIONS = "/api/v1/me/subscriptions"


def accept(client, headers, *templates):
    return client.post(SUBSCRIPTIONS, json={"accepted": list(templates)}, headers=headers)


def test_each_acceptance_allows_one_message_per_template(client, make):
    _, headers = make.shopper()

    first = accept(client, headers, VAN)
    second = accept(client, headers, VAN, ORDER, VAN)

    assert (first.status_code, first.get_json()) == (200, {"subscriptions": {VAN: 1, ORDER: 0, PLAN: 0}})
    assert second.get_json() == {"subscriptions": {VAN: 3, ORDER: 1, PLAN: 0}}
    assert client.get(SUBSCRIPTIONS, headers=headers).get_json() == {"subscriptions": {VAN: 3, ORDER: 1, PLAN: 0}}


def test_a_retry_with_the_same_idempotency_key_counts_once(client, make):
    _, headers = make.shopper()
    keyed = {**headers, "Idempotency-Key": "accept-1"}

    first = client.post(SUBSCRIPTIONS, json={"accepted": [VAN]}, headers=keyed)
    retried = client.post(SUBSCRIPTIONS, json={"accepted": [VAN]}, headers=keyed)
    other = client.post(SUBSCRIPTIONS, json={"accepted": [VAN]},
                        headers={**headers, "Idempotency-Key": "accept-2"})

    assert first.get_json() == retried.get_json() == {"subscriptions": {VAN: 1, ORDER: 0, PLAN: 0}}
    assert other.get_json() == {"subscriptions": {VAN: 2, ORDER: 0, PLAN: 0}}


def test_templates_not_ours_are_ignored(client, make):
    _, headers = make.shopper()

    answer = accept(client, headers, "someone_elses_template", VAN)

    assert answer.status_code == 200
    assert answer.get_json() == {"subscriptions": {VAN: 1, ORDER: 0, PLAN: 0}}


def test_a_loop_of_acceptances_stops_at_the_cap(client, make):
    _, headers = make.shopper()

    for _ in range(SENDS_CAP // 10 + 1):
        answer = accept(client, headers, *[VAN] * 10, ORDER)

    assert answer.get_json()["subscriptions"] == {VAN: SENDS_CAP, ORDER: SENDS_CAP // 10 + 1, PLAN: 0}


def test_each_shopper_has_counts_of_their_own(client, make):
    _, alice = make.shopper()
    _, bob = make.shopper()

    accept(client, alice, VAN, VAN)

    assert client.get(SUBSCRIPTIONS, headers=bob).get_json() == {"subscriptions": {VAN: 0, ORDER: 0, PLAN: 0}}


def test_bad_bodies_are_refused_with_fields(client, make):
    _, headers = make.shopper()

    assert_invalid(client.post(SUBSCRIPTIONS, json={}, headers=headers), "accepted")
    assert_invalid(client.post(SUBSCRIPTIONS, json={"accepted": "tpl"}, headers=headers), "accepted")
    assert_invalid(client.post(SUBSCRIPTIONS, json={"accepted": [1]}, headers=headers), "accepted.0")
    assert_invalid(client.post(SUBSCRIPTIONS, json={"accepted": ["x" * 65]}, headers=headers), "accepted.0")


def test_only_a_signed_in_shopper_subscribes(client, make):
    assert_error(client.post(SUBSCRIPTIONS, json={"accepted": [VAN]}), 401)
    assert_error(client.get(SUBSCRIPTIONS), 401)


def test_an_arrival_that_opens_a_round_queues_one_job(client, make):
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    residents(home, 30)

    answer = make.arrival(courier, home)

    assert answer.status_code == 201 and answer.get_json()["rounds"]
    [job] = outbox()
    assert (job.kind, job.status, job.compound_id) == ("van_arrived", "pending", home.id)
    assert job.arrival_id == answer.get_json()["arrival"]["id"]


def test_an_arrival_that_opens_no_round_still_queues_one_job(client, make):
    home = make.compound()
    courier = make.courier([home])
    residents(home, 3)

    assert make.arrival(courier, home).status_code == 201
    assert [m.kind for m in outbox()] == ["van_arrived"]  # for the orders it makes ready


def test_a_refused_arrival_queues_nothing(client, make):
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    residents(home, 3)

    answer = make.arrival(courier, home, lat=home.lat + 0.006, lng=home.lng)  # ~667 m away: too far

    assert answer.status_code == 422
    assert outbox() == []


def statements_of_an_arrival(make, subscribed: int) -> int:
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    residents(home, subscribed)
    headers = make.courier_headers(courier)
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert make.arrival(courier, home, headers=headers).status_code == 201
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_arrival_costs_the_same_with_2000_subscribed_shoppers(make):
    alone = statements_of_an_arrival(make, 0)
    crowded = statements_of_an_arrival(make, 2000)

    assert crowded == alone
    assert len(outbox()) == 2 and {m.kind for m in outbox()} == {"van_arrived"}
    assert db.session.query(OutboxMessage).filter_by(kind="send").count() == 0
