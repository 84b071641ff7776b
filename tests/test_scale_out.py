"""Production mode, for real: gunicorn gevent workers sharing PostgreSQL and Redis.

A shopper connected to one worker hears an arrival announced through another, draws
across workers never over-award, and the WeChat access token is fetched once for all.
"""
from __future__ import annotations

import contextlib
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import redis
import requests
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Address, RoundShopper, Shake, ShakeRound, Shopper
from app.services import campaigns
from app.services.couriers import registry
from app.services.places import compounds
from app.services.store import coupons
from tests.conftest import app_config, postgres_database
from tests.factories import now
from tests.raw_socketio import RawClient
from tests.real_server import BIN, ROOT, Server, free_port, server_env
from wechat.sandbox import start_sandbox

pytestmark = pytest.mark.real_server

REDIS_URL = "redis://127.0.0.1:6379/7"
SHOPPERS = 40
STOCK = 10


@pytest.fixture
def own_sandbox():
    """A WeChat sandbox of this test's own, so its counters are this test's."""
    with start_sandbox() as running:
        yield running


@pytest.fixture(scope="module")
def migrated():
    """A PostgreSQL database migrated by `flask db upgrade`, once: each test gets a copy of it."""
    with postgres_database("xiaoge_scale_migrated") as (name, url):
        migrated = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                                  env=server_env(url, "http://127.0.0.1:9"), capture_output=True, text=True,
                                  timeout=120)
        assert migrated.returncode == 0, migrated.stderr
        yield name


@pytest.fixture
def production(migrated, own_sandbox):
    """A fresh PostgreSQL database (a copy of the migrated one), a Redis, and the env for gunicorn."""
    sandbox = own_sandbox
    with postgres_database("xiaoge_scale", template=migrated) as (_, url):
        redis.Redis.from_url(REDIS_URL).flushdb()
        env = {**server_env(url, sandbox.url), "REDIS_URL": REDIS_URL,
               "SOCKETIO_CHANNEL": f"xiaoge-test-{uuid.uuid4().hex[:8]}"}
        app = create_app({**app_config(url, sandbox.url), "SECRET_KEY": env["SECRET_KEY"]})
        try:
            yield app, env
        finally:
            with app.app_context():
                db.engine.dispose()


@contextlib.contextmanager
def servers(env, tmp_path, *workers):
    running = [Server(env, free_port(), tmp_path / f"server-{n}.log", workers=w) for n, w in enumerate(workers)]
    try:
        for server in running:
            server.start()
        yield running
    finally:
        for server in running:
            server.stop()


def seed(app):
    """A compound with SHOPPERS residents, its courier and a live campaign of STOCK coupons a round."""
    with app.app_context():
        home = compounds.create_compound(db.session, name="阳光花园", city="上海", lat=31.23, lng=121.54,
                                         radius_m=300)
        courier = registry.create_courier(db.session, employee_no="E1", name="王小哥", password="courier-pass",
                                          compound_ids=[home.id])
        template = coupons.create_coupon_template(
            db.session, title="满30减5", discount_fen=500, threshold_fen=3000, total=1000, per_shopper_limit=1,
            compound_ids=[home.id], valid_from=now() - timedelta(hours=1), valid_until=now() + timedelta(days=1))
        campaigns.create_campaign(
            db.session, title="到车摇一摇", compound_ids=[home.id], starts_at=now() - timedelta(hours=1),
            ends_at=now() + timedelta(days=1), window_seconds=60, shakes_per_shopper=2, wins_per_shopper=1,
            prizes=[{"kind": "coupon", "coupon_template_id": template.id, "per_round": STOCK,
                     "win_probability": 1.0}])
        tokens = app.extensions["xiaoge.tokens"]
        shopper_tokens = []
        for n in range(SHOPPERS):
            shopper = Shopper(openid=f"scale-{n}", session_key="")
            db.session.add(shopper)
            db.session.flush()
            db.session.add(Address(shopper_id=shopper.id, recipient="住户", phone="13800000000",
                                   detail="阳光花园", compound_id=home.id, is_default=True))
            shopper_tokens.append(tokens.issue("shopper", shopper.id))
        db.session.commit()
        return home.id, tokens.issue("courier", courier.id, token_version=courier.token_version), shopper_tokens


