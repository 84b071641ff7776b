"""A server database keeps a pool big enough for a burst of winners (app/database.py)."""
from app import create_app
from app.database import engine_options
from app.extensions import db


def test_a_server_database_keeps_the_configured_pool_open_and_sqlite_keeps_its_default():
    postgres = {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/d", "DB_POOL_SIZE": 20, "DB_MAX_OVERFLOW": 10}
    sqlite = {**postgres, "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:"}

    assert engine_options(postgres) == {"pool_size": 20, "max_overflow": 10, "pool_pre_ping": True}
    assert engine_options(sqlite) == {}


def test_the_app_builds_its_engine_with_the_pool_from_its_settings(monkeypatch):
    monkeypatch.setenv("DB_POOL_SIZE", "7")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1:1/none",
                      "ROUND_SWEEPER": False, "SHAKE_LOG_WRITER": False})
    with app.app_context():
        assert db.engine.pool.size() == 7  # built lazily: nothing is connected here
        db.engine.dispose()
