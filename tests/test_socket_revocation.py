"""Open sockets follow their accounts (issue 13, A11): the account watch drops a `/courier` or
`/console` socket whose account was disabled or signed out, and takes a console whose role may
no longer watch campaigns out of their rooms. The tests run its check by hand (it runs every 2 s
in a served app)."""
from __future__ import annotations

import time

import pytest

from app import broadcasts, create_app
from app.extensions import db, socketio
from app.services.accounts import standing
from app.realtime.account_watch import CHECK_SECONDS, AccountWatch
from tests import factories
from tests.conftest import app_config, empty_all_tables

CONSOLE = "/api/v1/console"


def account_watch(app) -> AccountWatch:
    return app.extensions["xiaoge.account_watch"]


def run_check(app) -> None:
    """One round of the watch, as its loop runs it: on a connection of its own, so the test's
    session ends its transaction first (SQLite begins every transaction IMMEDIATE, holding the lock)."""
    db.session.commit()
    account_watch(app).check()


def courier_socket(app, client, make, courier):
    token = make.courier_headers(courier)["Authorization"].split()[1]
    return socketio.test_client(app, namespace="/courier", auth={"token": token}, flask_test_client=client)


def console_socket(app, client, member):
    answer = client.post(f"{CONSOLE}/auth", json={"username": member.username, "password": "staff-password"})
    token = answer.get_json()["token"]
    return socketio.test_client(app, namespace="/console", auth={"token": token}, flask_test_client=client)


def heard(socket, namespace: str, name: str) -> list:
    return [e["args"][0] for e in socket.get_received(namespace) if e["name"] == name]


def test_the_socket_of_a_signed_out_courier_is_dropped_and_a_colleagues_is_not(app, client, make):
    home = make.compound()
    courier, colleague = make.courier([home]), make.courier([home])
    lost, kept = courier_socket(app, client, make, courier), courier_socket(app, client, make, colleague)
    assert lost.is_connected("/courier") and kept.is_connected("/courier")

    client.post(f"{CONSOLE}/couriers/{courier.id}/sign-out", headers=make.staff_headers("ops"))
    run_check(app)

    assert not lost.is_connected("/courier")
    assert kept.is_connected("/courier")
    assert len(account_watch(app).watched()) == 1


def test_a_signed_out_couriers_token_cannot_open_a_socket_again(app, client, make):
    courier = make.courier()
    token = make.courier_headers(courier)["Authorization"].split()[1]
    client.post(f"{CONSOLE}/couriers/{courier.id}/sign-out", headers=make.staff_headers("ops"))

    socket = socketio.test_client(app, namespace="/courier", auth={"token": token}, flask_test_client=client)

    assert not socket.is_connected("/courier")


def test_a_disabled_staff_members_console_socket_is_dropped(app, client, make):
    member = make.staff_member("marketing")
    socket = console_socket(app, client, member)
    assert socket.is_connected("/console")

    client.patch(f"{CONSOLE}/staff/{member.id}", json={"disabled": True}, headers=make.staff_headers("admin"))
    run_check(app)

    assert not socket.is_connected("/console")


def test_a_console_whose_role_lost_campaigns_stops_hearing_them(app, client, make):
    campaign = make.campaign([make.compound()])
    member = make.staff_member("marketing")
    socket = console_socket(app, client, member)
    ack = socket.emit("watch_campaign", {"campaign_id": campaign.id}, namespace="/console", callback=True)
    assert ack == {"ok": True, "campaign_id": campaign.id}

    client.patch(f"{CONSOLE}/staff/{member.id}", json={"role": "ops"}, headers=make.staff_headers("admin"))
    run_check(app)
    broadcasts.campaign_stats(campaign.id, {"rounds": 0, "shakes": 0, "wins": 0, "by_prize": []})

    assert socket.is_connected("/console")  # still signed in, as ops
    assert heard(socket, "/console", "campaign_stats") == []
    again = socket.emit("watch_campaign", {"campaign_id": campaign.id}, namespace="/console", callback=True)
    assert again["error"]["code"] == "forbidden"


def test_one_check_reads_each_audience_once_however_many_sockets(app, client, make, monkeypatch):
    home = make.compound()
    sockets = [courier_socket(app, client, make, make.courier([home])) for _ in range(3)]
    sockets += [console_socket(app, client, make.staff_member(role)) for role in ("admin", "ops")]
    queries = []
    real = standing.read_standings
    def counted(session, audience, ids):
        queries.append((audience, sorted(ids)))
        return real(session, audience, ids)
    monkeypatch.setattr(standing, "read_standings", counted)

    run_check(app)

    assert sorted(audience for audience, _ in queries) == ["courier", "staff"]
    assert all(s.is_connected("/courier") or s.is_connected("/console") for s in sockets)


def test_a_socket_that_went_away_is_forgotten(app, client, make):
    socket = courier_socket(app, client, make, make.courier())
    socket.disconnect(namespace="/courier")

    run_check(app)

    assert account_watch(app).watched() == {}


def test_a_served_app_runs_the_account_watch_every_two_seconds(database_url, sandbox):
    config = app_config(database_url, sandbox.url)
    config.pop("SOCKET_ACCOUNT_WATCH")  # as deployed: on by default
    served = create_app(config)

    assert account_watch(served) in served.extensions["xiaoge.background_tasks"]
    assert CHECK_SECONDS <= 2
    with served.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("role", ["marketing", "admin"])
def test_a_console_socket_of_a_watching_role_keeps_its_rooms(app, client, make, role):
    campaign = make.campaign([make.compound()])
    socket = console_socket(app, client, make.staff_member(role))
    socket.emit("watch_campaign", {"campaign_id": campaign.id}, namespace="/console", callback=True)

    run_check(app)
    broadcasts.campaign_stats(campaign.id, {"rounds": 0, "shakes": 0, "wins": 0, "by_prize": []})

    assert len(heard(socket, "/console", "campaign_stats")) == 1


@pytest.mark.slow
def test_a_served_app_drops_a_signed_out_couriers_socket_within_five_seconds(database_url, sandbox):
    config = app_config(database_url, sandbox.url)
    config.pop("SOCKET_ACCOUNT_WATCH")  # as deployed: the watch runs on its own clock
    served = create_app(config)
    with served.app_context():
        client = served.test_client()
        make = factories.Factories(served, client, sandbox)
        try:
            courier = make.courier()
            socket = courier_socket(served, client, make, courier)  # its connect starts the watch
            assert account_watch(served).running and socket.is_connected("/courier")
            client.post(f"{CONSOLE}/couriers/{courier.id}/sign-out", headers=make.staff_headers("ops"))
            db.session.commit()
            signed_out_at = time.monotonic()
            while socket.is_connected("/courier") and time.monotonic() - signed_out_at < 5:
                time.sleep(0.1)

            assert not socket.is_connected("/courier")
        finally:
            account_watch(served).stop()
            db.session.remove()
            empty_all_tables()
            db.engine.dispose()
