"""The server restarted while a round is open: the round closes on time, with no client about.

gunicorn is killed (SIGKILL, as in a crash) with a round open, started again, and nobody
sends it a request or opens a socket: its worker's round sweeper, started as the worker boots,
closes the round when it is due and gives its unawarded stock back to the campaign. Once with
the embedded default (SQLite, one worker), once in production mode (PostgreSQL, Redis, two
workers: tests/test_scale_out.py's set-up).
"""
from __future__ import annotations

import contextlib
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from app.models import CampaignPrize, ShakeRound
from app.services import campaigns
from app.services.couriers import registry
from app.services.places import compounds
from app.services.store import catalog
from app.extensions import db
from tests.real_server import Server, World, free_port, start_world
from tests.test_scale_out import migrated, own_sandbox, production  # noqa: F401  (fixtures)

pytestmark = pytest.mark.real_server

PASSWORD = "van-key-123"
WINDOW_SECONDS = 8  # long enough for the restart, short enough to wait for
ON_TIME = timedelta(seconds=2.5)  # the sweeper looks at least once a second


@pytest.fixture(scope="module")
def world(tmp_path_factory, sandbox):
    with start_world(tmp_path_factory.mktemp("restart"), sandbox) as running:
        yield running


@contextlib.contextmanager
def database_of(app):
    """A session on the servers' database; its transaction ends with the block."""
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()


def seed(database) -> tuple[str, int, int]:
    """A courier, their compound, a live campaign there with a capped prize:
    (employee_no, compound_id, prize_id)."""
    n = uuid.uuid4().hex[:8]
    with database() as session:
        home = compounds.create_compound(session, name=f"阳光花园{n}", city="上海", district="浦东新区",
                                         lat=31.2, lng=121.5, radius_m=300, aliases=[])
        session.flush()
        courier = registry.create_courier(session, employee_no=f"E{n}", name=f"小哥{n}", password=PASSWORD,
                                          compound_ids=[home.id])
        product = catalog.create_product(session, name=f"五常大米{n}", category="粮油", price_fen=5990)
        session.flush()
        now = datetime.now(timezone.utc)
        campaign = campaigns.create_campaign(
            session, title="到车摇一摇", compound_ids=[home.id], starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1), window_seconds=WINDOW_SECONDS, shakes_per_shopper=3,
            wins_per_shopper=1,
            prizes=[{"kind": "item", "product_id": product.id, "per_round": 3, "total": 5,
                     "win_probability": 0.5}])
        session.commit()
        return courier.employee_no, home.id, campaign.prizes[0].id


def open_round(server: Server, employee_no: str, compound_id: int) -> int:
    signed_in = requests.post(f"{server.url}/api/v1/courier/auth",
                              json={"employee_no": employee_no, "password": PASSWORD}, timeout=10)
    assert signed_in.status_code == 200, signed_in.text
    arrived = requests.post(
        f"{server.url}/api/v1/courier/arrivals", timeout=10,
        headers={"Authorization": f"Bearer {signed_in.json()['token']}"},
        json={"event_id": f"evt-{uuid.uuid4().hex}", "compound_id": compound_id,
              "occurred_at": datetime.now(timezone.utc).isoformat()})
    assert arrived.status_code == 201, arrived.text
    [opened] = arrived.json()["rounds"]
    return opened["id"]


def restart_with_a_round_open_and_wait(server: Server, database) -> None:
    """Open a round, kill the server, start it with no request, wait past the round's end: then
    the round is closed, on time, and its stock back in the budget."""
    employee_no, compound_id, prize_id = seed(database)
    round_id = open_round(server, employee_no, compound_id)

    server.kill()
    server.start(request=False)  # listening again; no request, no socket, from here on

    with database() as session:
        closes_at = session.get(ShakeRound, round_id).closes_at
        assert session.get(CampaignPrize, prize_id).allocated == 3  # the open round holds its stock
    time.sleep(max((closes_at + ON_TIME - datetime.now(timezone.utc)).total_seconds(), 0))
    with database() as session:
        shake_round = session.get(ShakeRound, round_id)
        assert shake_round.closed_at is not None, server.log_tail()
        assert closes_at <= shake_round.closed_at < closes_at + ON_TIME
        assert shake_round.open_slot is None
        assert session.get(CampaignPrize, prize_id).allocated == 0  # nothing won: all given back


def test_a_round_open_when_the_server_restarts_closes_on_time_with_no_client(world: World):
    world.server.start()
    restart_with_a_round_open_and_wait(world.server, world.database)


def test_a_round_open_when_production_servers_restart_closes_on_time_with_no_client(production, tmp_path):
    app, env = production
    server = Server(env, free_port(), tmp_path / "server.log", workers=2)
    try:
        server.start()
        restart_with_a_round_open_and_wait(server, lambda: database_of(app))
    finally:
        server.stop()
