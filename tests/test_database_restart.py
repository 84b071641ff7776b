"""PostgreSQL restarted during a shake burst, against real gunicorn workers (issue 13, section C).

The shared PostgreSQL of the machine cannot be restarted under other test runs, so the test
restarts its own database the way a restart looks to the app: every connection to it is cut
(pg_terminate_backend) and new ones are refused (ALLOW_CONNECTIONS false) for a few seconds,
then it accepts again. Shoppers keep shaking throughout and retry a 503 with the same shake_id,
as the mini-program does.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db
from tests.conftest import PG_ADMIN_URL, app_config, postgres_database
from tests.faults import recorded, shake_over_rest, wins_listed
from tests.real_server import Server, free_port, server_env
from tests.test_scale_out import STOCK, arrive, migrated, release_all_stock, seed  # noqa: F401  (fixture)

pytestmark = [pytest.mark.real_server, pytest.mark.slow]

DOWN_SECONDS = 3.0
RETRY_FOR_SECONDS = 40.0


class DatabaseRestart:
    """Cut every connection to one database and refuse new ones, then let them in again."""

    def __init__(self, name: str):
        self.name = name
        self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.down = threading.Event()

    def stop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                         {"name": self.name})
        self.down.set()

    def start(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))
        self.down.clear()

    def close(self) -> None:
        self.start()
        self.admin.dispose()


def shake_until_answered(server, round_id: int, token: str, shake_id: str, restart: DatabaseRestart) -> list:
    """A shopper's shake, retried with the same shake_id while it is a 503: every answer, in order,
    with whether the database was down when it was sent."""
    answers = []
    deadline = time.monotonic() + RETRY_FOR_SECONDS
    while True:
        was_down = restart.down.is_set()
        answer = shake_over_rest(server, round_id, token, shake_id)
        answers.append((answer.status_code, answer.json(), answer.headers.get("Retry-After"), was_down))
        if answer.status_code != 503 or time.monotonic() > deadline:
            return answers
        time.sleep(0.25)


def test_postgresql_restarted_mid_burst_503s_then_recovers_without_over_award_or_lost_wins(request, tmp_path):
    with postgres_database("xiaoge_restart", template=request.getfixturevalue("migrated")) as (name, url):
        env = {**server_env(url, "http://127.0.0.1:9"), "SHAKE_DRAWS": "sql"}
        app = create_app({**app_config(url, "http://127.0.0.1:9"), "SECRET_KEY": env["SECRET_KEY"]})
        restart = DatabaseRestart(name)
        server = Server(env, free_port(), tmp_path / "server.log", workers=2)
        try:
            compound_id, courier_token, tokens = seed(app)
            server.start()
            master = server.process.pid
            round_id = arrive(server, courier_token, compound_id)
            release_all_stock(app, round_id)
            with app.app_context():
                db.engine.dispose()  # the test's own connections are not the ones the restart cuts
            jobs = [(token, f"{token[-12:]}-{n}") for n in range(2) for token in tokens]

            def shopper(index_job):
                index, (token, shake_id) = index_job
                time.sleep(index * 0.05)  # the burst lasts ~4 s: the restart falls in its middle
                return token, shake_id, shake_until_answered(server, round_id, token, shake_id, restart)

            with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
                running = pool.map(shopper, enumerate(jobs))
                time.sleep(1.0)
                restart.stop()
                while_down = requests.get(f"{server.url}/api/v1/readyz", timeout=10)
                time.sleep(DOWN_SECONDS)
                restart.start()
                results = list(running)
            ready_again = requests.get(f"{server.url}/api/v1/readyz", timeout=10)
            told = {(token, shake_id): answers[-1][1] for token, shake_id, answers in results}
            replayed = {key: shake_over_rest(server, round_id, *key).json() for key in told}
            listed = wins_listed(server, tokens)
            still_master = server.running and server.process.pid == master
        finally:
            server.stop()
            restart.close()
        figures = recorded(app)

        every = [answer for _, _, answers in results for answer in answers]
        failed = [(status, body) for status, body, _, _ in every if status not in (200, 503)]
        assert not failed, failed  # never a 500, never another refusal
        unavailable = [(status, body, retry) for status, body, retry, _ in every if status == 503]
        assert unavailable, "the restart fell outside the burst"
        assert all(body["error"]["code"] == "unavailable" and retry for _, body, retry in unavailable)
        assert while_down.status_code == 503 and while_down.json()["database"] == "failed"
        # Recovery without restarting the app: the same gunicorn, every shake answered in the end.
        assert still_master, server.log_tail()
        assert ready_again.status_code == 200, ready_again.text
        assert all(answers[-1][0] == 200 for _, _, answers in results), "a shake never recovered"
        # No over-award, and every win told to a shopper is theirs, in /me/wins, and replays as told.
        won = [key for key, body in told.items() if body["result"] == "win"]
        assert len(won) == STOCK
        assert all(shake_id in listed[token] for token, shake_id in won)
        assert sum(len(shake_ids) for shake_ids in listed.values()) == STOCK
        assert replayed == told
        assert figures["won"] == STOCK and figures["most_wins"] == 1 and figures["shakes"] == len(jobs)
