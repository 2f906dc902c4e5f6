"""The statements the hot paths send to the database, counted.

Thousands of door tablets and every reception board poll every few seconds;
a query more per poll is a load the database carries all day. These counts
are exact (they do not depend on timing), so a change that adds a query to a
poll, to a panel or a board it renders, or to the write a poll triggers when a
booking moment passes, fails here and has to say why; the failure names the
path and lists its statements in order, so the new one is found where it was
added. A board reads each kind of row for its whole unit: the same statements
for 4 rooms as for 24. The door's fast path (before Flask) is not counted:
it runs on a raw DB-API connection; these are the view's answers, the
authority behind it.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Room
from kiosk.rooms import faults, service
from kiosk.rooms.service import Actor
from tests.query_support import statements

RECEPTION = Actor("board:test")


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


def _assert_counted(app, client, path: str, url: str, status: int, expected: int, htmx: bool = True) -> list[str]:
    """Ask ``url`` (the answer must be ``status``) and count the statements it sent."""
    with statements(app) as sent:
        response = client.hx_get(url) if htmx else client.get(url)
        assert response.status_code == status, f"{path}: {response.status_code}"
    listed = "\n".join(f"  {n}. {statement}" for n, statement in enumerate(sent, 1))
    assert len(sent) == expected, f"{path} ({url}) sent {len(sent)} statements, {expected} expected:\n{listed}"
    return sent


def _door_version(client) -> str:
    return _version(client.get(f"/rooms/{client.slug}/door").get_data(as_text=True), "door")


def test_an_unchanged_door_poll(app, view_only, busy_day):
    v = _door_version(busy_day)
    _assert_counted(app, busy_day, "the unchanged door poll", f"/rooms/{busy_day.slug}/door/poll?v={v}", 204, 1)


def test_a_changed_door_poll_in_a_meeting(app, view_only, busy_day):
    v = _door_version(busy_day)
    busy_day.hx_post(f"/rooms/{busy_day.slug}/check-in", {})
    busy_day.hx_post(f"/rooms/{busy_day.slug}/skip", {"reason": "urgent"})
    # The poll's row (it has shown the tablet is the room's live door); the room
    # with its unit; the open session; its marks; a console tablet; the session's
    # console codes; today's bookings.
    _assert_counted(app, busy_day, "the changed door panel (a meeting)",
                    f"/rooms/{busy_day.slug}/door/poll?v={v}", 200, 7)


def test_a_changed_door_poll_when_the_room_is_free(app, view_only, busy_day):
    """A free room's door shows its day and its open faults (no session: no ticks, no codes)."""
    with app.app_context():
        faults.report(busy_day.room_id, RECEPTION, "camera", None, "door")
    _assert_counted(app, busy_day, "the changed door panel (free)", f"/rooms/{busy_day.slug}/door/poll?v=old", 200, 6)


def test_a_door_poll_when_a_booking_moment_passes(app, view_only, busy_day):
    """The booking at 10:30 is about to start at 10:15: the poll writes the room's day once."""
    v = _door_version(busy_day)
    clock.advance(timedelta(minutes=16))
    _assert_counted(app, busy_day, "the door poll at a booking moment", f"/rooms/{busy_day.slug}/door/poll?v={v}",
                    200, BOOKING_MOMENT)


def test_a_door_poll_that_releases_an_expired_session(app, view_only, busy_day):
    busy_day.hx_post(f"/rooms/{busy_day.slug}/check-in", {})
    busy_day.hx_post(f"/rooms/{busy_day.slug}/skip", {"reason": "urgent"})
    v = _door_version(busy_day)
    clock.advance(timedelta(hours=3, seconds=1))
    # 13:00 has passed with nobody checked in: the door says when that booking is
    # released, which asks when the room became free (one statement more).
    _assert_counted(app, busy_day, "the door poll that releases an expired session",
                    f"/rooms/{busy_day.slug}/door/poll?v={v}", 200, RELEASE)


