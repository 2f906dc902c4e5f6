"""Moving a booking to another time, day or room of the unit: one move form
on the board's room page and the staff day page (the console moves within its
own room). A move to another room is one write over both rooms: both versions
bumped (both doors and boards follow), an event in each room; an overlap in
the target room is refused beside the form with nothing written; another
unit's room or an unknown one is a 404."""

import re

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Booking, Event, Room, Tablet
from kiosk.rooms import pairing

from .test_booking_surfaces import DAY, at, book, text_of

NEXT_WEEK = "2026-12-03"


@pytest.fixture
def unit_rooms(app, make_unit, make_room):
    """Two rooms of one unit (A, B), a third of another unit (X): .a, .b, .x ids, .unit_id."""
    unit_id = make_unit(name="Hudmottagningen", slug="hud")
    a = make_room(unit_id=unit_id, name="Videorum A", slug="videorum-a")
    b = make_room(unit_id=unit_id, name="Videorum B", slug="videorum-b")
    x = make_room(name="Videorum X", slug="videorum-x")

    class Rooms:
        pass

    rooms = Rooms()
    rooms.a, rooms.b, rooms.x, rooms.unit_id = a, b, x, unit_id
    return rooms


@pytest.fixture
def board(app, pair, unit_rooms):
    """A board tablet of the unit of rooms A and B."""
    return pair(app.test_client(), unit_id=unit_rooms.unit_id)


def state(app, booking_id):
    with app.app_context():
        b = db.session.get(Booking, booking_id)
        return b.room_id, b.starts_at, b.ends_at, b.status


def versions(app, *room_ids):
    with app.app_context():
        return [db.session.get(Room, i).version for i in room_ids]


def move_events(app):
    with app.app_context():
        return [(e.room_id, e.detail) for e in db.session.scalars(
            select(Event).where(Event.kind == "booking-move").order_by(Event.id))]


