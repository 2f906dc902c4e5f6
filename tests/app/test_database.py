"""The database under the kiosk: migrations that match the models, SQLite in
WAL mode, and concurrent writers that never see "database is locked"."""

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text, update

from kiosk.database import begin_write
from kiosk.extensions import db
from kiosk.models import Room


def test_migrations_build_exactly_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_the_write_guard_catches_a_read_then_write_without_begin_write(app, make_room):
    """The tests run with SQLITE_WRITE_GUARD: a request that reads, then writes in
    the same transaction without begin_write() fails at the write."""
    from kiosk.database import UnlockedWrite

    room_id = make_room()
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only: PostgreSQL locks the rows it changes instead")
    with app.test_request_context("/admin/rooms", method="POST"):
        db.session.execute(select(Room).where(Room.id == room_id)).scalar_one()
        with pytest.raises(UnlockedWrite, match="POST /admin/rooms: a write after a read without begin_write"):
            db.session.execute(update(Room).where(Room.id == room_id).values(name="Utan lås"))
        db.session.rollback()
    with app.test_request_context("/admin/rooms", method="POST"):
        begin_write()
        db.session.execute(select(Room).where(Room.id == room_id)).scalar_one()
        db.session.execute(update(Room).where(Room.id == room_id).values(name="Med lås"))
        db.session.commit()
    with app.test_request_context("/admin/rooms", method="POST"):  # a write first needs no lock up front
        db.session.execute(update(Room).where(Room.id == room_id).values(name="Bara skrivning"))
        db.session.commit()
    with app.app_context():
        assert db.session.get(Room, room_id).name == "Bara skrivning"


def test_one_open_session_per_room_is_a_database_rule(app, make_room):
    """The partial unique index exists on this backend."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sql = db.session.execute(text(
                "SELECT sql FROM sqlite_master WHERE name = 'uq_room_session_open'")).scalar()
        else:
            sql = db.session.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_room_session_open'")).scalar()
    assert "UNIQUE" in sql.upper() and "ended_at IS NULL" in sql


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only; PostgreSQL has its own concurrency")
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_concurrent_read_then_write_transactions_never_lock_out(app, make_room):
    """Eight threads each read a counter and write it back 25 times. With
    BEGIN IMMEDIATE (SQLite) or FOR UPDATE (PostgreSQL) no update is lost and
    no thread sees 'database is locked'."""
    room_id = make_room()
    errors: list[BaseException] = []
    threads_n, rounds = 8, 25

    def worker():
        try:
            with app.app_context():
                for _ in range(rounds):
                    begin_write()
                    version = db.session.execute(
                        select(Room.version).where(Room.id == room_id).with_for_update()).scalar_one()
                    db.session.execute(update(Room).where(Room.id == room_id).values(version=version + 1))
                    db.session.commit()
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors
    with app.app_context():
        assert db.session.get(Room, room_id).version == 1 + threads_n * rounds
