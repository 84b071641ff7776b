"""Password hashes under gevent run in a bounded pool of OS threads, off the event loop.

Each test runs a small script in a fresh interpreter monkey-patched as gunicorn's gevent worker
is (pytest itself is not), at the production cost of Argon2 (~150 ms, 64 MiB).
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.real_server import ROOT

PRELUDE = """
from gevent import monkey
monkey.patch_all()
import json, time
import gevent
from app.services.accounts import passwords
from app.services.errors import Unavailable
"""


def run_under_gevent(script: str) -> dict:
    """The JSON a script prints, run under gevent from the project root."""
    done = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(script)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow  # six checks at the production cost
def test_the_event_loop_keeps_turning_while_passwords_are_checked():
    measured = run_under_gevent("""
        started = time.perf_counter()
        passwords.verify_password(None, "x")  # warm the pool; also: how long one check takes
        one_check = time.perf_counter() - started
        ticks = []

        def ticker():
            while True:
                ticks.append(time.perf_counter())
                gevent.sleep(0.002)

        clock = gevent.spawn(ticker)
        gevent.sleep(0.02)
        checks = [gevent.spawn(passwords.verify_password, None, f"guess{n}") for n in range(6)]
        gevent.joinall(checks, raise_error=True)
        ticks.append(time.perf_counter())  # a loop frozen until now shows as one long gap
        clock.kill()
        gaps = [later - earlier for earlier, later in zip(ticks, ticks[1:])]
        print(json.dumps({"one_check": one_check, "longest_gap": max(gaps),
                          "results": [check.value for check in checks]}))
    """)

    assert measured["results"] == [False] * 6
    # Frozen, the loop would stand still for all six checks, at least one check's time.
    assert measured["longest_gap"] < measured["one_check"] / 2, measured


def test_checks_past_the_pool_and_its_queue_are_refused_at_once():
    measured = run_under_gevent("""
        passwords.configure_threads(threads=1, max_waiting=1)

        def check(n):
            try:
                return passwords.verify_password(None, f"guess{n}")
            except Unavailable as refused:
                return refused.code

        checks = [gevent.spawn(check, n) for n in range(5)]
        gevent.joinall(checks, raise_error=True)
        print(json.dumps({"results": [c.value for c in checks], "in_hand": passwords._off_loop.in_hand}))
    """)

    assert measured == {"results": [False, False, "unavailable", "unavailable", "unavailable"], "in_hand": 0}
