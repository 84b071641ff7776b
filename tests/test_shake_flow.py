"""Arrival -> broadcast -> shakes -> close, end to end with real socket clients."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db, socketio
from app.models import ShakeRound
from app.realtime.round_sweeper import RoundSweeper
from tests.factories import now


@pytest.fixture(params=["sql", "redis"])
def shake_draws(request):
    """Every test here runs on both draw engines (app/services/shaking/)."""
    return request.param

def events(socket_client, namespace, name):
    return [e["args"][0] for e in socket_client.get_received(namespace) if e["name"] == name]


def shopper_socket(app, client, headers):
    token = headers["Authorization"].split()[1]
    return socketio.test_client(app, namespace="/shopper", auth={"token": token}, flask_test_client=client)


def test_arrival_opens_a_round_broadcast_to_the_compound(app, client, make):
    home, elsewhere = make.compound(), make.compound()
    courier = make.courier([home])
    campaign = make.campaign([home])
    _, neighbour = make.shopper(home=home)
    _, stranger = make.shopper(home=elsewhere)
    near, far = shopper_socket(app, client, neighbour), shopper_socket(app, client, stranger)

    answer = make.arrival(courier, home)

    assert answer.status_code == 201
    body = answer.get_json()
    assert [r["campaign_id"] for r in body["rounds"]] == [campaign.id]
    received = near.get_received("/shopper")
    names = [e["name"] for e in received]
    assert names.index("van_arrived") < names.index("shake_open")
    opened = next(e["args"][0] for e in received if e["name"] == "shake_open")
    assert opened["round_id"] == body["rounds"][0]["id"]
    assert opened["compound_id"] == home.id
    assert opened["campaign"] == {"id": campaign.id, "title": campaign.title}
    assert far.get_received("/shopper") == []


def test_shake_over_socket_wins_and_is_acked_like_rest(app, client, make):
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home])
    _, headers = make.shopper(home=home)
    socket = shopper_socket(app, client, headers)
    round_id = make.arrival(courier, home).get_json()["rounds"][0]["id"]

    ack = socket.emit("shake", {"round_id": round_id, "shake_id": "s-1"}, namespace="/shopper", callback=True)

    assert ack["result"] == "win"
    assert ack["prize"]["kind"] == "coupon"
    assert ack["shakes_left"] == 2
    replay = make.shake(round_id, headers, shake_id="s-1")
    assert replay.status_code == 200
    assert replay.get_json() == ack


def test_round_closes_on_time_and_shake_closed_is_broadcast(app, client, make):
    home = make.compound()
    courier = make.courier([home])
    make.campaign([home], window_seconds=10)
    _, headers = make.shopper(home=home)
    socket = shopper_socket(app, client, headers)
    round_id = make.arrival(courier, home).get_json()["rounds"][0]["id"]
    socket.get_received("/shopper")
    shake_round = db.session.get(ShakeRound, round_id)
    shake_round.closes_at = now() - timedelta(seconds=1)
    db.session.commit()

    RoundSweeper(app).tick()

    assert events(socket, "/shopper", "shake_closed") == [{"round_id": round_id}]
    late = make.shake(round_id, headers)
    assert late.status_code == 409
    assert late.get_json()["error"]["code"] == "round_closed"


def test_a_socket_connecting_starts_the_workers_background_loops(app, client, make):
    """A worker serving only sockets (arrivals and shakes over Socket.IO) still closes rounds
    and writes the shake log."""
    class Loop:
        started = 0

        def start(self):
            self.started += 1

    loop = Loop()
    app.extensions["xiaoge.background_tasks"] = [loop]
    _, headers = make.shopper(home=make.compound())

    shopper_socket(app, client, headers)

    assert loop.started == 1
