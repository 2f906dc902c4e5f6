"""Bookable times follow the unit's opening hours (kiosk/hours.py's ``within``,
the one rule): the day plan shows the quarters outside them as closed, and a
booking or a move outside them is refused with the hours in the message,
beside the form that was sent, with nothing written - on the board, the staff
day page, the console's bookings and in admin alike."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from kiosk import clock, hours
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Booking, Room, Unit
from kiosk.rooms import pairing
from kiosk.rooms.service import Actor

DAY = "2026-11-26"  # the frozen clock is 10:00 in Sweden that day (a Thursday)
HALF_PAST = ";".join(["08:30-16:30"] * 7)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def cells(html: str) -> dict[str, str]:
    """The plan's quarters: time -> free | booked | past | closed."""
    found = re.findall(r'class="plan-cell is-(free|booked|past|closed)[^"]*">(?:<input [^>]*> )?'
                       r'<span>(\d\d[.:]\d\d)</span>', html)
    return {shown.replace(".", ":"): state for state, shown in found}


def set_hours(app, room_id: int, text: str | None) -> None:
    with app.app_context():
        db.session.get(Unit, db.session.get(Room, room_id).unit_id).opening_hours = text
        db.session.commit()


def booking_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Booking.id)))


@pytest.fixture
def board(app, door_client, pair):
    """A board tablet of the door_client's unit, open 08.30-16.30 every day (.slug, .room_id)."""
    with app.app_context():
        unit_id = db.session.get(Room, door_client.room_id).unit_id
    set_hours(app, door_client.room_id, HALF_PAST)
    client = pair(app.test_client(), unit_id=unit_id)
    client.slug, client.room_id = door_client.slug, door_client.room_id
    return client


def test_the_rule(frozen_clock, app):
    at = lambda hhmm, day=DAY: bookings.parse_local(day, hhmm)  # noqa: E731
    assert hours.within(HALF_PAST, at("08:30"), at("16:30"))
    assert not hours.within(HALF_PAST, at("08:15"), at("08:45"))
    assert not hours.within(HALF_PAST, at("16:15"), at("16:45"))
    assert hours.within(None, at("06:00"), at("23:00"))  # no hours: always open
    thursday = date.fromisoformat(DAY).weekday()
    closed_today = ";".join("" if i == thursday else "08:30-16:30" for i in range(7))
    assert not hours.within(closed_today, at("10:00"), at("10:30"))
    assert hours.span_on(closed_today, date.fromisoformat(DAY)) is None


def test_the_plan_shows_the_quarters_outside_the_hours_as_closed(frozen_clock, app, board):
    html = board.get(f"/board/rooms/{board.slug}").get_data(as_text=True)
    plan = cells(html)
    assert len(plan) == 36 and min(plan) == "08:00" and max(plan) == "16:45"  # whole hours, 08-17
    assert plan["08:00"] == plan["08:15"] == plan["16:30"] == plan["16:45"] == "closed"
    assert plan["10:15"] == plan["16:15"] == "free" and plan["09:45"] == "past"
    assert 'value="08:15"' not in html and 'value="16:30"' not in html  # a closed quarter cannot be chosen
    assert "08.00 stängt" in text_of(html) and "Öppet 08.30–16.30" in text_of(html)
    words = text_of(board.get(f"/board/rooms/{board.slug}?lang=en").get_data(as_text=True))
    assert "08:00 closed" in words and "Open 08:30–16:30" in words


@pytest.mark.parametrize("data, where", [
    ({"day": DAY, "start": "16:15", "minutes": "30"}, "plan-error"),   # the plan: past the closing
    ({"day": DAY, "start": "16:30", "end": "17:00"}, "book-error"),    # the typed form: after it
    ({"day": "2026-11-27", "start": "07:00", "end": "08:45"}, "book-error"),  # before the opening
])
def test_a_booking_outside_the_hours_is_refused_beside_its_form(frozen_clock, app, board, data, where):
    url = f"/board/rooms/{board.slug}/bookings"
    r = board.form_post(url, data)
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    refusal = re.search(rf'<div id="{where}"[^>]*>(.*?)</div>', html, re.S)
    assert refusal and 'role="alert"' in refusal.group(0) and "autofocus" in refusal.group(0)
    assert "Enheten har öppet 08.30–16.30 den dagen" in text_of(refusal.group(1))
    assert html.count("Enheten har öppet") == 1
    r = board.hx_post(f"{url}?lang=en", data)
    assert r.status_code == 409 and "<html" not in r.get_data(as_text=True)
    assert "The unit is open 08:30–16:30 on that day" in text_of(r.get_data(as_text=True))
    assert booking_count(app) == 0


def test_a_closed_day_is_refused_and_a_move_follows_the_rule(frozen_clock, app, board):
    thursday = date.fromisoformat(DAY).weekday()
    set_hours(app, board.room_id, ";".join("" if i == thursday + 1 else "08:30-16:30" for i in range(7)))
    r = board.hx_post(f"/board/rooms/{board.slug}/bookings", {"day": "2026-11-27", "start": "10:00", "end": "10:30"})
    assert r.status_code == 409 and "Enheten har stängt den dagen" in text_of(r.get_data(as_text=True))
    with app.app_context():
        moved = bookings.create(board.room_id, Actor("test"), bookings.parse_local(DAY, "11:00"),
                                bookings.parse_local(DAY, "11:30")).id
    for day, start, end in (("2026-11-27", "11:00", "11:30"), (DAY, "16:15", "16:45")):
        r = board.form_post(f"/board/rooms/{board.slug}/bookings/{moved}/move", {"day": day, "start": start, "end": end})
        assert r.status_code == 409 and f'id="move-error-{moved}"' in r.get_data(as_text=True)
    with app.app_context():
        b = db.session.get(Booking, moved)
        assert clock.local(b.starts_at).strftime("%H:%M") == "11:00" and b.status == "booked"


