"""`python -m handheld` against the real server: gunicorn in a subprocess, killed and restarted.

Taps made while the server is down are delivered exactly once after it comes back; a
handheld killed between the server's answer and recording it resends, still one arrival.
"""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import func, select

from app.models import Arrival, Order, ShakeRound, VanLoadItem
from app.services import campaigns
from app.services.couriers import registry
from app.services.places import compounds
from app.services.store import catalog
from tests.real_server import ROOT, Seeded, World, start_world

pytestmark = pytest.mark.real_server

PASSWORD = "van-key-1"


@pytest.fixture(scope="module")
def world(tmp_path_factory, sandbox):
    with start_world(tmp_path_factory.mktemp("handheld"), sandbox) as running:
        yield running


@pytest.fixture
def server(world: World):
    """The gunicorn server, running at the start of each test (an earlier test may have killed it)."""
    world.server.start()
    return world.server


@pytest.fixture
def state(tmp_path):
    return str(tmp_path / "handheld-state")


def handheld(state: str, *args: str, before: bool = False, env: dict | None = None,
             timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `python -m handheld` with --state-dir after the subcommand (or `before` it)."""
    placed = ["--state-dir", state, *args] if before else [*args, "--state-dir", state]
    return subprocess.run([sys.executable, "-m", "handheld", *placed], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "HOME": state, **(env or {})})


def seed(world: World, prize: str = "coupon", compounds_on_route: int = 1) -> Seeded:
    """A compound (and its neighbour, off the route), a courier serving it, a live campaign there."""
    n = uuid.uuid4().hex[:8]
    with world.database() as session:
        route = [compounds.create_compound(session, name=f"阳光花园{n}-{i}", city="上海", district="浦东新区",
                                           lat=31.2, lng=121.5, radius_m=300, aliases=[])
                 for i in range(compounds_on_route)]
        elsewhere = compounds.create_compound(session, name=f"翠湖苑{n}", city="上海", district="徐汇区",
                                              lat=31.18, lng=121.43, radius_m=300, aliases=[])
        session.flush()
        courier = registry.create_courier(session, employee_no=f"E{n}", name=f"小哥{n}", password=PASSWORD,
                                          compound_ids=[c.id for c in route])
        product = catalog.create_product(session, name=f"五常大米{n}", category="粮油", price_fen=5990)
        session.flush()
        now = datetime.now(timezone.utc)
        campaign = campaigns.create_campaign(
            session, title="到车摇一摇", compound_ids=[c.id for c in route], starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1), window_seconds=600, shakes_per_shopper=3, wins_per_shopper=1,
            prizes=[{"kind": "item", "product_id": product.id, "per_round": 3, "win_probability": 1.0}])
        session.commit()
        return Seeded(courier.id, courier.employee_no, [c.id for c in route], elsewhere.id, campaign.id,
                      product.name)


def login(world: World, state: str, who: Seeded, before: bool = False) -> subprocess.CompletedProcess:
    done = handheld(state, "login", "--server", world.server.url, "--employee-no", who.employee_no,
                    "--password", PASSWORD, before=before)
    assert done.returncode == 0, done.stderr
    return done


def arrivals_of(world: World, courier_id: int) -> list[Arrival]:
    with world.database() as session:
        found = list(session.scalars(select(Arrival).where(Arrival.courier_id == courier_id)))
        session.expunge_all()
        return found


def rounds_in(world: World, compound_id: int) -> int:
    with world.database() as session:
        return session.scalar(select(func.count()).select_from(ShakeRound)
                              .where(ShakeRound.compound_id == compound_id))


def status_counts(state: str) -> dict[str, int]:
    done = handheld(state, "status")
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines()[:3])
    return {name: int(value) for name, value in lines.items()}


# --- the outbox through a real server outage ------------------------------------------------

def test_tap_made_while_the_server_is_down_is_delivered_exactly_once_after_restart(world, server, state):
    who = seed(world)
    login(world, state, who)
    server.kill()
    tapped_at = datetime.now(timezone.utc)

    arrived = handheld(state, "arrive", "--compound-id", str(who.route[0]))

    assert arrived.returncode == 0, arrived.stderr
    assert "queued: server unreachable, will retry with `sync`" in arrived.stdout
    assert status_counts(state) == {"queued": 1, "delivered": 0, "refused": 0}
    still_down = handheld(state, "sync", before=True)
    assert still_down.returncode == 2 and "still queued: 1" in still_down.stdout

    server.start()
    restarted_at = datetime.now(timezone.utc)
    synced = handheld(state, "sync")

    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "recorded. Shake open until" in synced.stdout
    assert status_counts(state) == {"queued": 0, "delivered": 1, "refused": 0}
    [arrival] = arrivals_of(world, who.courier_id)
    assert tapped_at <= arrival.occurred_at < restarted_at <= arrival.received_at  # the tap's real time
    assert rounds_in(world, who.route[0]) == 1
    again = handheld(state, "sync")
    assert again.returncode == 0 and "nothing to send" in again.stdout
    assert len(arrivals_of(world, who.courier_id)) == 1


def test_several_taps_queued_offline_are_all_delivered_once(world, server, state):
    who = seed(world, compounds_on_route=2)
    login(world, state, who)
    server.kill()
    for compound_id in who.route:
        assert handheld(state, "arrive", "--compound-id", str(compound_id)).returncode == 0
    assert handheld(state, "sync").returncode == 2

    server.start()

    assert handheld(state, "sync").returncode == 0
    assert sorted(a.compound_id for a in arrivals_of(world, who.courier_id)) == sorted(who.route)
    assert [rounds_in(world, c) for c in who.route] == [1, 1]


def test_sync_wait_keeps_retrying_with_backoff_until_the_server_is_back(world, server, state):
    who = seed(world)
    login(world, state, who)
    server.kill()
    assert handheld(state, "arrive", "--compound-id", str(who.route[0])).returncode == 0
    command = [sys.executable, "-m", "handheld", "--state-dir", state, "sync", "--wait", "60"]
    waiting = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "HOME": state})
    try:
        time.sleep(2)
        server.start()
        out, errors = waiting.communicate(timeout=60)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.communicate()

    assert waiting.returncode == 0, out + errors
    assert out.count("queued: server unreachable") >= 1 and "all taps delivered" in out
    assert len(arrivals_of(world, who.courier_id)) == 1


def test_handheld_killed_between_send_and_ack_resends_and_the_server_counts_one_arrival(world, server, state):
    who = seed(world)
    login(world, state, who)

    crashed = handheld(state, "arrive", "--compound-id", str(who.route[0]),
                       env={"XIAOGE_HANDHELD_CRASH_AFTER_SEND": "1"})

    assert crashed.returncode == 137  # died after the server answered, before recording it
    assert len(arrivals_of(world, who.courier_id)) == 1  # the server did record it
    assert status_counts(state)["queued"] == 1
    resent = handheld(state, "sync")
    assert resent.returncode == 0, resent.stdout + resent.stderr
    assert "already on the server" in resent.stdout
    assert status_counts(state) == {"queued": 0, "delivered": 1, "refused": 0}
    assert len(arrivals_of(world, who.courier_id)) == 1
    assert rounds_in(world, who.route[0]) == 1


def test_tap_the_server_refuses_leaves_the_queue_and_exits_1(world, server, state):
    who = seed(world)
    login(world, state, who)

    refused = handheld(state, "arrive", "--compound-id", str(who.elsewhere))

    assert refused.returncode == 1
    assert "REFUSED" in refused.stderr and "not on your route" in refused.stderr
    assert status_counts(state) == {"queued": 0, "delivered": 0, "refused": 1}
    assert "not_on_route" in handheld(state, "status").stdout
    assert handheld(state, "sync").returncode == 0
    assert arrivals_of(world, who.courier_id) == []


# --- pick list and handover -----------------------------------------------------------------

def win_item(world: World, who: Seeded) -> dict:
    """A shopper at home in the compound shakes in the round the van opened and wins the item."""
    code, _ = world.sandbox.state.mint_login_code(f"openid-{uuid.uuid4().hex[:10]}")
    with requests.Session() as http:
        base = f"{world.server.url}/api/v1"
        token = http.post(f"{base}/auth/wechat", json={"code": code}, timeout=10).json()["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        added = http.post(f"{base}/me/addresses", timeout=10, json={
            "recipient": "张三", "phone": "13800000000", "detail": "1栋101",
            "compound_id": who.route[0], "is_default": True})
        assert added.status_code == 201, added.text
        shake_round = http.get(f"{base}/compounds/{who.route[0]}/shake", timeout=10).json()["round"]
        shaken = http.post(f"{base}/shake-rounds/{shake_round['id']}/shakes", timeout=10,
                           json={"shake_id": str(uuid.uuid4())}).json()
    assert shaken["result"] == "win", shaken
    return shaken["prize"]["order"]


def order_status(world: World, order_id: int) -> str:
    with world.database() as session:
        return session.get(Order, order_id).status


def test_won_item_is_on_the_pick_list_and_handover_checks_the_code(world, server, state):
    who = seed(world)
    login(world, state, who)
    assert handheld(state, "arrive", "--compound-id", str(who.route[0])).returncode == 0
    order = win_item(world, who)

    listed = handheld(state, "pickups", "--compound-id", str(who.route[0]))
    assert listed.returncode == 0, listed.stderr
    assert f"#{order['id']}" in listed.stdout and who.product_name in listed.stdout

    wrong_code = "000000" if order["pickup_code"] != "000000" else "111111"
    wrong = handheld(state, "handover", str(order["id"]), "--code", wrong_code)
    assert wrong.returncode == 1 and "WRONG CODE" in wrong.stderr and "4 tries left" in wrong.stderr
    assert order_status(world, order["id"]) == "reserved"

    right = handheld(state, "handover", str(order["id"]), "--code", order["pickup_code"], before=True)
    assert right.returncode == 0, right.stdout + right.stderr
    assert f"order {order['id']} completed" in right.stdout
    assert order_status(world, order["id"]) == "completed"
    assert "nothing to hand over" in handheld(state, "pickups").stdout
    assert status_counts(state) == {"queued": 0, "delivered": 2, "refused": 1}


def test_handover_while_the_server_is_down_is_not_confirmed_until_sync(world, server, state):
    who = seed(world)
    login(world, state, who)
    assert handheld(state, "arrive", "--compound-id", str(who.route[0])).returncode == 0
    order = win_item(world, who)
    server.kill()

    queued = handheld(state, "handover", str(order["id"]), "--code", order["pickup_code"])
    offline_list = handheld(state, "pickups")

    assert queued.returncode == 2 and "NOT checked" in queued.stdout
    assert offline_list.returncode == 3 and "unreachable" in offline_list.stderr
    server.start()
    assert handheld(state, "sync").returncode == 0
    assert order_status(world, order["id"]) == "completed"


def test_the_loading_list_is_printed_and_confirming_it_loads_the_van(world, server, state):
    who = seed(world, prize="item")  # the campaign's item prize: 3 a round x 2 rounds today
    login(world, state, who)

    listed = handheld(state, "loading-list")
    confirmed = handheld(state, "loading-list", "--confirm")

    assert listed.returncode == 0, listed.stderr
    assert "(suggested)" in listed.stdout and f"6  {who.product_name}" in listed.stdout
    assert confirmed.returncode == 0, confirmed.stderr
    assert "van loaded for" in confirmed.stdout and "6 units, 1 products" in confirmed.stdout
    with world.database() as session:
        assert session.scalars(select(VanLoadItem.quantity).where(VanLoadItem.courier_id == who.courier_id)).all() \
            == [6]
    bad = handheld(state, "loading-list", "--date", "2020-01-01", "--confirm")
    assert bad.returncode == 1 and "van load refused" in bad.stderr


# --- sign-in, state dir and the command line itself ------------------------------------------

def test_login_saves_a_private_session_and_shows_the_route(world, server, state):
    who = seed(world)
    signed = login(world, state, who, before=True)
    assert "signed in: 小哥" in signed.stdout and f"[{who.route[0]}]" in signed.stdout
    saved = os.path.join(state, "session.json")
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700


def test_login_with_a_wrong_password_exits_1_and_saves_nothing(world, server, state):
    who = seed(world)
    done = handheld(state, "login", "--server", world.server.url, "--employee-no", who.employee_no,
                    "--password", "guess")
    assert done.returncode == 1 and "wrong employee number or password" in done.stderr
    assert not os.path.exists(os.path.join(state, "session.json"))


def test_login_while_the_server_is_down_exits_3(world, server, state):
    who = seed(world)
    server.kill()
    done = handheld(state, "login", "--server", world.server.url, "--employee-no", who.employee_no,
                    "--password", PASSWORD)
    assert done.returncode == 3 and "Check mobile data" in done.stderr


def test_tap_without_signing_in_exits_4_and_queues_nothing(state):
    done = handheld(state, "arrive", "--compound-id", "1")
    assert done.returncode == 4 and "login" in done.stderr
    assert status_counts(state) == {"queued": 0, "delivered": 0, "refused": 0}


def test_state_dir_is_the_same_before_or_after_the_subcommand(world, server, state, tmp_path):
    who = seed(world)
    login(world, state, who)
    server.kill()
    assert handheld(state, "arrive", "--compound-id", str(who.route[0]), before=True).returncode == 0
    before = handheld(state, "status", before=True)
    after = handheld(state, "status")
    # Same state, so the same report, but for the retry countdown, which ticks between the two.
    countdown = re.compile(r"auto-try in \d+s")
    assert countdown.sub("auto-try in Ns", before.stdout) == countdown.sub("auto-try in Ns", after.stdout)
    assert "queued: 1" in after.stdout
    elsewhere = handheld(str(tmp_path / "other"), "status")
    assert "queued: 0" in elsewhere.stdout


def test_bad_command_line_exits_64_not_2(state):
    assert handheld(state, "arrive").returncode == 64
    assert handheld(state, "teleport").returncode == 64
    assert handheld(state, "handover", "not-a-number", "--code", "1").returncode == 64