def test_the_board_moves_a_booking_to_another_room_of_the_unit(frozen_clock, app, board, unit_rooms):
    booking_id = book(app, unit_rooms.a, "14:00", "14:30", holder_name="Eva Ek")
    before = versions(app, unit_rooms.a, unit_rooms.b)
    page = board.get("/board/rooms/videorum-a").get_data(as_text=True)
    # The move form offers the unit's rooms, this one chosen, never another unit's.
    select_html = re.search(rf'<select id="move-room-{booking_id}" name="room">(.*?)</select>', page, re.S).group(1)
    assert '<option value="videorum-a" selected>Videorum A</option>' in select_html
    assert 'value="videorum-b"' in select_html and "videorum-x" not in select_html
    r = board.hx_post(f"/board/rooms/videorum-a/bookings/{booking_id}/move",
                      {"day": NEXT_WEEK, "start": "09:00", "end": "09:45", "room": "videorum-b"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html and html.lstrip().startswith('<section id="board-room-panel"')
    words = text_of(html)
    assert "Bokningen är flyttad till Videorum B, 2026-12-03 09.00–09.45." in words
    assert 'href="/board/rooms/videorum-b?day=2026-12-03"' in html and "Visa Videorum B" in words
    assert "Bokat 14.00–14.30" not in words  # gone from room A's day
    assert state(app, booking_id) == (unit_rooms.b, at("09:00", NEXT_WEEK), at("09:45", NEXT_WEEK), "booked")
    after = versions(app, unit_rooms.a, unit_rooms.b)
    assert after[0] > before[0] and after[1] > before[1]  # both doors and boards follow
    events = move_events(app)
    assert [room for room, _ in events] == [unit_rooms.a, unit_rooms.b]
    assert '"to_room": "Videorum B"' in events[0][1] and '"from_room": "Videorum A"' in events[1][1]
    # Room B's day on that day lists it, with its move and cancel forms.
    words = text_of(board.get(f"/board/rooms/videorum-b?day={NEXT_WEEK}").get_data(as_text=True))
    assert "Bokat 09.00–09.45 · Eva Ek" in words and "Flytta" in words
    # The notice is said once.
    assert "flyttad till" not in text_of(board.get("/board/rooms/videorum-a").get_data(as_text=True))


def test_a_plain_form_moves_to_another_room_and_the_page_after_says_where(frozen_clock, app, board, unit_rooms):
    booking_id = book(app, unit_rooms.a, "14:00", "14:30")
    r = board.form_post(f"/board/rooms/videorum-a/bookings/{booking_id}/move?lang=en",
                        {"day": DAY, "start": "14:00", "end": "14:30", "room": "videorum-b"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/board/rooms/videorum-a")
    html = board.get(r.headers["Location"]).get_data(as_text=True)
    assert "The booking has moved to Videorum B, 2026-11-26 14:00–14:30." in text_of(html)
    assert 'role="status"' in html and 'id="moved-notice"' in html
    assert state(app, booking_id)[0] == unit_rooms.b


def test_the_same_room_moves_as_before_with_one_event(frozen_clock, app, board, unit_rooms):
    booking_id = book(app, unit_rooms.a, "14:00", "14:30")
    r = board.hx_post(f"/board/rooms/videorum-a/bookings/{booking_id}/move",
                      {"day": DAY, "start": "15:00", "end": "15:30", "room": "videorum-a"})
    assert r.status_code == 200 and "flyttad till" not in r.get_data(as_text=True)
    assert state(app, booking_id)[:2] == (unit_rooms.a, at("15:00"))
    assert [room for room, _ in move_events(app)] == [unit_rooms.a]


@pytest.mark.parametrize("lang,says", [("sv", "Rummet är redan bokat 09.00–10.00"),
                                       ("en", "The room is already booked 09:00–10:00")])
def test_an_overlap_in_the_target_room_is_refused_beside_the_form(frozen_clock, app, board, unit_rooms, lang, says):
    booking_id = book(app, unit_rooms.a, "14:00", "14:30")
    book(app, unit_rooms.b, "09:00", "10:00", day=NEXT_WEEK)
    before = versions(app, unit_rooms.a, unit_rooms.b)
    data = {"day": NEXT_WEEK, "start": "09:30", "end": "10:15", "room": "videorum-b"}
    for post in (board.hx_post, board.form_post):
        r = post(f"/board/rooms/videorum-a/bookings/{booking_id}/move?lang={lang}", data)
        html = r.get_data(as_text=True)
        assert r.status_code == 409 and says in html
        # Beside the booking's own move form, announced, with the focus; the form keeps what was sent.
        form = re.search(rf'<details class="move" id="move-{booking_id}" open>(.*?)</details>', html, re.S).group(1)
        assert f'id="move-error-{booking_id}"' in form and 'role="alert"' in form and "autofocus" in form
        assert '<option value="videorum-b" selected>' in form and 'value="09:30"' in form
    assert state(app, booking_id)[:2] == (unit_rooms.a, at("14:00"))
    assert versions(app, unit_rooms.a, unit_rooms.b) == before and move_events(app) == []


def test_another_units_room_an_unknown_one_and_an_inactive_one_are_refused(frozen_clock, app, board, unit_rooms,
                                                                           make_room):
    booking_id = book(app, unit_rooms.a, "14:00", "14:30")
    url = f"/board/rooms/videorum-a/bookings/{booking_id}/move"
    for target in ("videorum-x", "no-such-room", "x" * 500, "videorum-b\x00", "Videorum B"):
        r = board.hx_post(url, {"day": DAY, "start": "15:00", "end": "15:30", "room": target})
        assert r.status_code == 404 and "finns inte bland enhetens rum" in r.get_data(as_text=True), target
    make_room(unit_id=unit_rooms.unit_id, name="Videorum C", slug="videorum-c", active=False)
    r = board.hx_post(url, {"day": DAY, "start": "15:00", "end": "15:30", "room": "videorum-c"})
    assert r.status_code == 409
    assert state(app, booking_id)[:2] == (unit_rooms.a, at("14:00")) and move_events(app) == []
    # the CSRF token is checked before anything
    r = board.hx_post(url, {"day": DAY, "start": "15:00", "end": "15:30", "room": "videorum-b"}, csrf=False)
    assert r.status_code == 400 and state(app, booking_id)[0] == unit_rooms.a
    # another unit's room page: 403 as before; an id past 2^31: 404
    other = board.hx_post(f"/board/rooms/videorum-x/bookings/{booking_id}/move",
                          {"day": DAY, "start": "15:00", "end": "15:30", "room": "videorum-b"})
    assert other.status_code == 403
    assert board.hx_post("/board/rooms/videorum-a/bookings/2147483648/move",
                         {"day": DAY, "start": "15:00", "end": "15:30", "room": "videorum-b"}).status_code == 404


def test_a_claimed_or_feed_booking_does_not_move_to_another_room(frozen_clock, app, board, unit_rooms):
    booking_id = book(app, unit_rooms.a, "14:00", "14:30")
    with app.app_context():
        db.session.get(Booking, booking_id).source = "feed"
        db.session.commit()
    r = board.hx_post(f"/board/rooms/videorum-a/bookings/{booking_id}/move",
                      {"day": DAY, "start": "15:00", "end": "15:30", "room": "videorum-b"})
    assert r.status_code == 409 and state(app, booking_id)[0] == unit_rooms.a


def test_the_staff_page_moves_its_own_booking_to_another_room(frozen_clock, app, client, unit_rooms):
    r = client.form_post("/rooms/videorum-a/day/bookings", {"day": DAY, "start": "14:00", "end": "14:30",
                                                            "name": "Eva Ek"})
    assert r.status_code == 303
    with app.app_context():
        booking_id = db.session.scalar(select(Booking.id))
    page = client.get("/rooms/videorum-a/day").get_data(as_text=True)
    assert f'id="move-room-{booking_id}"' in page and "videorum-x" not in page
    r = client.hx_post(f"/rooms/videorum-a/day/bookings/{booking_id}/move",
                       {"day": DAY, "start": "14:00", "end": "14:30", "room": "videorum-b"})
    assert r.status_code == 200 and 'href="/rooms/videorum-b/day?day=2026-11-26"' in r.get_data(as_text=True)
    assert state(app, booking_id)[0] == unit_rooms.b
    # Still this browser's: room B's page offers to move and cancel it.
    page = client.get("/rooms/videorum-b/day").get_data(as_text=True)
    assert f"/rooms/videorum-b/day/bookings/{booking_id}/cancel" in page
    # Another browser may not move it anywhere.
    stranger = app.test_client()
    r = stranger.hx_post(f"/rooms/videorum-b/day/bookings/{booking_id}/move",
                         {"day": DAY, "start": "14:00", "end": "14:30", "room": "videorum-a"})
    assert r.status_code == 403 and state(app, booking_id)[0] == unit_rooms.b


def test_the_console_moves_within_its_own_room_only(frozen_clock, app, unit_rooms):
    console = app.test_client()
    with app.app_context():
        room = db.session.get(Room, unit_rooms.a)
        code = pairing.new_code("console", room.unit, room, actor="test")
    assert console.form_post("/pair", {"code": code}).status_code == 303
    url = "/rooms/videorum-a/console/bookings"
    assert console.form_post(url, {"day": DAY, "start": "13:00", "end": "13:30"}).status_code == 303
    with app.app_context():
        booking_id = db.session.scalar(select(Booking.id))
        assert db.session.scalar(select(Tablet.id).where(Tablet.kind == "console")) is not None
    page = console.get(url).get_data(as_text=True)
    assert f'id="move-day-{booking_id}"' in page and f'id="move-room-{booking_id}"' not in page
    r = console.hx_post(f"{url}/{booking_id}/move", {"day": DAY, "start": "15:00", "end": "15:30",
                                                     "room": "videorum-b"})
    assert r.status_code == 403 and "inom sitt eget rum" in r.get_data(as_text=True)
    assert state(app, booking_id)[:2] == (unit_rooms.a, at("13:00"))
    r = console.hx_post(f"{url}/{booking_id}/move", {"day": DAY, "start": "15:00", "end": "15:30",
                                                     "room": "videorum-a"})
    assert r.status_code == 200 and state(app, booking_id)[:2] == (unit_rooms.a, at("15:00"))
