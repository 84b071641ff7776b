"""The server restarted while a round is open: the round closes on time, with no client about.

gunicorn is killed (SIGKILL, as in a crash) with a round open, started again, and nobody
sends it a request or opens a socket: its worker's round sweeper, started as the worker boots,
closes the round when it is due and gives its unawarded stock back to the campaign.
"""
from __future__ import annotations

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
from tests.real_server import World, start_world

pytestmark = pytest.mark.real_server

PASSWORD = "van-key-123"
WINDOW_SECONDS = 8  # long enough for the restart, short enough to wait for
ON_TIME = timedelta(seconds=2.5)  # the sweeper looks at least once a second


@pytest.fixture(scope="module")
def world(tmp_path_factory, sandbox):
    with start_world(tmp_path_factory.mktemp("restart"), sandbox) as running:
        yield running


def seed(world: World) -> tuple[str, int, int]:
    """A courier, their compound, a live campaign there with a capped prize:
    (employee_no, compound_id, prize_id)."""
    n = uuid.uuid4().hex[:8]
    with world.database() as session:
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


def open_round(world: World, employee_no: str, compound_id: int) -> int:
    signed_in = requests.post(f"{world.server.url}/api/v1/courier/auth",
                              json={"employee_no": employee_no, "password": PASSWORD}, timeout=10)
    assert signed_in.status_code == 200, signed_in.text
    arrived = requests.post(
        f"{world.server.url}/api/v1/courier/arrivals", timeout=10,
        headers={"Authorization": f"Bearer {signed_in.json()['token']}"},
        json={"event_id": f"evt-{uuid.uuid4().hex}", "compound_id": compound_id,
              "occurred_at": datetime.now(timezone.utc).isoformat()})
    assert arrived.status_code == 201, arrived.text
    [opened] = arrived.json()["rounds"]
    return opened["id"]


def test_a_round_open_when_the_server_restarts_closes_on_time_with_no_client(world: World):
    world.server.start()
    employee_no, compound_id, prize_id = seed(world)
    round_id = open_round(world, employee_no, compound_id)

    world.server.kill()
    world.server.start(request=False)  # listening again; no request, no socket, from here on

    with world.database() as session:
        closes_at = session.get(ShakeRound, round_id).closes_at
        assert session.get(CampaignPrize, prize_id).allocated == 3  # the open round holds its stock
    time.sleep(max((closes_at + ON_TIME - datetime.now(timezone.utc)).total_seconds(), 0))
    with world.database() as session:
        shake_round = session.get(ShakeRound, round_id)
        assert shake_round.closed_at is not None, world.server.log_tail()
        assert closes_at <= shake_round.closed_at < closes_at + ON_TIME
        assert shake_round.open_slot is None
        assert session.get(CampaignPrize, prize_id).allocated == 0  # nothing won: all given back
