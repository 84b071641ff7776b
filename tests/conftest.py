"""Fixtures: every app-level test runs on SQLite and on PostgreSQL, against the WeChat sandbox.

The schema is built by the Alembic migrations (so they are tested too), once per backend.
One app is built per (database, draw engine) and shared by the tests of the run: building one
costs ~80 ms, most of it the OpenAPI document. Each test starts from empty tables and from
the app as it was built (SharedApp.begin); a test that needs another configuration (rate
limits on, a sweeper, a short heartbeat) builds its own app, as before.

Markers (pyproject.toml) and what they change here:
- `one_database`: the test runs on SQLite only. For tests of schemas, routing, roles and
  documents, whose answers come before any database could answer differently. Never for
  tests of constraints, concurrency, values at a column's limits (ids past 2**31, NUL),
  or PostgreSQL's own SQL: those stay on both. `both_databases` keeps a test of a
  `one_database` module on both.
- `browser`, `real_server`, `slow`: left out of `make test-fast` (Makefile).
`--databases sqlite` runs the SQLite half only (`make test-fast`).
"""
from __future__ import annotations

import contextlib
import copy
import os
import uuid

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app import create_app, register_services
from app.extensions import db, socketio
from app.models import Base
from app.realtime import init_socketio, register_namespaces
from tests import factories
from tests.browser import browser  # noqa: F401  (fixture: headless chromium for the browser tests)
from tests.factories import draw_engine
from tests.live_server import (
    live_server_fixture,  # noqa: F401  (fixture `live_server`: the app served for real)
)
from tests.secret_scan import (  # noqa: F401  (no secret in any log record of the suite)
    pytest_configure,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
    remember_secret,
    secret_scan,
)
from wechat.pay import NOTIFY_PATH
from wechat.pay_keys import PayKeyFiles, make_pay_keys
from wechat.sandbox import start_sandbox

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# PostgreSQL's default max_connections (100) is shared by `make test`'s two xdist workers, each
# with two shared apps (both draw engines) and a concurrency test or a gunicorn server at any
# moment: a test app keeps 5 connections at most between tests and opens 20 at most at once (a
# burst of 200 shakes queues for them). tests/real_server.py gives gunicorn's workers as much.
TEST_PG_POOL = {"pool_size": 5, "max_overflow": 15}

def pytest_addoption(parser):
    parser.addoption("--databases", default=",".join(BACKENDS),
                     help="comma-separated backends to run the app-level tests on (default: both)")


@pytest.hookimpl(tryfirst=True)  # before xdist files the groups (its own hook, on each worker)
def pytest_collection_modifyitems(config, items):
    """Leave out the PostgreSQL run of `one_database` tests, and backends not asked for; give
    `real_server`, `slow` and `browser` tests their xdist group (see group_for_xdist)."""
    for item in items:
        group_for_xdist(item)
    wanted = set(config.getoption("--databases").split(","))
    if not wanted <= set(BACKENDS):
        raise pytest.UsageError(f"--databases takes some of {','.join(BACKENDS)}, not {','.join(wanted)}")
    keep, drop = [], []
    for item in items:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("database_url")
        one = item.get_closest_marker("one_database") and not item.get_closest_marker("both_databases")
        skipped = backend and (backend not in wanted or (backend != "sqlite" and one))
        (drop if skipped else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def group_for_xdist(item) -> None:
    """`make test` runs the suite in two xdist workers (`-n 2 --dist loadgroup`); a group runs
    whole in one worker, in order. `real_server` and `slow` tests (gunicorn, real concurrency,
    restarts, timing) form one group, "serial", so no two of them share the machine at once;
    `browser` tests one, so one chromium serves them. A test that names its own group keeps it
    (tests/test_openapi_fuzz.py: long, but neither timing-sensitive nor concurrent)."""
    if item.get_closest_marker("xdist_group"):
        return
    if item.get_closest_marker("real_server") or item.get_closest_marker("slow"):
        item.add_marker(pytest.mark.xdist_group("serial"))
    elif item.get_closest_marker("browser"):
        item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def pay_keys(tmp_path_factory) -> PayKeyFiles:
    """The merchant's and WeChat Pay's made-up keys, made once (RSA generation is ~100 ms)."""
    keys = make_pay_keys(tmp_path_factory.mktemp("wechatpay"))
    remember_secret(keys.apiv3_key)
    return keys


@pytest.fixture(scope="session")
def sandbox(pay_keys):
    """The WeChat sandbox, WeChat Pay included (`sandbox.pay`: its state, notifications sent)."""
    with start_sandbox(pay=pay_keys) as running:
        yield running


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory):
    """Each backend's migrated database, made when first asked for and kept to the session's end
    (dropped then): pytest tears `database_url` down whenever the next test wants the other
    backend, which under xdist (`make test`) happens many times in a worker."""
    urls: dict[str, str] = {}
    with contextlib.ExitStack() as dropped_at_the_end:
        def url_of(backend: str) -> str:
            if backend not in urls:
                if backend == "sqlite":
                    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'xiaoge.sqlite3'}"
                else:
                    _, url = dropped_at_the_end.enter_context(postgres_database("xiaoge_test"))
                migrate_to_head(url)
                urls[backend] = url
            return urls[backend]
        yield url_of


