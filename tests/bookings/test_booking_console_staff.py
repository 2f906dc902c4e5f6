"""Booking from the room console and from a staff page (issue 13).

The console (a paired computer in the room, or a browser bound to a visit by
the door's code) books its own room later today or another day, moves and
cancels; another room's console and an unpaired browser get 403. A staff page
has no login: the holder's name is required, bookings are limited per address
(429, nothing written), every one is an event with the address, and a browser
moves or cancels only the bookings it made itself (403 for the others); feed
bookings are read-only everywhere."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Booking, Event, RateHit, Room, Tablet
from kiosk.rooms import pairing
from kiosk.rooms.service import Actor

DAY = "2026-11-26"  # FROZEN_AT is 10:00 in Sweden that day
NEXT_WEEK = "2026-12-03"


def at(hhmm: str, day: str = DAY):
    return bookings.parse_local(day, hhmm)


def book(app, room_id: int, start: str, end: str, day: str = DAY, **kw) -> int:
    with app.app_context():
        return bookings.create(room_id, Actor("board:test"), at(start, day), at(end, day), **kw).id


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def rows(app, model=Booking):
    with app.app_context():
        return db.session.scalars(select(model).order_by(model.id)).all()


def feed_booking(app, room_id: int, start: str, end: str) -> int:
    """A booking as a calendar feed brings it (read-only in the kiosk)."""
    with app.app_context():
        b = Booking(room_id=room_id, starts_at=at(start), ends_at=at(end), holder_name="Dr Kalender",
                    source="feed", status="booked", created_at=clock.now(), updated_at=clock.now(),
                    created_by="feed", updated_by="feed", feed_uid="uid-1@example")
        db.session.add(b)
        db.session.commit()
        return b.id


@pytest.fixture
def console_pc(app, make_room):
    """A browser paired for good as the console of a fresh room (.slug, .room_id)."""
    room_id = make_room(name="Videorum K", slug="videorum-k")
    client = app.test_client()
    with app.app_context():
        room = db.session.get(Room, room_id)
        code = pairing.new_code("console", room.unit, room, actor="test")
    assert client.form_post("/pair", {"code": code}).status_code == 303
    client.slug, client.room_id = "videorum-k", room_id
    return client


# ---- the console ------------------------------------------------------------------


def test_the_console_links_to_the_rooms_day_and_books_a_follow_up(frozen_clock, app, console_pc):
    page = console_pc.get(f"/rooms/{console_pc.slug}/console").get_data(as_text=True)
    url = f"/rooms/{console_pc.slug}/console/bookings"
    assert f'href="{url}"' in page and "Rummets dag / boka" in page
    r = console_pc.get(url)
    assert r.status_code == 200 and "Videorum K – boka rummet" in text_of(r.get_data(as_text=True))
    assert 'class="timeline"' in r.get_data(as_text=True)
    fragment = console_pc.hx_get(url)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="console-bookings-panel"')
    assert "HX-Request" in fragment.headers["Vary"]
    # later today (plain form: 303 back), and next week (a follow-up), as htmx
    r = console_pc.form_post(url, {"day": DAY, "start": "14:00", "end": "14:30", "name": "Eva Ek"})
    assert r.status_code == 303 and r.headers["Location"].endswith(url)
    r = console_pc.hx_post(url, {"day": NEXT_WEEK, "start": "09:00", "end": "09:45", "title": "Läkare"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html and 'id="console-bookings-panel"' in html
    words = text_of(html)
    assert "Bokat 14.00–14.30 · Eva Ek" in words and "Kommande dagar" in words and "Bokat 09.00–09.45 · Läkare" in words
    with app.app_context():
        tablet_id = db.session.scalar(select(Tablet.id).where(Tablet.kind == "console",
                                                              Tablet.room_id == console_pc.room_id))
    assert [b.created_by for b in rows(app)] == [f"console:{tablet_id}"] * 2
    with app.app_context():
        kinds = db.session.scalars(select(Event.kind).where(Event.kind == "booking-create")).all()
    assert len(kinds) == 2


def test_the_console_moves_and_cancels_what_it_booked(frozen_clock, app, console_pc):
    url = f"/rooms/{console_pc.slug}/console/bookings"
    assert console_pc.form_post(url, {"day": DAY, "start": "13:00", "end": "13:30"}).status_code == 303
    booking_id = rows(app)[0].id
    base = f"{url}/{booking_id}"
    r = console_pc.hx_post(f"{base}/move", {"day": DAY, "start": "15:00", "end": "15:45"})
    assert r.status_code == 200 and "Bokat 15.00–15.45" in text_of(r.get_data(as_text=True))
    assert console_pc.form_post(f"{base}/cancel").status_code == 303
    with app.app_context():
        b = db.session.get(Booking, booking_id)
        assert b.status == "cancelled" and b.updated_by.startswith("console:")


@pytest.mark.parametrize("lang,says", [("sv", "bara flytta eller avboka"), ("en", "only move or cancel")])
def test_the_console_leaves_bookings_made_elsewhere_alone(frozen_clock, app, console_pc, lang, says):
    """Anyone who passes the door may claim a visit's console: it changes only its own bookings."""
    theirs = book(app, console_pc.room_id, "13:00", "13:30", holder_name="Eva Ek")
    url = f"/rooms/{console_pc.slug}/console/bookings"
    html = console_pc.get(f"{url}?lang={lang}").get_data(as_text=True)
    assert f"/bookings/{theirs}/cancel" not in html and f"/bookings/{theirs}/move" not in html
    assert {"sv": "Bokad från en annan plats", "en": "Booked elsewhere"}[lang] in html
    for action, data in (("cancel", {}), ("move", {"day": DAY, "start": "15:00", "end": "15:30"})):
        r = console_pc.hx_post(f"{url}/{theirs}/{action}?lang={lang}", data)
        assert r.status_code == 403 and says in r.get_data(as_text=True)
    b = rows(app)[0]
    assert (b.status, b.updated_by, b.starts_at) == ("booked", "board:test", at("13:00"))


