"""One socket cannot flood its compound or its worker: `live` is pushed at most about once a
second a compound, each connection's events are rate-limited, and an account keeps a few sockets."""
from __future__ import annotations

import re
import time

from app.extensions import db, socketio
from tests.test_sweeper_stats import statements

WATCHING_COUNT = re.compile(r"count\(distinct\(store_sessions\.shopper_id\)\)", re.IGNORECASE)


def shopper_socket(app, client, headers):
    token = headers["Authorization"].split()[1]
    socket = socketio.test_client(app, namespace="/shopper", auth={"token": token}, flask_test_client=client)
    db.session.commit()  # the connect handler read through the test's session
    return socket


def heard(socket, name: str) -> list[dict]:
    return [e["args"][0] for e in socket.get_received("/shopper") if e["name"] == name]


def leave(socket):
    return socket.emit("leave_store", namespace="/shopper", callback=True)


def test_a_flood_of_enter_store_pushes_the_room_about_one_live_a_second(app, client, make):
    home = make.compound()
    courier = make.courier([home])
    _, flooder_headers = make.shopper(home=home)
    _, neighbour_headers = make.shopper(home=home)
    neighbour = shopper_socket(app, client, neighbour_headers)
    flooder = shopper_socket(app, client, flooder_headers)
    session_id = make.store_session(flooder_headers, courier, home)
    db.session.commit()

    with statements() as seen:
        acks = [flooder.emit("enter_store", {"store_session_id": session_id}, namespace="/shopper",
                             callback=True) for _ in range(30)]
        db.session.commit()  # the handlers ran in the test's session: SQLite, let the pusher read
        time.sleep(1.5)

    assert acks[-1] == {"compound_id": home.id, "watching": 1, "buying": 0}
    pushed = heard(neighbour, "live")
    assert 1 <= len(pushed) <= 2
    assert pushed[-1] == {"compound_id": home.id, "watching": 1, "buying": 0, "items": {}}
    assert len([s for s in seen if WATCHING_COUNT.search(s)]) <= 3  # not two queries an event


def test_a_human_pace_of_events_is_never_refused(app, client, make):
    _, headers = make.shopper(home=make.compound())
    socket = shopper_socket(app, client, headers)

    acks = [leave(socket) for _ in range(40)]  # a burst of 40 at once, far past any human's shaking

    assert acks == [{"ok": True}] * 40


def test_events_past_a_connections_rate_are_acked_rate_limited_and_do_nothing(app, client, make):
    app.config.update(SOCKET_EVENTS_PER_SECOND=0.5, SOCKET_EVENT_BURST=3)
    _, headers = make.shopper(home=make.compound())
    socket = shopper_socket(app, client, headers)

    acks = [leave(socket) for _ in range(5)]

    assert acks[:3] == [{"ok": True}] * 3
    assert acks[3] == acks[4] == {"error": {"code": "rate_limited", "retry_after_seconds": 1,
                                            "message": "Too many events on this connection; slow down."}}
    assert socket.is_connected("/shopper")


def test_a_socket_far_over_its_rate_is_disconnected(app, client, make):
    app.config.update(SOCKET_EVENTS_PER_SECOND=0.5, SOCKET_EVENT_BURST=3, SOCKET_DISCONNECT_AFTER_REFUSED=10)
    _, headers = make.shopper(home=make.compound())
    socket, other = shopper_socket(app, client, headers), shopper_socket(app, client, make.shopper()[1])

    sent = 0
    while socket.is_connected("/shopper") and sent < 50:
        socket.emit("leave_store", namespace="/shopper")
        sent += 1

    assert not socket.is_connected("/shopper")
    assert sent == 3 + 11  # the burst, then refusals until the debt passed 10
    assert other.is_connected("/shopper") and leave(other) == {"ok": True}


def test_an_account_opening_one_socket_too_many_loses_its_oldest(app, client, make):
    app.config.update(SOCKETS_PER_ACCOUNT=2)
    _, headers = make.shopper(home=make.compound())
    _, neighbour_headers = make.shopper()
    neighbour = shopper_socket(app, client, neighbour_headers)
    first, second, third = (shopper_socket(app, client, headers) for _ in range(3))

    assert not first.is_connected("/shopper")
    assert second.is_connected("/shopper") and third.is_connected("/shopper")
    assert leave(third) == {"ok": True} and neighbour.is_connected("/shopper")
    second.disconnect(namespace="/shopper")
    fourth = shopper_socket(app, client, headers)  # a slot freed by a disconnect is free again
    assert third.is_connected("/shopper") and fourth.is_connected("/shopper")