@pytest.fixture(scope="session")
def shared_apps(migrated_databases):
    """The apps the tests share, by (database URL, draw engine); built when first asked for,
    closed before their databases are dropped."""
    apps: dict[tuple[str, str], SharedApp] = {}
    yield apps
    for shared in apps.values():
        shared.close()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, migrated_databases) -> str:
    """A migrated, empty database of each backend, for the whole session."""
    return migrated_databases(request.param)


@contextlib.contextmanager
def postgres_database(prefix: str, template: str | None = None):
    """A PostgreSQL database of its own, a copy of `template` if given, dropped at the end: (name, url)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate_to_head(url: str) -> None:
    app = create_app(app_config(url, "http://127.0.0.1:9"))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def app_config(url: str, wechat_base: str, pay_keys: PayKeyFiles | None = None) -> dict:
    """A test app's config; with `pay_keys`, WeChat Pay at the sandbox (wechat_base) too."""
    pay = {}
    if pay_keys:
        # Not the environment's default (PUBLIC_URL of config.py): the sandbox really POSTs there.
        pay = {**pay_keys.app_config(wechat_base), "WECHATPAY_NOTIFY_URL": "http://shop.test" + NOTIFY_PATH}
    return {
        **pay,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": dict(TEST_PG_POOL) if url.startswith("postgresql") else {},
        "REDIS_URL": None,
        "RATELIMIT_ENABLED": False,  # tests sign in hundreds of times; test_rate_limits turns it on
        "RATELIMIT_STORAGE_URI": "memory://",
        "WECHAT_API_BASE": wechat_base,
        "WECHAT_TIMEOUT_SECONDS": 2.0,
        "PUBLIC_URL": "http://shop.test",
        "PASSWORD_HASH_COST": "fast",
        "SOCKETIO_ASYNC_MODE": "threading",
        "ROUND_SWEEPER": False,
        "MESSAGE_SENDER": False,  # tests/test_message_sender.py runs its ticks by hand
        "MESSAGE_JOB_DELAY_SECONDS": 0,
        "PAYMENT_SETTLER": False,  # the payment tests call settle_payments() themselves
        "PORTRAIT_REFRESHER": False,  # tests/test_portrait.py calls refresh_stale_portraits() itself
        "GROUP_DEAL_SETTLER": False,  # the group deal tests call settle_group_deals() themselves
        "SHOPPING_PLANNER": False,  # the shopping plan tests call replan_wishes() themselves
        "SOCKET_ACCOUNT_WATCH": False,  # tests/test_socket_revocation.py runs its check by hand
        "SHAKE_MAX_IN_FLIGHT": 10_000,  # the concurrency tests fire 200 at once; test_load_shedding lowers it
        # One shopper's shakes fire from many threads at once in the concurrency tests: no
        # per-shopper caps here; test_shake_abuse turns them on.
        "SHAKE_MAX_IN_FLIGHT_PER_SHOPPER": 0,
        "SHAKE_RATE_PER_SHOPPER": 0,
    }