def arrive(server, courier_token, compound_id):
    answer = requests.post(f"{server.url}/api/v1/courier/arrivals",
                           json={"event_id": uuid.uuid4().hex, "compound_id": compound_id,
                                 "occurred_at": now().isoformat()},
                           headers={"Authorization": f"Bearer {courier_token}"}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["rounds"][0]["id"]


def shopper_sockets(server, tokens):
    sockets = []
    for token in tokens:
        client = RawClient(server.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket")
        assert client.connect("/shopper", {"token": token}).kind == 0
        sockets.append(client)
    return sockets


def test_shoppers_on_one_server_hear_an_arrival_announced_through_another(production, tmp_path):
    app, env = production
    compound_id, courier_token, shopper_tokens = seed(app)
    with servers(env, tmp_path, 1, 1) as (first, second):
        sockets = shopper_sockets(first, shopper_tokens[:10]) + shopper_sockets(second, shopper_tokens[10:20])
        try:
            round_id = arrive(second, courier_token, compound_id)
            heard = [s.event("/shopper", "shake_open", timeout=10) for s in sockets]
        finally:
            for s in sockets:
                s.close()
    assert {h["round_id"] for h in heard} == {round_id}
    assert len(heard) == 20


@pytest.mark.parametrize("shake_draws", ["redis", "sql"])
def test_two_workers_broadcast_to_all_and_never_over_award(production, tmp_path, shake_draws):
    app, env = production
    compound_id, courier_token, shopper_tokens = seed(app)
    with servers({**env, "SHAKE_DRAWS": shake_draws}, tmp_path, 2) as (server,):
        sockets = shopper_sockets(server, shopper_tokens[:20])
        try:
            round_id = arrive(server, courier_token, compound_id)
            assert all(s.event("/shopper", "shake_open", timeout=10)["round_id"] == round_id for s in sockets)
        finally:
            for s in sockets:
                s.close()
        release_all_stock(app, round_id)

        def shake(job):
            token, n = job
            answer = requests.post(f"{server.url}/api/v1/shake-rounds/{round_id}/shakes",
                                   json={"shake_id": f"{token[-12:]}-{n}"},
                                   headers={"Authorization": f"Bearer {token}"}, timeout=30)
            return answer.status_code, answer.json()

        jobs = [(token, n) for token in shopper_tokens for n in range(2)]
        with ThreadPoolExecutor(max_workers=40) as pool:
            answers = list(pool.map(shake, jobs))
        recorded = shakes_recorded_within(app, len(jobs), seconds=10)  # the Redis engine writes loses behind

    assert [status for status, _ in answers] == [200] * len(jobs)
    assert sum(body["result"] == "win" for _, body in answers) == STOCK
    assert recorded == len(jobs)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Shake).where(Shake.won.is_(True))) == STOCK
        assert db.session.scalar(select(func.max(RoundShopper.wins))) == 1
        assert db.session.scalar(select(func.max(RoundShopper.shakes))) == 2
    decided_in_redis = redis.Redis.from_url(REDIS_URL).exists(f"xiaoge:shake:round:{round_id}:shakes")
    assert decided_in_redis == (shake_draws == "redis")


def shakes_recorded_within(app, expected: int, seconds: float) -> int:
    """How many shakes the database holds once it holds `expected`, or after `seconds`."""
    deadline = time.monotonic() + seconds
    with app.app_context():
        while True:
            recorded = db.session.scalar(select(func.count()).select_from(Shake))
            db.session.rollback()
            if recorded >= expected or time.monotonic() > deadline:
                return recorded
            time.sleep(0.1)


def release_all_stock(app, round_id):
    """Pretend the round is near its end, so pacing has released all its stock."""
    with app.app_context():
        shake_round = db.session.get(ShakeRound, round_id)
        shake_round.opens_at = now() - 20 * (shake_round.closes_at - now())
        db.session.commit()


def test_workers_share_one_wechat_access_token(production, tmp_path, own_sandbox):
    app, env = production
    sandbox = own_sandbox
    with servers(env, tmp_path, 1, 1) as both:
        for n, server in enumerate(both * 2):
            code, openid = sandbox.state.mint_login_code(f"token-share-{n}")
            login = requests.post(f"{server.url}/api/v1/auth/wechat", json={"code": code}, timeout=10).json()
            phone_code = sandbox.state.mint_phone_code(openid, "13800138000")
            bound = requests.post(f"{server.url}/api/v1/me/phone", json={"code": phone_code},
                                  headers={"Authorization": f"Bearer {login['token']}"}, timeout=10)
            assert bound.json() == {"phone": "138****8000"}
    assert sandbox.state.stats()["token_fetches"] == 1
