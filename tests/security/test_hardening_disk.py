"""Erasure that reaches the disk (issue 14, item 4): after a purge, an erased
name is in none of SQLite's files, neither the database nor its WAL.

The test uses its own SQLite file in every run (also when the suite runs on
PostgreSQL), because the bytes on disk are what it checks; PostgreSQL's side
is documented in docs/security.md."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

from kiosk import clock
from kiosk import retention
from kiosk.extensions import db
from kiosk.models import Room, Unit
from kiosk.rooms import service
from kiosk.rooms.service import Actor

DOOR = Actor("tablet:1")
# Names no other row or page could contain by chance.
NAME = "Zyxwbrandtsson Qvarnerus"
TITLE = "Överläkare Xylofonia"
REASON = "Glömd incheckning av Zyxwbrandtsson"


def _raw_files(path: Path) -> bytes:
    """Every byte SQLite keeps for the database: main file, WAL and journal."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")) if p.is_file())


def _found(path: Path, *texts: str) -> list[str]:
    data = _raw_files(path)
    return [t for t in texts if t.encode() in data or t.encode("utf-16-le") in data]


def test_an_erased_name_is_gone_from_the_sqlite_files_after_a_purge(make_app, tmp_path, frozen_clock):
    path = tmp_path / "erase" / "kiosk.db"
    path.parent.mkdir()
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", INSTANCE_PATH=str(tmp_path / "erase"))
    with app.app_context():
        upgrade()
        unit = Unit(name="Mottagning", slug="mottagning")
        db.session.add(unit)
        db.session.flush()
        rooms = [Room(name=f"Videorum {n}", slug=f"videorum-{n}", unit_id=unit.id) for n in (1, 2)]
        db.session.add_all(rooms)
        db.session.commit()
        first, second = rooms[0].id, rooms[1].id
        service.check_in(first, DOOR, name=NAME, title=TITLE)
        service.start_meeting(first, DOOR, skip_reason="urgent")
        service.end_meeting(first, DOOR)
        service.finish(first, DOOR, "held")
        service.check_in(second, DOOR, name=NAME, title=TITLE)
        service.force_end(second, Actor("admin:1", address="10.0.0.1"), REASON)
        db.session.remove()
    # Before the purge the text is on disk (otherwise the test below proves nothing).
    assert _found(path, NAME, TITLE, REASON) == [NAME, TITLE, REASON]

    clock.advance(timedelta(days=15))
    with app.app_context():
        done = retention.purge()
        assert (done["sessions"], done["events"]) == (2, 1)
        # A reader holding a connection open (as the pool does) does not keep it alive.
        assert db.session.execute(text("PRAGMA secure_delete")).scalar() == 1
        db.session.remove()
    assert _found(path, NAME, TITLE, REASON) == []
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    # The rows stay: the purge erased the text, it did not lose the visits.
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*), count(clinician_name) FROM room_session").fetchone() == (2, 0)
    with app.app_context():
        db.engine.dispose()
