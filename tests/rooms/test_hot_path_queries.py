"""The statements the hot paths send to the database, counted.

Thousands of door tablets and every reception board poll every few seconds;
a query more per poll is a load the database carries all day. These counts
are exact (they do not depend on timing), so a change that adds a query to a
poll, or to the write a poll triggers when a booking moment passes, fails
here and has to say why. The door's fast path (before Flask) is not counted:
it runs on a raw DB-API connection; these are the view's answers, the
authority behind it.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Room
from kiosk.rooms.service import Actor

VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
RECEPTION = Actor("board:test")


@contextmanager
def statements(app):
    """Collect the SQL statements (reads and writes, not BEGIN/COMMIT) sent meanwhile."""
    sent: list[str] = []

    def listen(_conn, _cursor, statement, _parameters, _context, _executemany):
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if verb in VERBS:
            sent.append(" ".join(statement.split())[:160])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def _version(html: str, kind: str) -> str:
    return re.search(rf'/{kind}/poll\?v=([^"&]+)', html).group(1)


@pytest.fixture
def view_only(app, monkeypatch):
    """Door polls reach the Flask view (the fast path in front answers most of them in production)."""
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app.wsgi_app)


@pytest.fixture
def busy_day(frozen_clock, app, door_client):
    """Three bookings today in the door's room (10:00 now): one at 10:30, two this afternoon."""
    day = clock.today().isoformat()
    with app.app_context():
        for start, end in (("10:30", "11:00"), ("13:00", "13:30"), ("15:00", "15:45")):
            bookings.create(door_client.room_id, RECEPTION, bookings.parse_local(day, start),
                            bookings.parse_local(day, end))
    return door_client


@pytest.fixture
def board_client(app, busy_day, pair):
    """A reception board of the busy room's unit."""
    with app.app_context():
        unit_id = db.session.get(Room, busy_day.room_id).unit_id
    return pair(app.test_client(), unit_id=unit_id)


def _assert_counted(app, client, url: str, status: int, expected: int) -> None:
    """Ask ``url`` (the answer must be ``status``) and count the statements it sent."""
    with statements(app) as sent:
        assert client.hx_get(url).status_code == status
    assert len(sent) == expected, f"{len(sent)} statements, {expected} expected:\n" + "\n".join(sent)


def _door_version(client) -> str:
    return _version(client.get(f"/rooms/{client.slug}/door").get_data(as_text=True), "door")


def test_an_unchanged_door_poll(app, view_only, busy_day):
    v = _door_version(busy_day)
    _assert_counted(app, busy_day, f"/rooms/{busy_day.slug}/door/poll?v={v}", 204, 1)


def test_a_changed_door_poll_in_a_meeting(app, view_only, busy_day):
    v = _door_version(busy_day)
    busy_day.hx_post(f"/rooms/{busy_day.slug}/check-in", {})
    busy_day.hx_post(f"/rooms/{busy_day.slug}/skip", {"reason": "urgent"})
    _assert_counted(app, busy_day, f"/rooms/{busy_day.slug}/door/poll?v={v}", 200, 13)


def test_a_door_poll_when_a_booking_moment_passes(app, view_only, busy_day):
    """The booking at 10:30 is about to start at 10:15: the poll writes the room's day once."""
    v = _door_version(busy_day)
    clock.advance(timedelta(minutes=16))
    _assert_counted(app, busy_day, f"/rooms/{busy_day.slug}/door/poll?v={v}", 200, 21)


def test_a_door_poll_that_releases_an_expired_session(app, view_only, busy_day):
    busy_day.hx_post(f"/rooms/{busy_day.slug}/check-in", {})
    busy_day.hx_post(f"/rooms/{busy_day.slug}/skip", {"reason": "urgent"})
    v = _door_version(busy_day)
    clock.advance(timedelta(hours=3, seconds=1))
    # 13:00 has passed with nobody checked in: the door says when that booking is
    # released, which asks when the room became free (one statement more).
    _assert_counted(app, busy_day, f"/rooms/{busy_day.slug}/door/poll?v={v}", 200, 25)


def test_an_unchanged_and_a_changed_board_poll(app, board_client, busy_day):
    v = _version(board_client.get("/board").get_data(as_text=True), "board")
    _assert_counted(app, board_client, f"/board/poll?v={v}", 204, 6)
    busy_day.hx_post(f"/rooms/{busy_day.slug}/check-in", {})
    _assert_counted(app, board_client, f"/board/poll?v={v}", 200, 22)
