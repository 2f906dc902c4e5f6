"""The day plan (the unit's hours as quarter-hour rows to book from) on the
board's room page, the staff day page and the console's bookings; a refusal
said beside the form that was sent; cancelling that asks first; the board's
warnings for a booking nobody checked in to; "nu" for a room free now.

The unit's hours are the same every day, so nothing depends on the weekday
the frozen clock falls on."""

import io
import re
import subprocess
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Booking, Room, Unit

from .test_booking_surfaces import DAY, at, book, text_of

EVERY_DAY = ";".join(["08:00-17:00"] * 7)
NEXT_DAY = (date.fromisoformat(DAY) + timedelta(days=1)).isoformat()


def set_hours(app, room_id: int, text: str | None) -> None:
    with app.app_context():
        room = db.session.get(Room, room_id)
        db.session.get(Unit, room.unit_id).opening_hours = text
        db.session.commit()


@pytest.fixture
def board_client(app, door_client, pair):
    """A board tablet of the door_client's unit, open 08-17 every day (.slug, .room_id)."""
    with app.app_context():
        unit_id = db.session.get(Room, door_client.room_id).unit_id
    set_hours(app, door_client.room_id, EVERY_DAY)
    client = pair(app.test_client(), unit_id=unit_id)
    client.slug, client.room_id = door_client.slug, door_client.room_id
    return client


def cells(html: str) -> dict[str, str]:
    """The plan's quarters: time -> free | booked | past."""
    found = re.findall(r'class="plan-cell is-(free|booked|past)[^"]*">(?:<input [^>]*value="(\d\d:\d\d)"[^>]*> )?'
                       r'<span>(\d\d[.:]\d\d)</span>', html)
    return {shown.replace(".", ":"): state for state, _value, shown in found}


def bookings_of(app, room_id):
    with app.app_context():
        return [(b.status, clock.local(b.starts_at).strftime("%H:%M"), clock.local(b.ends_at).strftime("%H:%M"))
                for b in db.session.scalars(select(Booking).where(Booking.room_id == room_id)
                                            .order_by(Booking.starts_at))]


