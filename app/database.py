"""Engine set-up that differs by backend, in one place."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000


def engine_options(config) -> dict:
    """The connection pool of a server database: under a burst each winning shake holds a
    connection for a few statements, and a connection opened past the pool (an overflow, closed
    when given back) costs the database a new backend process each time."""
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return {}
    # pre-ping: a connection the server dropped (a database restart) is replaced at checkout,
    # not handed to a request that then fails
    return {"pool_size": config["DB_POOL_SIZE"], "max_overflow": config["DB_MAX_OVERFLOW"],
            "pool_pre_ping": True}


def configure_sqlite(engine: Engine) -> None:
    """Make the embedded SQLite default safe for concurrent requests.

    pysqlite's own transaction handling breaks SAVEPOINT and begins lazily; we begin
    ourselves with BEGIN IMMEDIATE so two writers queue on the lock (busy timeout)
    instead of one failing with "database is locked" halfway through. WAL lets readers
    carry on meanwhile. PostgreSQL needs none of this.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


@contextmanager
def quick_writes(session: Session) -> Iterator[Connection]:
    """A connection for a few writes each of which leaves the database consistent by itself.

    On PostgreSQL each commits the moment it ends: no BEGIN and COMMIT round trips, and no row
    lock held from one to the next while the worker is busy elsewhere (what the session had
    read is committed first). On SQLite, one writer at a time anyway, they are the session's
    transaction, committed when the block ends and rolled back if it fails."""
    if dialect_of(session) != "postgresql":
        try:
            yield session.connection()
        except BaseException:
            session.rollback()
            raise
        session.commit()
        return
    session.commit()  # a connection in autocommit starts a transaction of its own
    try:
        yield session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    finally:
        session.commit()  # no round trip: nothing is open; the connection goes back to the pool as it was


DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(session: Session):
    """INSERT with ON CONFLICT for the database in use (PostgreSQL, or SQLite for the embedded default)."""
    return DIALECT_INSERTS[dialect_of(session)]
