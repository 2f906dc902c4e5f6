"""Database plumbing: SQLite tuned for many readers and a few writers, UTC
timestamps that survive both backends, and write transactions that take the
write lock before they read.
"""

from __future__ import annotations

import contextvars
from datetime import datetime, timezone

from flask import current_app, has_request_context, request
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


class UnlockedWrite(RuntimeError):
    """A request wrote in a SQLite transaction that had read first without
    begin_write(): under load that write can fail with "database is locked"."""


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def setup_engine(engine: Engine, guard: bool = False) -> None:
    """Give SQLite connections WAL, a busy timeout and explicit BEGINs.

    With ``guard`` (the tests turn it on: ``SQLITE_WRITE_GUARD``), a request
    that reads and then writes in one transaction without begin_write() raises
    :class:`UnlockedWrite` at the write, so the mistake shows in every test run
    instead of as a rare "database is locked" in production. A transaction
    that only writes is fine (its first write waits for the lock).
    """
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
        # Erased names must not stay readable in free space of the file
        # (docs/security.md); the WAL is emptied after a purge, see checkpoint().
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = _immediate.get()
        conn.info["kiosk_locked"], conn.info["kiosk_read"] = immediate, False
        if immediate:
            _immediate.set(False)
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    if not guard:
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _guard(conn, _cursor, statement, _parameters, _context, _executemany):
        if conn.info.get("kiosk_locked") or not has_request_context():
            return
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if verb in _WRITES:
            if conn.info.get("kiosk_read"):
                raise UnlockedWrite(f"{request.method} {request.path}: a write after a read without "
                                    f"begin_write(): {statement.strip()[:120]}")
        elif verb in ("SELECT", "WITH"):
            conn.info["kiosk_read"] = True


def checkpoint() -> None:
    """Copy the WAL into the database file and truncate it to zero bytes.

    After an erasure the WAL still holds the pages as they were before it
    (names included) until SQLite checkpoints and reuses it; TRUNCATE ends that
    at once. It waits (busy timeout) for readers of older snapshots; if they
    outlast it, the next purge tries again. Nothing to do on PostgreSQL.
    """
    if db.engine.dialect.name != "sqlite":
        return
    raw = db.engine.raw_connection()
    try:
        # Outside any transaction (pysqlite's own handling is off): a
        # checkpoint cannot run inside one.
        busy, _log, _done = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        raw.close()
    if busy:
        current_app.logger.warning("WAL checkpoint after the purge was blocked by a reader; tried again next purge")


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
