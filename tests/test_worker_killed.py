"""A gunicorn worker killed with SIGKILL mid shake burst (issue 13, section C).

Shoppers shake over their sockets, as the mini-program does. One of the two workers is killed
halfway: its shoppers' sockets drop, they reconnect (gunicorn has started a new worker; the
other serves meanwhile) and resend the same shake_id. Nothing is lost or given twice.
"""
from __future__ import annotations

import contextlib
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import websocket

from app import create_app
from tests.conftest import app_config, postgres_database
from tests.faults import recorded, shake_over_rest, wins_listed
from tests.raw_socketio import Closed, RawClient
from tests.real_server import Server, free_port, server_env
from tests.test_scale_out import STOCK, arrive, migrated, release_all_stock, seed  # noqa: F401  (fixture)

pytestmark = [pytest.mark.real_server, pytest.mark.slow]

ANSWER_WITHIN_SECONDS = 40.0
DROPPED = (Closed, OSError, TimeoutError, websocket.WebSocketException)


def workers_of(master: int) -> set[int]:
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                children.add(int(stat.parent.name))
    return children


def connected(server, token: str) -> RawClient:
    """A shopper's socket on /shopper, retried while the server is turning connections away."""
    deadline = time.monotonic() + ANSWER_WITHIN_SECONDS
    while True:
        try:
            client = RawClient(server.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket")
            assert client.connect("/shopper", {"token": token}).kind == 0
            return client
        except DROPPED:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Shopper:
    """One shopper's socket, shakes and reconnections."""

    def __init__(self, server, token: str):
        self.server, self.token = server, token
        self.socket = connected(server, token)
        self.reconnections = 0

    def shake(self, round_id: int, shake_id: str) -> dict:
        """Shake until answered: a dropped socket is reconnected, a 503 retried, same shake_id."""
        deadline = time.monotonic() + ANSWER_WITHIN_SECONDS
        while time.monotonic() < deadline:
            try:
                ack = self.socket.call("/shopper", "shake", {"round_id": round_id, "shake_id": shake_id},
                                       timeout=10)
            except DROPPED:
                self.socket.close()
                self.socket = connected(self.server, self.token)
                self.reconnections += 1
                continue
            if ack.get("error", {}).get("code") != "unavailable":
                return ack
            time.sleep(0.2)
        raise AssertionError(f"shake {shake_id} not answered within {ANSWER_WITHIN_SECONDS} s")


def test_a_worker_killed_mid_burst_loses_nothing_and_its_shoppers_reconnect(request, tmp_path):
    with postgres_database("xiaoge_killed", template=request.getfixturevalue("migrated")) as (_, url):
        env = {**server_env(url, "http://127.0.0.1:9"), "SHAKE_DRAWS": "sql"}
        app = create_app({**app_config(url, "http://127.0.0.1:9"), "SECRET_KEY": env["SECRET_KEY"]})
        server = Server(env, free_port(), tmp_path / "server.log", workers=2)
        shoppers = []
        try:
            compound_id, courier_token, tokens = seed(app)
            server.start()
            master = server.process.pid
            round_id = arrive(server, courier_token, compound_id)
            release_all_stock(app, round_id)
            shoppers = [Shopper(server, token) for token in tokens]
            before = workers_of(master)
            assert len(before) == 2

            def burst(index_shopper):
                index, shopper = index_shopper
                time.sleep(index * 0.04)  # ~3 s of shakes: the kill falls in the middle
                answers = {}
                for n in range(2):
                    shake_id = f"{shopper.token[-12:]}-{n}"
                    answers[shake_id] = shopper.shake(round_id, shake_id)
                    time.sleep(0.5)
                return shopper.token, answers

            with ThreadPoolExecutor(max_workers=len(shoppers)) as pool:
                running = pool.map(burst, enumerate(shoppers))
                time.sleep(1.0)
                killed = min(before)
                os.kill(killed, signal.SIGKILL)
                results = dict(running)
            after = workers_of(master)
            replayed = {token: {shake_id: shake_over_rest(server, round_id, token, shake_id).json()
                                for shake_id in answers} for token, answers in results.items()}
            listed = wins_listed(server, tokens)
            still_master = server.running and server.process.pid == master
        finally:
            for shopper in shoppers:
                shopper.socket.close()
            server.stop()
        figures = recorded(app)

        reconnected = sum(shopper.reconnections for shopper in shoppers)
        assert reconnected >= 1, "no shopper was on the killed worker"
        assert still_master and killed not in after and len(after) == 2, server.log_tail()
        answers = [(token, shake_id, ack) for token, acks in results.items()
                   for shake_id, ack in acks.items()]
        unanswered = [ack for _, _, ack in answers if "result" not in ack]
        assert not unanswered, unanswered
        won = [(token, shake_id) for token, shake_id, ack in answers if ack["result"] == "win"]
        assert len(won) == STOCK  # every prize given once: none lost with the worker, none twice
        assert all(shake_id in listed[token] for token, shake_id in won)
        assert replayed == results  # what each shopper was told is what the server keeps
        assert figures["won"] == STOCK and figures["most_wins"] == 1 and figures["shakes"] == len(answers)