def test_an_unchanged_and_a_changed_board_poll(app, board_client, busy_day):
    v = _version(board_client.get("/board").get_data(as_text=True), "board")
    # The tablet with its unit, the rooms, their open sessions, the door tablets, their recent events.
    _assert_counted(app, board_client, "the unchanged board poll (no room in use)", f"/board/poll?v={v}", 204, 5)
    busy_day.hx_post(f"/rooms/{busy_day.slug}/check-in", {})
    # The rows the version was computed from are rendered: no second read of them.
    _assert_counted(app, board_client, "the changed board poll", f"/board/poll?v={v}", 200, 10)
    v = _version(board_client.get("/board").get_data(as_text=True), "board")
    # A room in use: whether its console is a paired computer or a claimed browser.
    _assert_counted(app, board_client, "the unchanged board poll (a room in use)", f"/board/poll?v={v}", 204,
                    BOARD_POLL)


# Counts pinned here for paths whose comment would not fit beside them.
BOOKING_MOMENT = 16  # the poll's row, the tablet and its last-seen write, the room's write unit, the panel
RELEASE = 20  # the same and the session's release with its event
BOARD_RENDER = 12  # a board render reads the rooms due and, for a booking waiting, when its room became free
BOARD_POLL = 7  # with a room in use: its console tablet, its console codes


@pytest.fixture
def board_of(frozen_clock, app, make_unit, make_room, pair):
    """Factory: a unit of ``n`` rooms and its paired board. The rooms take turns
    at what makes a board read more: in a meeting, a booking started that nobody
    has claimed (when it is released counts from when the room became free), an
    open fault, a day of bookings later on."""
    def build(n: int):
        unit_id = make_unit()
        day = clock.today().isoformat()
        with app.app_context():
            for i in range(n):
                room_id = make_room(unit_id=unit_id)
                bookings.create(room_id, RECEPTION, bookings.parse_local(day, "13:00"),
                                bookings.parse_local(day, "13:30"))
                if i % 4 == 0:
                    service.check_in(room_id, RECEPTION)
                    service.start_meeting(room_id, RECEPTION, skip_reason="urgent")
                elif i % 4 == 1:
                    bookings.create(room_id, RECEPTION, clock.now(), clock.now() + timedelta(minutes=30))
                elif i % 4 == 2:
                    faults.report(room_id, RECEPTION, "camera", None, "door")
        client = pair(app.test_client(), unit_id=unit_id)
        clock.advance(timedelta(minutes=2))  # the bookings just made have started, unclaimed
        # A first poll writes what is due (the rooms' day moved, the board's last-seen
        # time), so that what is counted below is the steady state.
        client.hx_get("/board/poll?v=first")
        return client
    return build


def test_a_board_reads_the_same_statements_for_4_rooms_as_for_24(app, board_of):
    counted = {}
    for n in (4, 24):
        client = board_of(n)
        html = client.get("/board").get_data(as_text=True)
        assert html.count('class="board-room"') == n
        # Every kind of room is on the board (what the counts below are about).
        assert all(shown in html for shown in ("state-meeting", "day-unclaimed", "board-faults", "state-free"))
        v = _version(html, "board")
        render = _assert_counted(app, client, f"the board of {n} rooms", "/board", 200, BOARD_RENDER)
        poll = _assert_counted(app, client, f"the unchanged board poll of {n} rooms", f"/board/poll?v={v}", 204,
                               BOARD_POLL)
        counted[n] = (len(render), len(poll))
    assert counted[4] == counted[24]


def test_the_console_page(app, busy_day):
    """A visit's console (a browser that claimed the door's code) in a meeting."""
    html = busy_day.hx_post(f"/rooms/{busy_day.slug}/check-in", {}).get_data(as_text=True)
    code = re.search(r'class="console-code-value">.*?<strong>([A-Z0-9]{3}-[A-Z0-9]{3})</strong>', html, re.S).group(1)
    console = app.test_client()
    assert console.form_post("/console", {"code": code}).status_code == 303
    console.hx_post(f"/rooms/{busy_day.slug}/console/skip", {"reason": "urgent"})
    _assert_counted(app, console, "the console page (a meeting)", f"/rooms/{busy_day.slug}/console", 200, 9,
                    htmx=False)
