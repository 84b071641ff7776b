"""Fixtures: every app-level test runs on SQLite and on PostgreSQL, against the WeChat sandbox.

The schema is built by the Alembic migrations (so they are tested too), once per backend;
each test starts from empty tables.
"""
from __future__ import annotations

import os
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db
from app.models import Base
from tests import factories
from tests.browser import browser  # noqa: F401  (fixture: headless chromium for the browser tests)
from tests.live_server import (
    live_server_fixture,  # noqa: F401  (fixture `live_server`: the app served for real)
)
from wechat.sandbox import start_sandbox

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def sandbox():
    with start_sandbox() as running:
        yield running


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated, empty database of each backend, for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'xiaoge.sqlite3'}"
        migrate_to_head(url)
        yield url
        return
    name = f"xiaoge_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate_to_head(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate_to_head(url: str) -> None:
    app = create_app(app_config(url, "http://127.0.0.1:9"))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def app_config(url: str, wechat_base: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 30, "max_overflow": 30} if url.startswith("postgresql") else {},
        "REDIS_URL": None,
        "RATELIMIT_ENABLED": False,  # tests sign in hundreds of times; test_rate_limits turns it on
        "RATELIMIT_STORAGE_URI": "memory://",
        "WECHAT_API_BASE": wechat_base,
        "WECHAT_TIMEOUT_SECONDS": 2.0,
        "PUBLIC_URL": "http://shop.test",
        "PASSWORD_HASH_COST": "fast",
        "SOCKETIO_ASYNC_MODE": "threading",
        "ROUND_SWEEPER": False,
        "SHAKE_MAX_IN_FLIGHT": 10_000,  # the concurrency tests fire 200 at once; test_load_shedding lowers it
    }


@pytest.fixture
def shake_draws() -> str:
    """The shake path the app uses; shake test modules override this to run on both."""
    return "sql"


@pytest.fixture
def app(database_url, sandbox, shake_draws):
    config = app_config(database_url, sandbox.url)
    if shake_draws == "redis":
        config.update(redis_shake_config())
    app = create_app(config)
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()
    if shake_draws == "redis":
        forget_redis_keys(app.extensions["xiaoge.draw_engine"])


def redis_shake_config() -> dict:
    """The Redis draw path on its own key prefix; the test drains the shake log itself
    (tests.factories.settle) and sees database changes to rounds at once (no caching)."""
    return {"SHAKE_DRAWS": "redis", "REDIS_URL": TEST_REDIS_URL, "REDIS_KEY_PREFIX": f"test:{uuid.uuid4().hex}:",
            "SOCKETIO_MESSAGE_QUEUE": "",  # one process; Flask-SocketIO's test client refuses a queue
            "SHAKE_LOG_WRITER": False, "SHAKE_ROUND_CACHE_SECONDS": 0, "SHAKE_RESIDENCE_CACHE_SECONDS": 0}


def forget_redis_keys(path) -> None:
    keys = list(path.redis.scan_iter(match=f"{path.prefix}*", count=1000))
    if keys:
        path.redis.delete(*keys)
    path.close()


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
