"""`flask --app kiosk backup PATH`: a consistent copy of the live database."""

import shutil
import sqlite3
import subprocess
import threading

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Event, Room, RoomSession
from kiosk.rooms import service
from kiosk.rooms.service import Actor


def _fill(app, make_room, rooms=20):
    ids = [make_room() for _ in range(rooms)]
    with app.app_context():
        for rid in ids:
            service.check_in(rid, Actor("test"))
            service.start_meeting(rid, Actor("test"), skip_reason="urgent")
    return ids


def test_backup_of_a_live_sqlite_database_restores_every_row(app, make_room, runner, tmp_path):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the SQLite backup; PostgreSQL is tested below")
    ids = _fill(app, make_room)
    with app.app_context():
        counts = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
                  for m in (Room, RoomSession, Event)}

    # Writers keep working while the copy is taken.
    stop = threading.Event()

    def keep_writing():
        with app.app_context():
            while not stop.is_set():
                service.extend(ids[0], Actor("writer"), minutes=1)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        result = runner.invoke(args=["backup", str(tmp_path / "copy.db")])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert "copied to" in result.output

    copy = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for table in ("room", "room_session"):
            assert copy.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == counts[table]
        assert copy.execute("SELECT count(*) FROM event").fetchone()[0] >= counts["event"]
        assert copy.execute("SELECT count(*) FROM room_session WHERE state = 'meeting'").fetchone()[0] == 20
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        copy.close()


def test_backup_of_postgresql_uses_pg_dump(app, make_room, runner, tmp_path):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the PostgreSQL backup; SQLite is tested above")
    if not shutil.which("pg_dump"):
        pytest.fail("pg_dump is missing (postgresql-client)")
    _fill(app, make_room, rooms=3)
    result = runner.invoke(args=["backup", str(tmp_path / "kiosk.dump")])
    assert result.exit_code == 0, result.output
    listing = subprocess.run(["pg_restore", "--list", str(tmp_path / "kiosk.dump")],
                             capture_output=True, text=True, check=True).stdout
    assert "TABLE DATA public room_session" in listing


def test_backup_to_an_unwritable_place_fails_clearly(app, runner, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(args=["backup", str(blocker / "copy.db")])
    assert result.exit_code != 0 and "Traceback" not in result.output
