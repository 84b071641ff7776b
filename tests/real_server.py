"""The real server for end-to-end tests: gunicorn -k gevent in a subprocess, as in production.

The server is started, killed (SIGKILL to its whole process group: master and worker)
and restarted on the same port, so the handheld's saved server URL stays valid. Every
wait is bounded, and the server is always stopped when the world ends.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from app import create_app
from app.extensions import db
from tests.conftest import TEST_PG_POOL, app_config

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass
class Seeded:
    courier_id: int
    employee_no: str
    route: list[int]
    elsewhere: int  # a compound not on the courier's route
    campaign_id: int
    product_name: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_env(database_url: str, wechat_base: str) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in {"XIAOGE_DEMO", "REDIS_URL", "XIAOGE_HANDHELD_CRASH_AFTER_SEND"}}
    env.update(DATABASE_URL=database_url, SECRET_KEY="handheld-test-secret", WECHAT_API_BASE=wechat_base,
               PUBLIC_URL="http://shop.test", PYTHONUNBUFFERED="1",
               # the test apps' pool (tests/conftest.py TEST_PG_POOL), not production's 20 + 10 a worker:
               # the suite's two xdist workers share PostgreSQL's 100 connections
               DB_POOL_SIZE=str(TEST_PG_POOL["pool_size"]), DB_MAX_OVERFLOW=str(TEST_PG_POOL["max_overflow"]))
    return env


class Server:
    """`gunicorn -k gevent -w N` serving wsgi:app on a fixed port, from the project root (so with
    gunicorn.conf.py's server policy, as in production)."""

    def __init__(self, env: dict, port: int, log_path: Path, workers: int = 1):
        self.env, self.port, self.log_path, self.workers = env, port, log_path, workers
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, request: bool = True) -> None:
        """Start it (unless running) and wait until it answers (or, with request False, until
        it listens: no request reaches the app)."""
        if self.running:
            return
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-k", "gevent", "-w", str(self.workers), "-b", f"{HOST}:{self.port}",
                 "--no-control-socket", "--graceful-timeout", "3", "wsgi:app"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            if not request and self.listening():
                return
            with contextlib.suppress(requests.RequestException):
                if request and requests.get(f"{self.url}/api/v1/openapi.json", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL master and worker at once: the server dies mid-whatever, as in a crash."""
        self._signal_group(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL if it lingers."""
        self._signal_group(signal.SIGTERM)

    def _signal_group(self, signum: int) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT)
        # The worker may outlive its master by a moment; make sure the group is gone.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.wait_port_closed()
        self.process = None

    def listening(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex((HOST, self.port)) == 0

    def wait_port_closed(self) -> None:
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex((HOST, self.port)) != 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"port {self.port} still answers after stopping the server")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class World:
    app: object
    server: Server
    sandbox: object

    @contextlib.contextmanager
    def database(self) -> Iterator:
        """A session on the server's database file; its transaction ends with the block."""
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()


@contextlib.contextmanager
def start_world(directory: Path, sandbox) -> Iterator[World]:
    """Migrate a fresh SQLite file with `flask db upgrade`, serve it with gunicorn, stop at the end."""
    database_url = f"sqlite:///{directory / 'xiaoge.sqlite3'}"
    env = server_env(database_url, sandbox.url)
    migrated = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    app = create_app(app_config(database_url, sandbox.url))
    server = Server(env, free_port(), directory / "server.log")
    try:
        server.start()
        yield World(app, server, sandbox)
    finally:
        try:
            server.stop()
        finally:
            with app.app_context():
                db.engine.dispose()
