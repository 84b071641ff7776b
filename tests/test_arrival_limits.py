"""Arrivals that open nothing: too far from the compound (422 too_far, recorded, flagged on the
dashboard), a courier's repeat within ARRIVAL_REPEAT_MINUTES (201, no round), and a flood past
ARRIVALS_PER_MINUTE (429 rate_limited, nothing recorded, the same event_id accepted later)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db, socketio
from app.models import Arrival, ShakeRound
from app.services.campaigns import dashboard
from app.services.campaigns.reports import compound_report
from handheld import messages
from handheld.client import Refused, Reply
from handheld.outbox import Delivery, Tap
from tests.assertions import assert_error
from tests.console_web import console_fixture  # noqa: F401  (the fixture `console`)
from tests.factories import now

ARRIVALS = "/api/v1/courier/arrivals"
# 1° of latitude is ~111 km: 0.006° ~667 m, past a 300 m radius and its 300 m margin; 0.005° ~556 m, within.
TOO_FAR, FAR = 0.006, 0.005


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def body(compound, event_id: str, **extra) -> dict:
    return {"event_id": event_id, "compound_id": compound.id, "occurred_at": now().isoformat(), **extra}


def socket_of(app, client, namespace: str, token: str):
    return socketio.test_client(app, namespace=namespace, auth={"token": token}, flask_test_client=client)


# --- too far -------------------------------------------------------------------------------


def test_an_arrival_too_far_from_the_compound_is_refused_recorded_and_replayed(client, make):
    home = make.compound(radius_m=300)
    courier = make.courier([home])
    make.campaign([home])
    headers = make.courier_headers(courier)
    tap = body(home, "evt-far", lat=home.lat + TOO_FAR, lng=home.lng)

    refused = client.post(ARRIVALS, json=tap, headers=headers)
    again = client.post(ARRIVALS, json=tap, headers=headers)

    error = assert_error(refused, 422, "too_far", beside={"arrival", "rounds"})
    assert error["message"]
    answer = refused.get_json()
    assert answer["rounds"] == [] and answer["arrival"]["too_far"] is True
    assert 600 < answer["arrival"]["distance_m"] < 700
    assert (again.status_code, again.get_json()) == (422, answer)
    arrival = db.session.scalar(select(Arrival))
    assert (arrival.event_id, arrival.too_far, arrival.far_from_compound) == ("evt-far", True, True)
    assert (count(Arrival), count(ShakeRound)) == (1, 0)


def test_an_arrival_within_the_margin_opens_its_round_flagged_far(client, make):
    home = make.compound(radius_m=300)
    make.campaign([home])

    answer = make.arrival(make.courier([home]), home, lat=home.lat + FAR, lng=home.lng)

    assert answer.status_code == 201, answer.get_json()
    assert len(answer.get_json()["rounds"]) == 1
    assert answer.get_json()["arrival"]["far_from_compound"] is True
    assert answer.get_json()["arrival"]["too_far"] is False


def test_too_far_over_the_courier_socket_acks_the_rest_answer(app, client, make):
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    token = make.courier_headers(courier)["Authorization"].removeprefix("Bearer ")
    handheld = socket_of(app, client, "/courier", token)
    tap = body(home, "evt-sock", lat=home.lat + TOO_FAR, lng=home.lng)

    ack = handheld.emit("arrived", tap, namespace="/courier", callback=True)
    replay = client.post(ARRIVALS, json=tap, headers=make.courier_headers(courier))

    assert ack["error"]["code"] == "too_far" and ack["rounds"] == []
    assert (replay.status_code, replay.get_json()) == (422, ack)
    handheld.disconnect(namespace="/courier")


def test_the_dashboard_hears_and_lists_an_arrival_refused_as_too_far(app, client, make):
    home = make.compound(name="远方花园")
    courier = make.courier([home])
    campaign = make.campaign([home])
    console = socket_of(app, client, "/console", make.staff_token("marketing"))
    console.emit("watch_campaign", {"campaign_id": campaign.id}, namespace="/console", callback=True)
    console.get_received("/console")

    refused = make.arrival(courier, home, lat=home.lat + TOO_FAR, lng=home.lng).get_json()
    heard = [e["args"][0] for e in console.get_received("/console") if e["name"] == "arrival"]

    assert len(heard) == 1
    assert heard[0]["arrival_id"] == refused["arrival"]["id"] and heard[0]["campaign_id"] == campaign.id
    assert (heard[0]["too_far"], heard[0]["round_id"], heard[0]["compound"]["name"]) == (True, None, "远方花园")
    [listed] = dashboard.recent_arrivals(db.session, campaign)
    arrival_id = refused["arrival"]["id"]
    assert (listed["arrival_id"], listed["too_far"], listed["round_id"]) == (arrival_id, True, None)
    assert [a["arrival_id"] for a in dashboard.flagged_arrivals(db.session, campaign)] == [arrival_id]
    console.disconnect(namespace="/console")


def test_the_campaign_page_lists_arrivals_refused_as_too_far(make, console):
    home = make.compound(name="远方花园")
    courier = make.courier([home])
    campaign = make.campaign([home])
    make.arrival(courier, home, lat=home.lat + TOO_FAR, lng=home.lng)

    page = console("marketing").get(f"/console/campaigns/{campaign.id}").get_data(as_text=True)

    flagged = page[page.index('id="flagged-arrivals"'):]
    assert "远方花园" in flagged and "too_far" in flagged and courier.name in flagged


def test_the_compound_report_counts_arrivals_refused_as_too_far(make):
    home = make.compound()
    courier = make.courier([home])
    make.arrival(courier, home, lat=home.lat + TOO_FAR, lng=home.lng)
    make.arrival(courier, home, lat=home.lat, lng=home.lng)

    [listed] = [r for r in compound_report(db.session) if r["compound_id"] == home.id]

    assert (listed["arrivals"], listed["arrivals_too_far"]) == (2, 1)


# --- a courier's repeat ------------------------------------------------------------------------


def test_a_double_tap_and_a_re_tap_after_the_round_closed_open_no_second_round(app, client, make):
    app.config["ARRIVAL_REPEAT_MINUTES"] = 10  # off by default (API.md: a new arrival may open a new round)
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    headers = make.courier_headers(courier)
    [opened] = make.arrival(courier, home, headers=headers).get_json()["rounds"]

    double = make.arrival(courier, home, headers=headers)
    db.session.get(ShakeRound, opened["id"]).closes_at = now() - timedelta(seconds=1)
    db.session.commit()
    again = make.arrival(courier, home, headers=headers)

    for answer in (double, again):
        assert answer.status_code == 201, answer.get_json()
        assert answer.get_json()["rounds"] == [] and answer.get_json()["arrival"]["repeat"] is True
    assert count(ShakeRound) == 1
    assert db.session.get(ShakeRound, opened["id"]).closed_at is not None  # the re-tap still closed it
    assert count(Arrival, Arrival.repeat) == 2


def test_a_repeat_is_not_announced_to_the_compound(app, client, make):
    app.config["ARRIVAL_REPEAT_MINUTES"] = 10
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    headers = make.courier_headers(courier)
    _, shopper = make.shopper(home=home)
    listener = socket_of(app, client, "/shopper", shopper["Authorization"].removeprefix("Bearer "))
    make.arrival(courier, home, headers=headers)
    listener.get_received("/shopper")

    make.arrival(courier, home, headers=headers)

    assert [e["name"] for e in listener.get_received("/shopper")] == []
    listener.disconnect(namespace="/shopper")


def test_the_courier_opens_a_round_again_once_the_repeat_window_has_passed(app, client, make):
    app.config["ARRIVAL_REPEAT_MINUTES"] = 10
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    headers = make.courier_headers(courier)
    [opened] = make.arrival(courier, home, headers=headers).get_json()["rounds"]
    first = db.session.get(ShakeRound, opened["id"])
    first.opens_at = now() - timedelta(minutes=11)  # as if it opened 11 minutes ago and ran its window
    first.closes_at = first.opens_at + timedelta(minutes=2)
    db.session.commit()

    answer = make.arrival(courier, home, headers=headers)

    assert len(answer.get_json()["rounds"]) == 1 and answer.get_json()["arrival"]["repeat"] is False


def test_a_colleagues_arrival_is_no_repeat_of_mine(client, make):
    home = make.compound()
    mine, colleague = make.courier([home]), make.courier([home])
    make.campaign([home])
    [opened] = make.arrival(mine, home).get_json()["rounds"]
    db.session.get(ShakeRound, opened["id"]).closes_at = now() - timedelta(seconds=1)
    db.session.commit()

    answer = make.arrival(colleague, home)

    assert len(answer.get_json()["rounds"]) == 1 and answer.get_json()["arrival"]["repeat"] is False


# --- a flood -----------------------------------------------------------------------------------


def test_taps_past_the_per_minute_cap_are_refused_unrecorded_and_accepted_later(app, client, make):
    app.config["ARRIVALS_PER_MINUTE"] = 3
    homes = [make.compound() for _ in range(4)]
    courier = make.courier(homes)
    headers = make.courier_headers(courier)
    for n, home in enumerate(homes[:3]):
        assert client.post(ARRIVALS, json=body(home, f"evt-{n}"), headers=headers).status_code == 201

    flood = client.post(ARRIVALS, json=body(homes[3], "evt-3"), headers=headers)
    socket = socket_of(app, client, "/courier", headers["Authorization"].removeprefix("Bearer "))
    ack = socket.emit("arrived", body(homes[3], "evt-3"), namespace="/courier", callback=True)
    socket.disconnect(namespace="/courier")

    error = assert_error(flood, 429, "rate_limited")
    assert 1 <= error["retry_after_seconds"] <= 60
    assert flood.headers["Retry-After"] == str(error["retry_after_seconds"])
    assert ack["error"]["code"] == "rate_limited"
    assert count(Arrival) == 3
    for arrival in db.session.scalars(select(Arrival)):
        arrival.received_at -= timedelta(seconds=61)  # a minute later
    db.session.commit()
    later = client.post(ARRIVALS, json=body(homes[3], "evt-3"), headers=headers)
    assert later.status_code == 201, later.get_json()  # not the 429 replayed: it was never an answer
    assert count(Arrival) == 4


# --- what the handheld CLI tells the courier ------------------------------------------------------


def handheld_tap(answer: dict | None = None) -> Tap:
    return Tap(1, "evt-1", "arrived", 1, {"compound_id": 7}, "delivered", 1, 0.0, None, 201, answer)


@pytest.mark.one_database
def test_the_handheld_says_why_a_tap_opened_nothing():
    repeat = {"arrival": {"id": 1, "repeat": True}, "rounds": []}
    said = messages.delivered(Delivery(handheld_tap(repeat), "delivered", Reply(201, repeat)), None)
    refused = messages.refusal_reason(handheld_tap(), Refused(422, "too_far", "Too far."), None)

    assert "no new round" in said
    assert "too far" in refused and "recorded" in refused
