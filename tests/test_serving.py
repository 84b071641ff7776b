"""gunicorn.conf.py: the server policy, and that gunicorn started as the tests start it reads it.

Under gevent each response is followed by one turn of the event loop (post_request); each
worker's garbage collector is tuned once the app is loaded (post_worker_init). Whether the
turns make serving fair is a load figure (bench/README.md: healthz p99 at saturation); here,
that the hooks do what they say, and that gunicorn runs them.
"""
from __future__ import annotations

import gc
import runpy
import subprocess
import time

import gevent
import requests
from gevent import monkey

from tests.real_server import BIN, HOST, ROOT, Server, free_port, server_env

CONFIG = runpy.run_path(str(ROOT / "gunicorn.conf.py"))


class Log:
    def __init__(self):
        self.lines = []

    def info(self, message, *args):
        self.lines.append(message % args)


class Worker:
    def __init__(self):
        self.log = Log()


def record_turns(monkeypatch) -> list:
    turns = []
    monkeypatch.setattr(gevent, "sleep", turns.append)
    return turns


def test_outside_gevent_a_response_is_followed_by_nothing(monkeypatch):
    turns = record_turns(monkeypatch)  # pytest does not monkey-patch the socket module

    CONFIG["post_request"](Worker(), None, {}, None)

    assert turns == []


def test_under_gevent_each_response_gives_up_one_turn(monkeypatch):
    turns = record_turns(monkeypatch)
    monkeypatch.setattr(monkey, "is_module_patched", lambda name: name == "socket")

    for _ in range(3):  # three requests on one keep-alive connection
        CONFIG["post_request"](Worker(), None, {}, None)

    assert turns == [CONFIG["TURN_SECONDS"]] * 3 and CONFIG["TURN_SECONDS"] > 0


def tuning(monkeypatch) -> list:
    """Record the tuning instead of doing it: the test process's collector stays as it is."""
    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "set_threshold", lambda *thresholds: calls.append(thresholds))
    return calls


def test_the_workers_garbage_collector_is_tuned_once_the_app_is_loaded(monkeypatch):
    calls, worker = tuning(monkeypatch), Worker()

    CONFIG["post_worker_init"](worker)

    assert calls == ["freeze", (700, 10, 1000)]
    assert worker.log.lines[0].startswith("Garbage collector: ")
    assert CONFIG["worker_connections"] == 10000


def test_a_probed_worker_runs_the_same_policy(monkeypatch):
    """bench/memprobe.py replaces gunicorn.conf.py (`-c`): it must carry the same settings and hooks."""
    monkeypatch.delenv("XIAOGE_MEMPROBE_DIR", raising=False)
    probe = runpy.run_path(str(ROOT / "bench" / "memprobe.py"))
    calls, turns = tuning(monkeypatch), record_turns(monkeypatch)
    monkeypatch.setattr(monkey, "is_module_patched", lambda name: name == "socket")

    probe["post_worker_init"](Worker())
    probe["post_request"](Worker(), None, {}, None)

    assert calls == ["freeze", (700, 10, 1000)] and turns == [CONFIG["TURN_SECONDS"]]
    assert probe["worker_connections"] == CONFIG["worker_connections"]


def test_gunicorn_started_from_the_project_root_reads_it_and_its_flags_win(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'xiaoge.sqlite3'}", "http://127.0.0.1:9")
    printed = subprocess.run(
        [str(BIN / "gunicorn"), "--print-config", "-k", "gevent", "-w", "1", "-b", f"{HOST}:{free_port()}",
         "--worker-connections", "500", "wsgi:app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    settings = {key.strip(): value.strip() for key, value in
                (line.split(" = ", 1) for line in printed.stdout.splitlines() if " = " in line)}

    assert settings["post_request"] == "<post_request()>"  # gunicorn's own is <PostRequest.post_request()>
    assert settings["post_worker_init"] == "<post_worker_init()>"
    assert settings["worker_connections"] == "500"  # the flag, not the file's 10000
    assert settings["workers"] == "1"


def test_a_real_worker_runs_the_hooks(tmp_path):
    """gunicorn as tests/real_server.py starts it: the worker logs its tuning, and keep-alive
    requests go through post_request without a fault."""
    env = {**server_env(f"sqlite:///{tmp_path / 'xiaoge.sqlite3'}", "http://127.0.0.1:9"),
           "ROUND_SWEEPER": "0", "MESSAGE_SENDER": "0", "PORTRAIT_REFRESHER": "0", "GROUP_DEAL_SETTLER": "0",
           "PAYMENT_SETTLER": "0", "SHOPPING_PLANNER": "0"}  # no tables in this database: no loop may look
    server = Server(env, free_port(), tmp_path / "server.log")
    try:
        server.start()
        with requests.Session() as session:  # one keep-alive connection
            assert all(session.get(f"{server.url}/api/v1/healthz", timeout=5).status_code == 200
                       for _ in range(5))
        time.sleep(0.2)  # the last post_request runs after its response is sent
    finally:
        server.stop()
    log = server.log_path.read_text(errors="replace")

    assert "Garbage collector: " in log and "thresholds (700, 10, 1000)" in log, log
    assert "post_request" not in log and "Traceback" not in log, log
