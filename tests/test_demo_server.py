"""`make demo` (python -m app.demo_server) stopped with SIGTERM stops everything it started."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.real_server import HOST, ROOT, free_port

pytestmark = pytest.mark.real_server

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def children_of(pid: int) -> set[int]:
    """Every live descendant of `pid`, from /proc (no psutil)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has stopped; only its parent's wait is missing


def wait_until_serving(url: str, demo: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert demo.poll() is None, "the demo exited before it served"
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {START_TIMEOUT} s")


def test_sigterm_stops_the_demo_and_every_process_it_started(tmp_path):
    port, sandbox_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "SECRET_KEY"}}
    env.update(DEMO_PORT=str(port), DEMO_SANDBOX_PORT=str(sandbox_port), PYTHONUNBUFFERED="1",
               DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", PUBLIC_URL=f"http://{HOST}:{port}")
    with open(tmp_path / "demo.log", "wb") as log:
        demo = subprocess.Popen([sys.executable, "-m", "app.demo_server"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_serving(f"http://{HOST}:{port}/api/v1/healthz", demo)
        started = children_of(demo.pid)
        assert len(started) >= 3, started  # the sandbox, gunicorn's master and its worker

        demo.send_signal(signal.SIGTERM)  # to the demo alone, as `timeout` or a process manager does
        demo.wait(STOP_TIMEOUT)
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = {pid for pid in started if alive(pid)}
        log = (tmp_path / "demo.log").read_text(errors="replace")[-2000:]
        assert not left, f"left running: {left}\n{log}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(demo.pid, signal.SIGKILL)  # whatever the demo left behind
        demo.wait(STOP_TIMEOUT)