def test_the_staff_page_the_console_and_admin_follow_the_same_rule(frozen_clock, app, board, client, door_client,
                                                                     admin_client):
    data = {"day": DAY, "start": "16:15", "minutes": "30", "name": "Eva Ek"}
    r = client.form_post(f"/rooms/{board.slug}/day/bookings", data)
    assert r.status_code == 409 and "Enheten har öppet 08.30–16.30" in text_of(r.get_data(as_text=True))
    assert 'id="plan-error"' in r.get_data(as_text=True)
    html = client.get(f"/rooms/{board.slug}/day").get_data(as_text=True)
    assert cells(html)["16:30"] == "closed"

    console = app.test_client()
    with app.app_context():
        room = db.session.get(Room, board.room_id)
        code = pairing.new_code("console", room.unit, room, actor="test")
    assert console.form_post("/pair", {"code": code}).status_code == 303
    assert cells(console.get(f"/rooms/{board.slug}/console/bookings").get_data(as_text=True))["08:00"] == "closed"
    r = console.form_post(f"/rooms/{board.slug}/console/bookings", data)
    assert r.status_code == 409 and "Enheten har öppet 08.30–16.30" in text_of(r.get_data(as_text=True))

    r = admin_client.form_post(f"/admin/rooms/{board.room_id}/bookings",
                               {"day": DAY, "start": "16:15", "end": "16:45"})
    assert r.status_code == 409 and "Enheten har öppet 08.30–16.30" in text_of(r.get_data(as_text=True))
    assert booking_count(app) == 0
    # Within the hours every surface books.
    assert client.form_post(f"/rooms/{board.slug}/day/bookings", {**data, "start": "16:00"}).status_code == 303
    assert booking_count(app) == 1


def test_a_unit_without_hours_books_any_time(frozen_clock, app, board):
    set_hours(app, board.room_id, None)
    r = board.form_post(f"/board/rooms/{board.slug}/bookings", {"day": DAY, "start": "19:00", "end": "19:30"})
    assert r.status_code == 303 and booking_count(app) == 1
    assert "closed" not in cells(board.get(f"/board/rooms/{board.slug}").get_data(as_text=True)).values()


def test_a_clock_change_day_keeps_the_rule(frozen_clock, app, board):
    """On the autumn night (25 hours) the hours are still wall-clock hours."""
    clock.freeze(bookings.parse_local("2026-10-24", "12:00"))
    r = board.form_post(f"/board/rooms/{board.slug}/bookings", {"day": "2026-10-25", "start": "08:30", "end": "09:00"})
    assert r.status_code == 303
    r = board.form_post(f"/board/rooms/{board.slug}/bookings", {"day": "2026-10-25", "start": "16:30", "end": "17:00"})
    assert r.status_code == 409
    plan = cells(board.get(f"/board/rooms/{board.slug}?day=2026-10-25").get_data(as_text=True))
    assert plan["08:15"] == "closed" and plan["08:30"] == "booked" and plan["16:15"] == "free"


def test_the_next_free_slots_follow_the_hours(frozen_clock, app, board, client):
    clock.freeze(bookings.parse_local(DAY, "16:00"))
    html = board.get(f"/board/rooms/{board.slug}").get_data(as_text=True)
    slots = dict(re.findall(r"<dt>(\d+) min</dt><dd>([^<]+)</dd>", html))
    assert slots == {"15": "nu", "30": "nu", "45": "Ingen ledig tid i dag", "60": "Ingen ledig tid i dag"}
    clock.freeze(bookings.parse_local(DAY, "07:00"))  # before the opening: from the opening
    html = board.get(f"/board/rooms/{board.slug}").get_data(as_text=True)
    assert set(dict(re.findall(r"<dt>(\d+) min</dt><dd>([^<]+)</dd>", html)).values()) == {"08.30"}
    assert "60 min 08.30" in text_of(board.get("/board").get_data(as_text=True))  # behind the night screen
    assert "08.30" in text_of(client.get("/rooms").get_data(as_text=True))


def scale(html: str) -> list[tuple[str, str]]:
    """Each timeline's first and last hour as written under it."""
    return re.findall(r'<p class="timeline-scale"><span>([^<]+)</span><span>([^<]+)</span></p>', html)


def test_the_boards_timelines_follow_the_units_opening_hours(frozen_clock, app, board):
    """A unit open 08.30-16.30 gets a timeline of its whole hours 08-17; a unit
    without hours, or closed that day, the working day 07-18."""
    assert set(scale(board.get("/board").get_data(as_text=True))) == {("08.00", "17.00")}
    assert ("08.00", "17.00") in scale(board.get(f"/board/rooms/{board.slug}").get_data(as_text=True))
    set_hours(app, board.room_id, ";".join(["10:00-12:00"] * 3 + [""] * 4))  # closed on Thursdays (today)
    assert set(scale(board.get("/board").get_data(as_text=True))) == {("07.00", "18.00")}
    set_hours(app, board.room_id, None)
    assert set(scale(board.get("/board").get_data(as_text=True))) == {("07.00", "18.00")}
    set_hours(app, board.room_id, ";".join(["10:00-12:00"] * 7))
    assert set(scale(board.get("/board").get_data(as_text=True))) == {("10.00", "12.00")}
    set_hours(app, board.room_id, ";".join(["10:00-11:30"] * 7))  # now (10.00) and 11.30 in whole hours
    assert set(scale(board.get("/board").get_data(as_text=True))) == {("10.00", "12.00")}