@pytest.fixture
def shake_draws() -> str:
    """The draw engine the app uses; shake test modules override this to run on both."""
    return "sql"


class SharedApp:
    """One app shared by many tests, put back as it was built before each of them."""

    def __init__(self, config: dict):
        self.app = create_app(config)
        self.config = copy.deepcopy(dict(self.app.config))
        self.extensions = dict(self.app.extensions)

    def begin(self) -> Flask:
        """The app as built: its config, extensions and services, fresh sockets, limits off."""
        app = self.app
        app.config.clear()
        app.config.update(copy.deepcopy(self.config))
        app.extensions.clear()
        app.extensions.update(self.extensions)
        # Tokens' verified cache, WeChat's access token, the draw engine's round cache, the
        # shake admission's count: all built afresh, as create_app built them.
        register_services(app)
        # Flask-SocketIO is one object per process that follows the last app made (a test's own
        # app with rate limits on, say): bind it to this one again.
        fresh_socketio_server(app)
        return app

    def end(self) -> None:
        """Empty every table, and forget the Redis keys the test made."""
        db.session.remove()
        empty_all_tables()
        if self.app.config.get("SHAKE_DRAWS") == "redis":
            forget_redis_keys(draw_engine(self.app))

    def close(self) -> None:
        if self.app.config.get("SHAKE_DRAWS") == "redis":
            draw_engine(self.app).close()
        with self.app.app_context():
            db.engine.dispose()


def fresh_socketio_server(app: Flask) -> None:
    """A new Socket.IO server behind the app's middleware: nothing a test's socket clients or
    live server left (mocked senders, rooms, a stopped Engine.IO) reaches the next test."""
    middleware = app.wsgi_app
    init_socketio(app)  # a new server, and a middleware around ours that we do not keep
    register_namespaces()
    app.wsgi_app = middleware
    middleware.engineio_app = socketio.server
    socketio.sockio_mw = middleware


@pytest.fixture
def app(database_url, sandbox, shake_draws, shared_apps):
    key = (database_url, shake_draws)
    if key not in shared_apps:
        config = app_config(database_url, sandbox.url, sandbox.pay_keys)
        if shake_draws == "redis":
            config.update(redis_shake_config())
        shared_apps[key] = SharedApp(config)
    shared = shared_apps[key]
    app = shared.begin()
    with app.app_context():
        yield app
        shared.end()


def redis_shake_config() -> dict:
    """The Redis draw engine on its own key prefix; the test drains the shake log itself
    (tests.factories.settle) and sees database changes to rounds at once (no caching)."""
    return {"SHAKE_DRAWS": "redis", "REDIS_URL": TEST_REDIS_URL, "REDIS_KEY_PREFIX": f"test:{uuid.uuid4().hex}:",
            "SOCKETIO_MESSAGE_QUEUE": "",  # one process; Flask-SocketIO's test client refuses a queue
            "SHAKE_LOG_WRITER": False, "SHAKE_ROUND_CACHE_SECONDS": 0, "SHAKE_RESIDENCE_CACHE_SECONDS": 0}


def forget_redis_keys(engine) -> None:
    keys = list(engine.redis.scan_iter(match=f"{engine.prefix}*", count=1000))
    if keys:
        engine.redis.delete(*keys)
    engine.close()


def empty_all_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def backend(database_url) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make(app, client, sandbox):
    """Test data factories bound to this app: `make.compound()`, `make.shopper()`, ..."""
    return factories.Factories(app, client, sandbox)
