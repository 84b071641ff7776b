"""The courier's "arrived" tap over REST: recorded once, opening rounds; and the pick list."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Arrival, ShakeRound, Shopper
from tests.assertions import assert_error
from tests.concurrency import at_once
from tests.factories import now

ARRIVALS = "/api/v1/courier/arrivals"
PICKUPS = "/api/v1/courier/pickups"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def arrival_body(compound, event_id="evt-1", occurred_at=None, **extra) -> dict:
    return {"event_id": event_id, "compound_id": compound.id,
            "occurred_at": (occurred_at or now()).isoformat(), **extra}


def test_arrival_is_recorded_and_opens_a_round(client, make):
    home = make.compound()
    courier = make.courier([home])
    campaign = make.campaign([home], window_seconds=90)

    answer = make.arrival(courier, home, event_id="evt-1")

    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["arrival"]["compound_id"] == home.id
    assert abs(datetime.fromisoformat(body["arrival"]["arrived_at"]) - now()) < timedelta(minutes=1)
    [opened] = body["rounds"]
    assert opened["campaign_id"] == campaign.id
    closes_at = datetime.fromisoformat(opened["closes_at"])
    assert abs(closes_at - (now() + timedelta(seconds=90))) < timedelta(minutes=1)
    arrival = db.session.scalar(select(Arrival))
    assert (arrival.id, arrival.courier_id, arrival.event_id) == (body["arrival"]["id"], courier.id, "evt-1")
    shake_round = db.session.get(ShakeRound, opened["id"])
    assert (shake_round.arrival_id, shake_round.compound_id) == (arrival.id, home.id)
    assert shake_round.closed_at is None


def test_same_event_id_again_replays_the_first_answer_as_200_and_opens_nothing(client, make):
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    headers = make.courier_headers(courier)

    first = make.arrival(courier, home, headers=headers, event_id="evt-1")
    again = make.arrival(courier, home, headers=headers, event_id="evt-1",
                         occurred_at=now() + timedelta(seconds=5))

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert len(first.get_json()["rounds"]) == 1
    assert (count(Arrival), count(ShakeRound)) == (1, 1)


def test_another_event_while_the_round_is_open_is_recorded_but_opens_nothing(client, make):
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    headers = make.courier_headers(courier)
    first = make.arrival(courier, home, headers=headers, event_id="evt-1").get_json()

    second = make.arrival(courier, home, headers=headers, event_id="evt-2")

    assert second.status_code == 201
    assert second.get_json()["rounds"] == []
    assert second.get_json()["arrival"]["id"] != first["arrival"]["id"]
    assert (count(Arrival), count(ShakeRound)) == (2, 1)


def test_after_the_round_closes_a_new_arrival_closes_it_and_opens_a_new_one(client, make):
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    headers = make.courier_headers(courier)
    old_id = make.arrival(courier, home, headers=headers).get_json()["rounds"][0]["id"]
    old = db.session.get(ShakeRound, old_id)
    old.closes_at = now() - timedelta(seconds=1)
    db.session.commit()

    answer = make.arrival(courier, home, headers=headers)

    [opened] = answer.get_json()["rounds"]
    assert opened["id"] != old_id
    db.session.expire_all()
    old = db.session.get(ShakeRound, old_id)
    assert old.closed_at is not None and old.open_slot is None
    assert db.session.get(ShakeRound, opened["id"]).closed_at is None
    assert count(ShakeRound) == 2


def test_two_campaigns_covering_the_compound_open_two_rounds(client, make):
    home = make.compound()
    courier = make.courier([home])
    ids = {make.campaign([home]).id, make.campaign([home, make.compound()]).id}

    rounds = make.arrival(courier, home).get_json()["rounds"]

    assert {r["campaign_id"] for r in rounds} == ids
    assert len({r["id"] for r in rounds}) == 2


@pytest.mark.parametrize("when", ["elsewhere", "not_started", "ended"])
def test_campaign_elsewhere_not_started_or_ended_opens_no_round(client, make, when):
    home, other = make.compound(), make.compound()
    courier = make.courier([home])
    day = timedelta(days=1)
    timing = {"elsewhere": {}, "ended": {"starts_at": now() - 2 * day, "ends_at": now() - day},
              "not_started": {"starts_at": now() + timedelta(hours=1), "ends_at": now() + day}}[when]
    make.campaign([other] if when == "elsewhere" else [home], **timing)

    answer = make.arrival(courier, home)

    assert answer.status_code == 201
    assert answer.get_json()["rounds"] == []
    assert (count(Arrival), count(ShakeRound)) == (1, 0)


@pytest.mark.parametrize("compound_id", ["other", 987_654_321])
def test_compound_not_on_the_route_is_refused_and_nothing_recorded(client, make, compound_id):
    home, other = make.compound(), make.compound()
    courier = make.courier([home])
    make.campaign([home, other])
    headers = make.courier_headers(courier)
    body = arrival_body(home, compound_id=other.id if compound_id == "other" else compound_id)

    refused = client.post(ARRIVALS, json=body, headers=headers)
    again = client.post(ARRIVALS, json=body, headers=headers)

    assert_error(refused, 403, "not_on_route")
    assert (again.status_code, again.get_json()) == (403, refused.get_json())
    assert (count(Arrival), count(ShakeRound)) == (0, 0)


def test_a_compound_id_no_database_could_hold_is_invalid(client, make):
    home = make.compound()
    courier = make.courier([home])
    body = arrival_body(home, compound_id=2**63)

    refused = client.post(ARRIVALS, json=body, headers=make.courier_headers(courier))

    assert "compound_id" in assert_error(refused, 422, "invalid_request")["fields"]
    assert count(Arrival) == 0


def test_stale_event_is_recorded_opens_nothing_and_replays_the_same_422(client, make):
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    headers = make.courier_headers(courier)
    body = arrival_body(home, occurred_at=now() - timedelta(minutes=31))

    stale = client.post(ARRIVALS, json=body, headers=headers)
    again = client.post(ARRIVALS, json=body, headers=headers)

    assert_error(stale, 422, "stale_event", beside={"arrival", "rounds"})  # it was recorded
    assert stale.get_json()["rounds"] == []
    assert (again.status_code, again.get_json()) == (422, stale.get_json())
    arrival = db.session.scalar(select(Arrival))
    assert arrival.stale and arrival.event_id == "evt-1"
    assert (count(Arrival), count(ShakeRound)) == (1, 0)


def test_event_29_minutes_old_still_opens_a_round(client, make):
    home = make.compound()
    make.campaign([home])
    answer = make.arrival(make.courier([home]), home, occurred_at=now() - timedelta(minutes=29))
    assert (answer.status_code, len(answer.get_json()["rounds"])) == (201, 1)


# 0.004° of latitude is ~445 m: past the 300 m radius, within its 300 m margin
# (beyond it: tests/test_arrival_limits.py)
@pytest.mark.parametrize("offset, far", [(0.0, False), (0.004, True)])
def test_arrival_far_from_the_compound_is_recorded_and_flagged(client, make, offset, far):
    home = make.compound(radius_m=300)
    courier = make.courier([home])
    make.campaign([home])

    answer = make.arrival(courier, home, lat=home.lat + offset, lng=home.lng)

    assert answer.status_code == 201
    assert answer.get_json()["arrival"]["far_from_compound"] is far
    assert len(answer.get_json()["rounds"]) == 1  # flagged for ops, not refused
    arrival = db.session.scalar(select(Arrival))
    assert arrival.far_from_compound is far and not arrival.too_far
    assert (400 < arrival.distance_m < 600) if far else (arrival.distance_m == 0)


@pytest.mark.one_database
def test_arrival_needs_a_courier_token(client, make):
    home = make.compound()
    courier = make.courier([home])
    _, shopper = make.shopper(home=home)
    for headers in (shopper, make.staff_headers("admin"), {}, {"Authorization": "Bearer nonsense"}):
        assert_error(make.arrival(courier, home, headers=headers or {"X": "none"}), 401, "unauthorized")
        assert_error(client.get(PICKUPS, headers=headers), 401, "unauthorized")
    assert count(Arrival) == 0


@pytest.mark.parametrize("change, field", [
    (lambda b: b.pop("event_id"), "event_id"),
    (lambda b: b.update(event_id=""), "event_id"),
    (lambda b: b.update(event_id="x" * 101), "event_id"),
    (lambda b: b.update(event_id="evt\x00-1"), "event_id"),
    (lambda b: b.update(event_id=12), "event_id"),
    (lambda b: b.update(occurred_at="2030-01-01T08:00:00"), "occurred_at"),
    (lambda b: b.update(occurred_at="yesterday"), "occurred_at"),
    (lambda b: b.pop("occurred_at"), "occurred_at"),
    (lambda b: b.update(compound_id=str(b["compound_id"])), "compound_id"),
    (lambda b: b.update(compound_id=None), "compound_id"),
    (lambda b: b.pop("compound_id"), "compound_id"),
    (lambda b: b.update(lat=91.0, lng=121.0), "lat"),
    (lambda b: b.update(lat=31.0, lng="east"), "lng"),
])
def test_invalid_arrival_is_refused_naming_the_field(client, make, change, field):
    home = make.compound()
    courier = make.courier([home])
    body = arrival_body(home)
    change(body)
    error = assert_error(client.post(ARRIVALS, json=body, headers=make.courier_headers(courier)),
                         422, "invalid_request")
    assert field in error["fields"], error
    assert count(Arrival) == 0


# --- real concurrency --------------------------------------------------------------------


def post_concurrently(app, requests: list[tuple[dict, dict]]) -> list:
    """POST each (body, headers) to /arrivals at once, each thread with its own client."""
    return at_once(app, [lambda client, b=body, h=headers: client.post(ARRIVALS, json=b, headers=h)
                         for body, headers in requests])


def test_same_event_from_ten_threads_records_one_arrival_and_one_round(app, make, backend):
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    headers = make.courier_headers(courier)

    results = post_concurrently(app, [(arrival_body(home, event_id="evt-race"), headers)] * 10)

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 9 + [201], results
    assert all(body == results[0][1] for _, body in results), results
    assert len(results[0][1]["rounds"]) == 1
    assert (count(Arrival), count(ShakeRound)) == (1, 1)


def test_two_couriers_at_once_open_exactly_one_round_per_campaign(app, make, backend):
    home = make.compound()
    couriers = [make.courier([home]) for _ in range(2)]
    campaign_ids = sorted(make.campaign([home]).id for _ in range(2))
    requests = [(arrival_body(home, event_id=f"evt-{c.id}"), make.courier_headers(c)) for c in couriers]

    results = post_concurrently(app, requests)

    assert [status for status, _ in results] == [201, 201], results
    opened = [r for _, body in results for r in body["rounds"]]
    assert sorted(r["campaign_id"] for r in opened) == campaign_ids
    assert (count(Arrival), count(ShakeRound)) == (2, 2)
    assert count(ShakeRound, ShakeRound.closed_at.is_(None)) == 2


# --- the pick list -----------------------------------------------------------------------


def won_item(make, courier, compound, nickname):
    """A shopper of `compound` wins an item in a round opened by `courier`: (order, product)."""
    product = make.product()
    make.campaign([compound], prizes=[{"kind": "item", "product_id": product.id, "per_round": 1,
                                       "win_probability": 1.0}])
    shopper_id, headers = make.shopper(home=compound)
    db.session.get(Shopper, shopper_id).nickname = nickname
    db.session.commit()
    round_id = make.arrival(courier, compound).get_json()["rounds"][0]["id"]
    answer = make.shake(round_id, headers).get_json()
    assert answer["result"] == "win" and answer["prize"]["kind"] == "item", answer
    return answer["prize"]["order"], product


def pick_list(client, headers, **query):
    answer = client.get(PICKUPS, query_string=query, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["orders"]


def test_won_item_is_on_the_pick_list_of_the_courier_who_opened_the_round_only(client, make):
    home = make.compound()
    courier, colleague = make.courier([home]), make.courier([home])
    order, product = won_item(make, courier, home, "小王")

    [listed] = pick_list(client, make.courier_headers(courier))

    assert (listed["id"], listed["status"], listed["shopper"]["nickname"]) == (order["id"], "reserved", "小王")
    assert [(i["product_id"], i["quantity"]) for i in listed["items"]] == [(product.id, 1)]
    assert pick_list(client, make.courier_headers(colleague)) == []
    assert pick_list(client, make.courier_headers(colleague), compound_id=home.id) == []


def test_pick_list_filters_by_compound(client, make):
    home, other = make.compound(), make.compound()
    courier = make.courier([home, other])
    here, _ = won_item(make, courier, home, "小王")
    there, _ = won_item(make, courier, other, "小李")
    headers = make.courier_headers(courier)

    assert [o["id"] for o in pick_list(client, headers)] == [here["id"], there["id"]]
    assert [o["id"] for o in pick_list(client, headers, compound_id=home.id)] == [here["id"]]
    assert [o["id"] for o in pick_list(client, headers, compound_id=other.id)] == [there["id"]]
    assert pick_list(client, headers, compound_id=987_654_321) == []
    too_big = assert_error(client.get(PICKUPS, query_string={"compound_id": 2**63}, headers=headers),
                           422, "invalid_request")
    assert "compound_id" in too_big["fields"]
    error = assert_error(client.get(PICKUPS, query_string={"compound_id": "home"}, headers=headers),
                         422, "invalid_request")
    assert "compound_id" in error["fields"]