def test_console_bad_input_overlap_and_the_past(frozen_clock, app, console_pc):
    url = f"/rooms/{console_pc.slug}/console/bookings"
    book(app, console_pc.room_id, "14:00", "14:30")
    r = console_pc.hx_post(url, {"day": DAY, "start": "14:15", "end": "14:45"})
    assert r.status_code == 409 and "Rummet är redan bokat 14.00–14.30" in r.get_data(as_text=True)
    r = console_pc.form_post(url, {"day": DAY, "start": "09:00", "end": "09:30", "name": "Eva Ek"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "redan har varit" in html
    assert 'value="09:00"' in html and 'value="Eva Ek"' in html  # the form keeps what was typed
    r = console_pc.form_post(f"{url}?lang=en", {"day": "2026-13-40", "start": "x", "end": ""})
    assert r.status_code == 400 and "YYYY-MM-DD" in r.get_data(as_text=True)
    assert console_pc.hx_post(f"{url}/999999/cancel").status_code == 404
    assert console_pc.hx_post(f"{url}/abc/move", {"day": DAY, "start": "16:00", "end": "16:30"}).status_code == 404
    assert len(rows(app)) == 1


def test_another_rooms_console_and_strangers_get_403(frozen_clock, app, console_pc, make_room, door_client, client):
    other = make_room(name="Videorum Ö", slug="videorum-o")
    theirs = book(app, other, "14:00", "14:30")
    data = {"day": DAY, "start": "15:00", "end": "15:30"}
    assert console_pc.get("/rooms/videorum-o/console/bookings").status_code == 403
    assert console_pc.hx_post("/rooms/videorum-o/console/bookings", data).status_code == 403
    assert console_pc.hx_post(f"/rooms/videorum-o/console/bookings/{theirs}/cancel").status_code == 403
    # the room's own booking through this console's URL but another room's id: not found
    assert console_pc.hx_post(f"/rooms/{console_pc.slug}/console/bookings/{theirs}/cancel").status_code == 404
    for stranger in (client, door_client):
        assert stranger.get(f"/rooms/{console_pc.slug}/console/bookings").status_code == 403
        assert stranger.hx_post(f"/rooms/{console_pc.slug}/console/bookings", data).status_code == 403
    assert console_pc.hx_post(f"/rooms/{console_pc.slug}/console/bookings", data, csrf=False).status_code == 400
    with app.app_context():
        assert db.session.get(Booking, theirs).status == "booked"
        assert db.session.query(Booking).count() == 1


def test_a_console_bound_to_a_visit_books_and_after_the_visit_may_not(frozen_clock, app, door_client):
    html = door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {"minutes": "30"}).get_data(as_text=True)
    code = re.search(r'class="console-code-value">.*?<strong>([A-Z0-9]{3}-[A-Z0-9]{3})</strong>', html, re.S).group(1)
    phone = app.test_client()
    assert phone.form_post("/console", {"code": code}).status_code == 303
    url = f"/rooms/{door_client.slug}/console/bookings"
    r = phone.form_post(url, {"day": DAY, "start": "11:00", "end": "11:30"})
    assert r.status_code == 303
    assert rows(app)[0].created_by.startswith("console-code:")
    phone.hx_post(f"/rooms/{door_client.slug}/console/cancel")  # the visit is over
    assert phone.get(url).status_code == 303
    assert phone.hx_post(url, {"day": DAY, "start": "12:00", "end": "12:30"}).status_code == 409
    assert len(rows(app)) == 1


def test_feed_bookings_are_read_only_on_the_console_and_the_board(frozen_clock, app, console_pc, pair):
    feed_id = feed_booking(app, console_pc.room_id, "13:00", "14:00")
    html = console_pc.get(f"/rooms/{console_pc.slug}/console/bookings").get_data(as_text=True)
    assert f"/bookings/{feed_id}/cancel" not in html and "Från rummets kalender" in html
    r = console_pc.hx_post(f"/rooms/{console_pc.slug}/console/bookings/{feed_id}/cancel")
    assert r.status_code == 409 and "kalender" in r.get_data(as_text=True)
    with app.app_context():
        unit_id = db.session.get(Room, console_pc.room_id).unit_id
    board = pair(app.test_client(), unit_id=unit_id)
    assert f"/bookings/{feed_id}/move" not in board.get(f"/board/rooms/{console_pc.slug}").get_data(as_text=True)
    assert board.hx_post(f"/board/rooms/{console_pc.slug}/bookings/{feed_id}/cancel").status_code == 409
    with app.app_context():
        assert db.session.get(Booking, feed_id).status == "booked"


def test_the_console_booking_page_in_english(frozen_clock, app, console_pc):
    words = text_of(console_pc.get(f"/rooms/{console_pc.slug}/console/bookings?lang=en").get_data(as_text=True))
    assert "Videorum K – book the room" in words and "Back to the console" in words


# ---- the staff pages ----------------------------------------------------------------


@pytest.fixture
def staff_room(app, make_room):
    """A room as a desk sees it on /rooms (.slug, .room_id)."""
    return SimpleNamespace(slug="videorum-s", room_id=make_room(name="Videorum S", slug="videorum-s", location="Plan 3"))


def test_the_overview_shows_the_next_free_slot_and_links_to_the_rooms_day(frozen_clock, app, client, staff_room):
    book(app, staff_room.room_id, "10:00", "11:00", holder_name="Dr Ek")
    words = text_of(client.get("/rooms").get_data(as_text=True))
    assert "Nästa lediga 30 min: 11.00" in words
    html = client.get("/rooms").get_data(as_text=True)
    assert 'href="/rooms/videorum-s/day"' in html and "Videorum S: dagen och bokning" in html
    r = client.get("/rooms/videorum-s/day")
    words = text_of(r.get_data(as_text=True))
    assert r.status_code == 200 and "Videorum S – rummets dag" in words
    assert "Bokat 10.00–11.00 · Dr Ek" in words and "Ändras av receptionen eller en administratör." in words
    assert "/bookings/" not in r.get_data(as_text=True).split('id="book-title"')[0].split('id="day-title"')[1]
    assert 'class="timeline"' in r.get_data(as_text=True)
    fragment = client.hx_get("/rooms/videorum-s/day")
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="staff-room-panel"')
    assert client.get("/rooms/no-such-room/day").status_code == 404
    assert "Your name (required)" in client.get("/rooms/videorum-s/day?lang=en").get_data(as_text=True)


def test_staff_book_in_their_own_name_and_change_only_their_own(frozen_clock, app, client, staff_room):
    url = "/rooms/videorum-s/day/bookings"
    r = client.form_post(url, {"day": DAY, "start": "14:00", "end": "14:30", "name": "Eva Ek", "title": "Kurator"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/rooms/videorum-s/day")
    mine = rows(app)[0]
    assert (mine.holder_name, mine.created_by) == ("Eva Ek", "staff-page")
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.kind == "booking-create"))
        assert event.address == "127.0.0.1" and event.actor == "staff-page"
    html = client.get("/rooms/videorum-s/day").get_data(as_text=True)
    assert f"/day/bookings/{mine.id}/cancel" in html
    r = client.hx_post(f"{url}/{mine.id}/move", {"day": DAY, "start": "15:00", "end": "15:30"})
    assert r.status_code == 200 and "<html" not in r.get_data(as_text=True)
    assert "Bokat 15.00–15.30 · Eva Ek, Kurator" in text_of(r.get_data(as_text=True))
    # someone else's booking, and the same booking from another browser: 403, nothing changed
    theirs = book(app, staff_room.room_id, "16:00", "16:30", holder_name="Dr Ek")
    r = client.hx_post(f"{url}/{theirs}/cancel")
    assert r.status_code == 403 and "Du kan bara flytta eller avboka" in r.get_data(as_text=True)
    assert client.hx_post(f"{url}/{theirs}/move", {"day": DAY, "start": "17:00", "end": "17:30"}).status_code == 403
    other = app.test_client()
    assert other.hx_post(f"{url}/{mine.id}/cancel").status_code == 403
    assert client.form_post(f"{url}/{mine.id}/cancel").status_code == 303
    with app.app_context():
        assert db.session.get(Booking, mine.id).status == "cancelled"
        assert db.session.get(Booking, theirs).status == "booked"


def test_a_staff_booking_needs_a_name_and_refuses_bad_input(frozen_clock, app, client, staff_room):
    url = "/rooms/videorum-s/day/bookings"
    r = client.form_post(url, {"day": DAY, "start": "14:00", "end": "14:30", "name": "  ", "title": "Kurator"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Skriv ditt namn" in html and 'value="Kurator"' in html and 'value="14:00"' in html
    r = client.hx_post(f"{url}?lang=en", {"day": DAY, "start": "14:00", "end": "14:30"})
    assert r.status_code == 400 and "Write your name" in r.get_data(as_text=True)
    r = client.hx_post(url, {"day": DAY, "start": "14:00", "end": "14:30", "name": "19121212-1212 Tolvan"})
    assert r.status_code == 400 and "personal identity number" in r.get_data(as_text=True)
    r = client.hx_post(url, {"day": DAY, "start": "14:00", "end": "14:30", "name": "Eva\u202eEk"})
    assert r.status_code == 400
    r = client.hx_post(url, {"day": DAY, "start": "08:00", "end": "08:30", "name": "Eva Ek"})
    assert r.status_code == 400 and "already passed" in r.get_data(as_text=True)  # ?lang=en stays
    book(app, staff_room.room_id, "14:00", "14:30")
    r = client.hx_post(url, {"day": DAY, "start": "14:15", "end": "14:45", "name": "Eva Ek"})
    assert r.status_code == 409 and "already booked 14:00–14:30" in r.get_data(as_text=True)
    assert client.hx_post(url, {"day": DAY, "start": "15:00", "end": "15:30", "name": "Eva Ek"}, csrf=False
                          ).status_code == 400
    assert len(rows(app)) == 1


def test_staff_bookings_are_limited_per_address(frozen_clock, app, staff_room):
    app.config["STAFF_BOOKING_LIMIT_PER_HOUR"] = 3
    client = app.test_client()
    url = "/rooms/videorum-s/day/bookings"
    for i in range(3):
        r = client.hx_post(url, {"day": DAY, "start": f"1{i + 1}:00", "end": f"1{i + 1}:30", "name": "Eva Ek"})
        assert r.status_code == 200, r.get_data(as_text=True)
    hits = len(rows(app, RateHit))
    r = client.form_post(url, {"day": DAY, "start": "16:00", "end": "16:30", "name": "Eva Ek"})
    assert r.status_code == 429 and "För många bokningar" in r.get_data(as_text=True)
    assert 'value="16:00"' in r.get_data(as_text=True)
    r = client.hx_post(f"{url}?lang=en", {"day": DAY, "start": "16:00", "end": "16:30", "name": "Eva Ek"})
    assert r.status_code == 429 and "Too many bookings" in r.get_data(as_text=True)
    assert len(rows(app)) == 3 and len(rows(app, RateHit)) == hits  # a refused attempt writes nothing
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    r = other.hx_post(url, {"day": DAY, "start": "16:00", "end": "16:30", "name": "Per Ek"})
    assert r.status_code == 200
    clock.advance(timedelta(hours=1, minutes=1))
    r = client.hx_post(url, {"day": DAY, "start": "17:00", "end": "17:30", "name": "Eva Ek"})
    assert r.status_code == 200


def test_feed_bookings_are_read_only_on_the_staff_page(frozen_clock, app, client, staff_room):
    feed_id = feed_booking(app, staff_room.room_id, "13:00", "14:00")
    html = client.get("/rooms/videorum-s/day").get_data(as_text=True)
    assert "Från rummets kalender" in html and f"/bookings/{feed_id}/" not in html
    assert client.hx_post(f"/rooms/videorum-s/day/bookings/{feed_id}/cancel").status_code == 403


def test_an_inactive_room_has_no_staff_page(frozen_clock, app, client, make_room):
    make_room(name="Videorum X", slug="videorum-x", active=False)
    assert client.get("/rooms/videorum-x/day").status_code == 404
    r = client.hx_post("/rooms/videorum-x/day/bookings", {"day": DAY, "start": "14:00", "end": "14:30", "name": "A B"})
    assert r.status_code == 404
