"""Redis stopped and started under real gunicorn workers: a broadcast made during the outage
reaches the other worker's shoppers once Redis is back, and broadcasts flow again within a few
seconds, by themselves (app/realtime/redis_queue.py). Runs a redis-server of its own, so the
machine's shared Redis is never stopped."""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
import uuid

import pytest
import redis
import requests

from app import create_app
from app.extensions import db
from tests.conftest import app_config, postgres_database
from tests.factories import now
from tests.real_server import BIN, HOST, ROOT, free_port, server_env
from tests.test_scale_out import seed, servers, shopper_sockets
from wechat.sandbox import start_sandbox

pytestmark = pytest.mark.real_server

OUTAGE_SECONDS = 7.0  # long enough for python-socketio's own listener to back off to 8 s
RESUMED_WITHIN = 4.0


class OwnRedis:
    """A throwaway redis-server on a free port, stopped and started on that same port."""

    def __init__(self, directory):
        self.directory, self.port, self.process = directory, free_port(), None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", HOST,
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if redis.Redis(host=HOST, port=self.port).ping():
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server on this machine")
    running = OwnRedis(tmp_path)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def production(own_redis):
    """A migrated PostgreSQL database, gunicorn's env pointing at our own Redis, and an app on it."""
    with start_sandbox() as sandbox, postgres_database("xiaoge_redis_outage") as (_, url):
        env = {**server_env(url, sandbox.url), "REDIS_URL": own_redis.url, "SHAKE_DRAWS": "sql",
               "RATELIMIT_STORAGE_URI": "memory://",
               "SOCKETIO_CHANNEL": f"xiaoge-test-{uuid.uuid4().hex[:8]}"}
        migrated = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=120)
        assert migrated.returncode == 0, migrated.stderr
        app = create_app({**app_config(url, sandbox.url), "SECRET_KEY": env["SECRET_KEY"]})
        try:
            yield app, env
        finally:
            with app.app_context():
                db.engine.dispose()


def arrive(server, courier_token, compound_id) -> str:
    """An arrival through `server`; its arrived_at, which its van_arrived carries."""
    answer = requests.post(f"{server.url}/api/v1/courier/arrivals",
                           json={"event_id": uuid.uuid4().hex, "compound_id": compound_id,
                                 "occurred_at": now().isoformat()},
                           headers={"Authorization": f"Bearer {courier_token}"}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["arrival"]["arrived_at"]


def vans_heard(sockets, timeout: float) -> list[str]:
    return [s.event("/shopper", "van_arrived", timeout=timeout)["arrived_at"] for s in sockets]


def test_broadcasts_survive_a_redis_restart_and_resume_by_themselves(production, own_redis, tmp_path):
    app, env = production
    compound_id, courier_token, shopper_tokens = seed(app)
    with servers(env, tmp_path, 1, 1) as (listening, announcing):
        sockets = shopper_sockets(listening, shopper_tokens[:3])
        try:
            before = arrive(announcing, courier_token, compound_id)
            assert vans_heard(sockets, timeout=5) == [before] * 3

            own_redis.stop()
            during = arrive(announcing, courier_token, compound_id)  # the database is up: 201
            time.sleep(OUTAGE_SECONDS)
            own_redis.start()

            assert vans_heard(sockets, timeout=RESUMED_WITHIN + 2) == [during] * 3
            after = arrive(announcing, courier_token, compound_id)
            assert vans_heard(sockets, timeout=RESUMED_WITHIN) == [after] * 3
        finally:
            for s in sockets:
                s.close()
