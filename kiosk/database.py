"""Database plumbing: SQLite tuned for many readers and a few writers, UTC
timestamps that survive both backends, and write transactions that take the
write lock before they read.
"""

from __future__ import annotations

import contextvars
from datetime import datetime, timezone

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from .extensions import db

# Set by begin_write(): the next transaction on this context starts with
# BEGIN IMMEDIATE, so a transaction that reads and then writes cannot fail
# half-way with "database is locked" (SQLite cannot upgrade a reader to a
# writer while another writer is active; it can wait for the lock up front).
_immediate = contextvars.ContextVar("kiosk_sqlite_immediate", default=False)


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as naive UTC; hand back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def setup_engine(engine: Engine) -> None:
    """Give SQLite connections WAL, a busy timeout and explicit BEGINs."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - trivial
        # pysqlite's own transaction handling issues BEGIN late and never
        # IMMEDIATE; we switch it off and emit BEGIN ourselves below.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if _immediate.get():
            _immediate.set(False)
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def begin_write() -> None:
    """Start a write transaction: on SQLite with the write lock taken first.

    Ends any read transaction the request has open (nothing is pending in it:
    views read, then call a service that writes). On PostgreSQL the services
    lock the rows they change with SELECT ... FOR UPDATE instead.
    """
    session = db.session()  # the request's Session behind the scoped proxy
    if session.in_transaction():
        session.commit()
    if db.engine.dialect.name == "sqlite":
        _immediate.set(True)


def reset_write_flag() -> None:
    """Forget a begin_write() whose transaction never started (request teardown)."""
    _immediate.set(False)