def test_the_board_shows_the_units_hours_as_quarter_hours(frozen_clock, app, board_client):
    book(app, board_client.room_id, "11:00", "11:30", holder_name="Dr Ek")
    clock.freeze(at("10:05"))
    r = board_client.get(f"/board/rooms/{board_client.slug}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    plan = cells(html)
    assert len(plan) == 36 and min(plan) == "08:00" and max(plan) == "16:45"  # 08-17, every quarter
    assert plan["09:45"] == plan["10:00"] == "past" and plan["10:15"] == "free"
    assert plan["11:00"] == plan["11:15"] == "booked" and plan["11:30"] == "free"
    words = text_of(html)
    assert "Öppet 08.00–17.00" in words and "Bokat 11.00–11.30 · Dr Ek" in words
    # one radio group (arrow keys), the lengths, a date picker, the previous and next day
    assert html.count('name="start" value=') == 36 - 9 - 2 and 'name="minutes" value="30" checked' in html
    assert 'type="date" value="2026-11-26"' in html
    assert f'href="/board/rooms/{board_client.slug}?day={NEXT_DAY}"' in html
    assert f'href="/board/rooms/{board_client.slug}?day=2026-11-25"' in html


def test_a_free_quarter_is_booked_with_a_length_without_javascript(frozen_clock, app, board_client):
    url = f"/board/rooms/{board_client.slug}/bookings"
    r = board_client.form_post(url, {"day": DAY, "start": "10:30", "minutes": "45"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/board/rooms/{board_client.slug}")
    assert bookings_of(app, board_client.room_id) == [("booked", "10:30", "11:15")]
    plan = cells(board_client.get(r.headers["Location"]).get_data(as_text=True))
    assert plan["10:30"] == plan["11:00"] == "booked" and plan["11:15"] == "free"
    # another day: the answer goes back to that day's plan
    r = board_client.form_post(url, {"day": NEXT_DAY, "start": "08:00", "minutes": "15"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"?day={NEXT_DAY}")
    page = board_client.get(r.headers["Location"]).get_data(as_text=True)
    assert cells(page)["08:00"] == "booked" and cells(page)["08:15"] == "free"
    # a length that is not offered is refused, beside the form
    r = board_client.form_post(url, {"day": DAY, "start": "13:00", "minutes": "50"})
    assert r.status_code == 400 and "Välj en längd bland alternativen" in text_of(r.get_data(as_text=True))


def test_an_overlap_is_said_beside_the_plan_with_the_focus(frozen_clock, app, board_client):
    book(app, board_client.room_id, "11:00", "11:30")
    url = f"/board/rooms/{board_client.slug}/bookings"
    r = board_client.form_post(url, {"day": DAY, "start": "10:45", "minutes": "30", "name": "Eva Ek"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    refusal = re.search(r'<div id="plan-error"[^>]*>(.*?)</div>', html, re.S)
    assert refusal and 'role="alert"' in refusal.group(0) and "autofocus" in refusal.group(0)
    assert "Rummet är redan bokat 11.00–11.30" in text_of(refusal.group(1))
    # beside the plan's button, and said once (not at the top of the page as well)
    assert html.index('id="plan-error"') < html.index('id="plan-book"') and html.count("Rummet är redan bokat") == 1
    assert 'value="Eva Ek"' in html and 'value="10:45" required checked' in html  # nothing typed is lost
    # htmx: the panel with the refusal in it (marked as ours, so it is swapped where the form is)
    r = board_client.hx_post(url, {"day": DAY, "start": "10:45", "minutes": "30"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and r.headers.get("X-Kiosk-Error") and "HX-Retarget" not in r.headers
    assert html.lstrip().startswith('<section id="board-room-panel"') and 'id="plan-error"' in html
    assert bookings_of(app, board_client.room_id) == [("booked", "11:00", "11:30")]


def test_a_refused_move_is_said_beside_its_own_form(frozen_clock, app, board_client):
    book(app, board_client.room_id, "11:00", "11:30")
    moved = book(app, board_client.room_id, "13:00", "13:30")
    r = board_client.form_post(f"/board/rooms/{board_client.slug}/bookings/{moved}/move",
                               {"day": DAY, "start": "11:15", "end": "11:45"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and f'id="move-error-{moved}"' in html and 'id="plan-error"' not in html
    assert re.search(rf'<details class="move" id="move-{moved}" open>', html)
    # moving to another day is offered (a date field in the move form)
    assert f'id="move-day-{moved}" name="day" type="date"' in html
    r = board_client.form_post(f"/board/rooms/{board_client.slug}/bookings/{moved}/move",
                               {"day": NEXT_DAY, "start": "09:00", "end": "09:30"})
    assert r.status_code == 303
    with app.app_context():
        assert clock.local_date(db.session.get(Booking, moved).starts_at).isoformat() == NEXT_DAY


def test_cancelling_asks_first(frozen_clock, app, board_client):
    booking = book(app, board_client.room_id, "13:00", "13:30")
    words = text_of(board_client.get(f"/board/rooms/{board_client.slug}").get_data(as_text=True))
    assert "Avboka bokningen 13.00–13.30? Det går inte att ångra." in words and "Ja, avboka" in words
    r = board_client.form_post(f"/board/rooms/{board_client.slug}/bookings/{booking}/cancel")
    assert r.status_code == 303 and bookings_of(app, board_client.room_id) == [("cancelled", "13:00", "13:30")]


def test_the_date_picker_shows_another_day_and_refuses_a_bad_date(frozen_clock, app, board_client):
    book(app, board_client.room_id, "09:00", "09:30", day=NEXT_DAY)
    html = board_client.get(f"/board/rooms/{board_client.slug}?day={NEXT_DAY}").get_data(as_text=True)
    plan = cells(html)
    assert plan["08:00"] == "free" and plan["09:00"] == "booked"  # no quarter of tomorrow is past
    assert "Till i dag" in text_of(html)
    for bad in ("2026-13-01", "x", "2026-02-30"):
        r = board_client.get(f"/board/rooms/{board_client.slug}?day={bad}")
        assert r.status_code == 400 and "Skriv datumet som ÅÅÅÅ-MM-DD" in text_of(r.get_data(as_text=True))


def test_a_closed_day_and_a_unit_without_hours(frozen_clock, app, board_client):
    weekday = date.fromisoformat(DAY).weekday()
    set_hours(app, board_client.room_id, ";".join("" if i == weekday else "08:00-17:00" for i in range(7)))
    words = text_of(board_client.get(f"/board/rooms/{board_client.slug}").get_data(as_text=True))
    assert "Enheten har stängt den här dagen" in words
    assert len(cells(board_client.get(f"/board/rooms/{board_client.slug}?day={NEXT_DAY}")
                     .get_data(as_text=True))) == 36
    set_hours(app, board_client.room_id, None)  # no hours: the working day 07-18
    plan = cells(board_client.get(f"/board/rooms/{board_client.slug}").get_data(as_text=True))
    assert min(plan) == "07:00" and max(plan) == "17:45"


def test_the_plan_in_english(frozen_clock, app, board_client):
    words = text_of(board_client.get(f"/board/rooms/{board_client.slug}?lang=en").get_data(as_text=True))
    assert "Open 08:00–17:00" in words and "Book the chosen time" in words and "Previous day" in words


def test_the_staff_day_page_books_from_the_plan_in_ones_name(frozen_clock, app, client, make_room):
    room_id = make_room(name="Videorum P", slug="videorum-p")
    set_hours(app, room_id, EVERY_DAY)
    html = client.get("/rooms/videorum-p/day").get_data(as_text=True)
    assert len(cells(html)) == 36 and 'id="plan-name" name="name" maxlength="80" autocomplete="off" required' in html
    url = "/rooms/videorum-p/day/bookings"
    r = client.form_post(url, {"day": DAY, "start": "14:00", "minutes": "60"})
    assert r.status_code == 400 and 'id="plan-error"' in r.get_data(as_text=True)
    r = client.form_post(url, {"day": DAY, "start": "14:00", "minutes": "60", "name": "Eva Ek"})
    assert r.status_code == 303 and bookings_of(app, room_id) == [("booked", "14:00", "15:00")]


def test_the_consoles_bookings_show_the_plan(frozen_clock, app, door_client):
    from kiosk.rooms import pairing
    set_hours(app, door_client.room_id, EVERY_DAY)
    console = app.test_client()
    with app.app_context():
        room = db.session.get(Room, door_client.room_id)
        code = pairing.new_code("console", room.unit, room, actor="test")
    assert console.form_post("/pair", {"code": code}).status_code == 303
    html = console.get(f"/rooms/{door_client.slug}/console/bookings").get_data(as_text=True)
    assert len(cells(html)) == 36 and f'action="/rooms/{door_client.slug}/console/bookings"' in html


# ---- warnings on the board ----------------------------------------------------------


def test_the_board_warns_before_releasing_then_says_it_released(frozen_clock, app, board_client):
    book(app, board_client.room_id, "10:30", "11:00")
    clock.freeze(at("10:31"))  # start + 1 min, nobody checked in
    words = text_of(board_client.get("/board").get_data(as_text=True))
    assert "Ej incheckad – släpps 10.40" in words and "Frigjord" not in words
    room_page = text_of(board_client.get(f"/board/rooms/{board_client.slug}").get_data(as_text=True))
    assert "Ej incheckad – släpps 10.40" in room_page
    clock.freeze(at("10:40"))  # start + 10 min: released
    words = text_of(board_client.get("/board").get_data(as_text=True))
    assert "Frigjord 10.40 – ingen checkade in" in words and "Ej incheckad" not in words
    assert bookings_of(app, board_client.room_id) == [("released", "10:30", "11:00")]
    clock.freeze(at("10:54"))
    assert "Frigjord 10.40 – ingen checkade in" in text_of(board_client.get("/board").get_data(as_text=True))
    clock.freeze(at("10:56"))  # shown for 15 minutes
    assert "Frigjord 10.40" not in text_of(board_client.get("/board").get_data(as_text=True))


def test_the_warnings_in_english(frozen_clock, app, board_client):
    book(app, board_client.room_id, "10:30", "11:00")
    clock.freeze(at("10:31"))
    assert "Not checked in – released at 10:40" in text_of(board_client.get("/board?lang=en").get_data(as_text=True))


def test_a_room_free_now_says_now(frozen_clock, app, board_client):
    clock.freeze(at("10:02"))
    words = text_of(board_client.get("/board").get_data(as_text=True))
    assert "30 min nu" in words and "10.05" not in words


def test_the_door_warns_too(frozen_clock, app, board_client, door_client):
    book(app, door_client.room_id, "10:30", "11:00")
    clock.freeze(at("10:31"))
    words = text_of(door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True))
    assert "Bokat 10.30–11.00" in words and "Ej incheckad – släpps 10.40" in words


# ---- every booking findable: admin lists any range of days -----------------------------


def test_admin_finds_and_cancels_a_booking_30_days_ahead(frozen_clock, app, admin_client, make_room):
    room_id = make_room()
    far = (date.fromisoformat(DAY) + timedelta(days=30)).isoformat()
    booking = book(app, room_id, "09:00", "09:30", day=far, holder_name="Dr Ek")
    url = f"/admin/rooms/{room_id}/bookings"
    words = text_of(admin_client.get(url).get_data(as_text=True))
    assert "Bokningar 2026-11-26–2026-12-09" in words and "Inga bokningar." in words  # the default: two weeks
    ranged = f"{url}?from={far}&to={far}"
    html = admin_client.get(ranged).get_data(as_text=True)
    assert f"{far} 09.00–09.30 Dr Ek Bokad" in text_of(html)
    cancel = f"{url}/{booking}/cancel?from={far}&amp;to={far}"
    assert f'action="{cancel}"' in html
    r = admin_client.form_post(cancel.replace("&amp;", "&"))
    assert r.status_code == 303 and r.headers["Location"].endswith(f"?from={far}&to={far}")
    words = text_of(admin_client.get(r.headers["Location"]).get_data(as_text=True))
    assert "Bokningen är avbokad." in words and f"{far} 09.00–09.30 Dr Ek Avbokad" not in words
    with app.app_context():
        assert db.session.get(Booking, booking).status == "cancelled"


@pytest.mark.parametrize("query", ["from=2026-13-01", "from=x&to=2026-12-01", "from=2026-12-01&to=2026-11-01",
                                   "from=2026-01-01&to=2027-06-01", "to=%C2%B2"])
def test_admin_refuses_a_range_that_is_no_range(frozen_clock, app, admin_client, make_room, query):
    r = admin_client.get(f"/admin/rooms/{make_room()}/bookings?{query}")
    assert r.status_code == 400 and "Välj två datum" in text_of(r.get_data(as_text=True))


# ---- the patient's letter from a booking ---------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                         check=True)
    return " ".join(out.stdout.decode().split())


@pytest.mark.parametrize("lang, time_text, name_line", [("sv", "11.00–11.30", "Ditt namn"),
                                                         ("en", "11:00–11:30", "Your name")])
def test_the_patients_letter_from_a_booking(frozen_clock, app, board_client, lang, time_text, name_line):
    with app.app_context():
        unit = db.session.get(Room, board_client.room_id).unit
        unit.phone, unit.letter_name = "08-123 456 78", "Hudmottagningen Solna"
        db.session.commit()
    booking = book(app, board_client.room_id, "11:00", "11:30", holder_name="Dr Ekström", holder_title="Läkare")
    html = board_client.get(f"/board/rooms/{board_client.slug}").get_data(as_text=True)
    url = f"/print/letters/{booking}.pdf?lang={lang}"
    assert f'href="{url}"' in html and "Skriv ut patientinformation" in html
    r = board_client.get(url)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    assert DAY in text and time_text in text and "08-123 456 78" in text and "Hudmottagningen Solna" in text
    assert name_line in text and "Ekström" not in text and "Läkare" not in text
    root = PdfReader(io.BytesIO(r.data)).trailer["/Root"]
    assert root["/Lang"] == lang and "/StructTreeRoot" in root


def test_a_letter_for_no_booking_is_a_404(frozen_clock, app, board_client):
    booking = book(app, board_client.room_id, "11:00", "11:30")
    for bad in ("999999", str(2**31), "12345678901234"):
        assert board_client.get(f"/print/letters/{bad}.pdf").status_code == 404
    assert board_client.get(f"/print/letters/{booking}.pdf?lang=xx").status_code == 400
    board_client.form_post(f"/board/rooms/{board_client.slug}/bookings/{booking}/cancel")
    assert board_client.get(f"/print/letters/{booking}.pdf").status_code == 404


def test_admin_gives_a_unit_its_phone_and_letter_name(frozen_clock, app, admin_client, make_unit):
    unit_id = make_unit()
    url = f"/admin/units/{unit_id}"
    html = admin_client.get(url).get_data(as_text=True)
    assert 'id="unit-phone"' in html and 'id="unit-letter-name"' in html
    r = admin_client.form_post(url, {"name": "Mottagning X", "phone": "08-123 456 78",
                                     "letter_name": "Hudmottagningen Solna"})
    assert r.status_code == 303
    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        assert (unit.phone, unit.letter_name) == ("08-123 456 78", "Hudmottagningen Solna")
    for bad in ("ring oss", "08-１２３ 456", "0²-123 456 78", "1" * 41):
        r = admin_client.form_post(url, {"name": "Mottagning X", "phone": bad})
        assert r.status_code == 400 and "Skriv ett telefonnummer" in text_of(r.get_data(as_text=True)), bad


def test_the_board_finds_and_cancels_a_booking_on_a_day_it_picks(frozen_clock, app, board_client):
    far = (date.fromisoformat(DAY) + timedelta(days=30)).isoformat()
    booking = book(app, board_client.room_id, "09:00", "09:30", day=far, holder_name="Dr Ek")
    html = board_client.get(f"/board/rooms/{board_client.slug}").get_data(as_text=True)
    assert f"bookings/{booking}/cancel" not in html  # today's page lists today
    html = board_client.get(f"/board/rooms/{board_client.slug}?day={far}").get_data(as_text=True)
    assert f"Bokningar {far}" in text_of(html) and f"bookings/{booking}/cancel" in html
    r = board_client.form_post(f"/board/rooms/{board_client.slug}/bookings/{booking}/cancel")
    assert r.status_code == 303 and bookings_of(app, board_client.room_id) == [("cancelled", "09:00", "09:30")]
    words = text_of(board_client.get(f"/board/rooms/{board_client.slug}?day={far}").get_data(as_text=True))
    assert "Inga bokningar den här dagen." in words
