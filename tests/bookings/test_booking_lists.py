"""Every booking findable: admin lists the bookings of the units it sees and
the reception board its unit's, by range of days (past the two weeks the day
pages show, up to the booking horizon), narrowed to a unit or a room, and
cancels them. One reading of the range (the room's admin page reads it too);
a bad date is the form's message (400), never a 500; another unit's room,
unit or booking is as unknown as none (404); the list is one query whatever
its length."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Booking, Event
from tests.admin_support import log_in
from tests.query_support import statements

from .test_booking_moves import state  # noqa: F401  (the rooms' fixtures below)
from .test_booking_moves import board, unit_rooms  # noqa: F401
from .test_booking_surfaces import DAY, book, text_of

IN_30_DAYS = (date.fromisoformat(DAY) + timedelta(days=30)).isoformat()  # 2026-12-26
IN_200_DAYS = (date.fromisoformat(DAY) + timedelta(days=200)).isoformat()


def status_of(app, booking_id):
    with app.app_context():
        return db.session.get(Booking, booking_id).status


# ---- admin -------------------------------------------------------------------------------


def test_admin_finds_a_booking_30_days_ahead_and_cancels_it(frozen_clock, app, admin_client, unit_rooms):
    later = book(app, unit_rooms.a, "14:00", "14:30", day=IN_30_DAYS, holder_name="Eva Ek")
    book(app, unit_rooms.x, "09:00", "09:30", day=IN_200_DAYS)
    # by default today and the next two weeks: not there
    r = admin_client.get("/admin/bookings")
    assert r.status_code == 200 and "Eva Ek" not in r.get_data(as_text=True)
    assert 'aria-current="page">Bokningar</a>' in r.get_data(as_text=True)
    r = admin_client.get(f"/admin/bookings?from={DAY}&to={IN_200_DAYS}")
    words = text_of(r.get_data(as_text=True))
    assert r.status_code == 200
    assert "2026-12-26 14.00–14.30 Videorum A (Hudmottagningen) Eva Ek" in words
    assert f"{IN_200_DAYS} 09.00–09.30 Videorum X" in words
    # narrowed to a unit, then a room
    r = admin_client.get(f"/admin/bookings?from={DAY}&to={IN_200_DAYS}&unit={unit_rooms.unit_id}")
    assert "Eva Ek" in r.get_data(as_text=True) and "Videorum X (" not in r.get_data(as_text=True)
    r = admin_client.get(f"/admin/bookings?from={DAY}&to={IN_200_DAYS}&room={unit_rooms.b}")
    assert "Eva Ek" not in r.get_data(as_text=True) and "Inga bokningar." in r.get_data(as_text=True)
    # cancelled (asked first), back to the list as it was
    args = f"from={DAY}&to={IN_30_DAYS}&unit={unit_rooms.unit_id}"
    page = admin_client.get(f"/admin/bookings?{args}").get_data(as_text=True)
    action = re.search(rf'action="([^"]*/admin/bookings/{later}/cancel[^"]*)"', page).group(1).replace("&amp;", "&")
    r = admin_client.form_post(action)
    assert r.status_code == 303 and r.headers["Location"] == f"/admin/bookings?{args}"
    assert status_of(app, later) == "cancelled"
    page = admin_client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Bokningen är avbokad." in page and "Eva Ek" not in page
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.kind == "booking-cancel"))
        assert event.actor.startswith("admin:") and event.room_id == unit_rooms.a
    # a second cancel: the booking is no longer open (409, the list with the message)
    r = admin_client.form_post(f"/admin/bookings/{later}/cancel")
    assert r.status_code == 409 and "går inte att ändra längre" in r.get_data(as_text=True)


@pytest.mark.parametrize("lang,says", [("sv", "Välj två datum"), ("en", "Choose two dates")])
def test_admin_list_bad_dates_are_the_forms_message(frozen_clock, app, admin_client, unit_rooms, lang, says):
    for query in ("from=2026-13-40", "to=26-11-2026", "from=2026-12-01&to=2026-11-01",
                  f"from={DAY}&to=2027-12-31", "from=%00%ff&to=x" * 3, "from=" + "9" * 500):
        r = admin_client.get(f"/admin/bookings?{query}&lang={lang}")
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and says in html, query
        assert 'aria-invalid="true"' in html and 'role="alert"' in html  # beside the field, announced
    for query in ("unit=abc", "room=1x", f"unit={'9' * 40}"):
        assert admin_client.get(f"/admin/bookings?{query}").status_code == 400, query


def test_a_unit_manager_sees_and_cancels_only_the_units_bookings(frozen_clock, app, admin_app, make_admin,
                                                                  unit_rooms):
    ours = book(app, unit_rooms.a, "14:00", "14:30", day=IN_30_DAYS, holder_name="Eva Ek")
    theirs = book(app, unit_rooms.x, "14:00", "14:30", day=IN_30_DAYS, holder_name="Ola Berg")
    manager = admin_app.test_client()
    log_in(manager, make_admin("unit", unit_id=unit_rooms.unit_id))
    r = manager.get(f"/admin/bookings?from={DAY}&to={IN_30_DAYS}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Eva Ek" in html and "Ola Berg" not in html and "Videorum X" not in html
    with app.app_context():
        other_unit = db.session.scalar(select(Booking).where(Booking.id == theirs)).room.unit_id
    r = manager.get(f"/admin/bookings?unit={other_unit}")
    assert r.status_code == 404 and "finns inte bland dina enheter" in r.get_data(as_text=True)
    r = manager.get(f"/admin/bookings?room={unit_rooms.x}")
    assert r.status_code == 404 and "Ola Berg" not in r.get_data(as_text=True)
    assert manager.form_post(f"/admin/bookings/{theirs}/cancel").status_code == 404
    assert manager.form_post("/admin/bookings/2147483648/cancel").status_code == 404
    assert status_of(app, theirs) == "booked"
    # without the CSRF token nothing happens; with it, the unit's own is cancelled
    assert manager.post(f"/admin/bookings/{ours}/cancel").status_code == 400
    assert status_of(app, ours) == "booked"
    assert manager.form_post(f"/admin/bookings/{ours}/cancel").status_code == 303
    assert status_of(app, ours) == "cancelled"


def test_the_admin_list_needs_a_login(app, client):
    r = client.get("/admin/bookings")
    assert r.status_code in (302, 303) and "/admin/login" in r.headers["Location"]


def test_the_rooms_admin_page_reads_the_range_the_same_way(frozen_clock, app, admin_client, unit_rooms):
    book(app, unit_rooms.a, "14:00", "14:30", day=IN_30_DAYS, holder_name="Eva Ek")
    url = f"/admin/rooms/{unit_rooms.a}/bookings"
    assert "Eva Ek" not in admin_client.get(url).get_data(as_text=True)
    assert "Eva Ek" in admin_client.get(f"{url}?from={IN_30_DAYS}").get_data(as_text=True)
    r = admin_client.get(f"{url}?from=2026-13-40")
    assert r.status_code == 400 and "Välj två datum" in r.get_data(as_text=True)


# ---- the reception board --------------------------------------------------------------


def test_the_board_lists_the_units_bookings_by_range_and_cancels(frozen_clock, app, board, unit_rooms):
    later = book(app, unit_rooms.a, "14:00", "14:30", day=IN_30_DAYS, holder_name="Eva Ek")
    book(app, unit_rooms.b, "09:00", "09:45", day=IN_200_DAYS)
    book(app, unit_rooms.x, "10:00", "10:30", day=IN_30_DAYS, holder_name="Ola Berg")
    assert 'href="/board/bookings"' in board.get("/board").get_data(as_text=True)
    assert 'href="/board/bookings?room=videorum-a"' in board.get("/board/rooms/videorum-a").get_data(as_text=True)
    r = board.get("/board/bookings")
    assert r.status_code == 200 and "Eva Ek" not in r.get_data(as_text=True)  # two weeks by default
    r = board.get(f"/board/bookings?from={DAY}&to={IN_200_DAYS}")
    words = text_of(r.get_data(as_text=True))
    assert "2026-12-26 Videorum A Bokat 14.00–14.30 · Eva Ek" in words and "Bokat 09.00–09.45" in words
    assert "Ola Berg" not in words  # another unit's
    assert f'href="/board/rooms/videorum-a?day={IN_30_DAYS}"' in r.get_data(as_text=True)  # its day, to move it
    r = board.get(f"/board/bookings?from={DAY}&to={IN_200_DAYS}&room=videorum-b")
    assert "Eva Ek" not in r.get_data(as_text=True) and "Bokat 09.00–09.45" in r.get_data(as_text=True)
    # htmx: the list as a fragment; the cancel answers with the list without it
    fragment = board.hx_get(f"/board/bookings?from={DAY}&to={IN_30_DAYS}")
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="board-bookings-panel"')
    r = board.hx_post(f"/board/bookings/{later}/cancel?from={DAY}&to={IN_30_DAYS}")
    assert r.status_code == 200 and "<html" not in r.get_data(as_text=True)
    assert "Eva Ek" not in r.get_data(as_text=True) and status_of(app, later) == "cancelled"
    # a refused cancel is said beside that booking's form
    r = board.hx_post(f"/board/bookings/{later}/cancel")
    assert r.status_code == 409


def test_a_plain_form_cancels_from_the_boards_list_and_goes_back_to_it(frozen_clock, app, board, unit_rooms):
    later = book(app, unit_rooms.a, "14:00", "14:30", day=IN_30_DAYS)
    r = board.form_post(f"/board/bookings/{later}/cancel?from={DAY}&to={IN_30_DAYS}&room=videorum-a")
    assert r.status_code == 303
    assert r.headers["Location"] == f"/board/bookings?from={DAY}&to={IN_30_DAYS}&room=videorum-a"
    assert status_of(app, later) == "cancelled"


@pytest.mark.parametrize("lang,says", [("sv", "Välj två datum"), ("en", "Choose two dates")])
def test_the_boards_list_refuses_bad_input_with_its_message(frozen_clock, app, board, unit_rooms, lang, says):
    theirs = book(app, unit_rooms.x, "10:00", "10:30", day=IN_30_DAYS)
    for query in ("from=2026-13-40", "from=2026-12-01&to=2026-11-01", f"from={DAY}&to=2027-12-31", "to=" + "x" * 900):
        r = board.get(f"/board/bookings?{query}&lang={lang}")
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and says in html and 'id="list-error"' in html, query
    for room in ("videorum-x", "no-such-room", "Ä" * 90):
        r = board.get(f"/board/bookings?room={room}&lang={lang}")
        assert r.status_code == 404, room
    # another unit's booking, an unknown id, a huge one: 404, nothing written; no CSRF token: 400
    for booking_id in (theirs, 999999, 2147483648):
        assert board.hx_post(f"/board/bookings/{booking_id}/cancel").status_code == 404
    mine = book(app, unit_rooms.a, "14:00", "14:30", day=IN_30_DAYS)
    assert board.hx_post(f"/board/bookings/{mine}/cancel", csrf=False).status_code == 400
    assert status_of(app, theirs) == status_of(app, mine) == "booked"


def test_only_a_board_or_an_administrator_sees_the_boards_list(frozen_clock, app, client, admin_client, unit_rooms):
    book(app, unit_rooms.a, "14:00", "14:30", day=IN_30_DAYS, holder_name="Eva Ek")
    assert client.get("/board/bookings").status_code == 403
    r = admin_client.get(f"/board/bookings?unit=hud&from={IN_30_DAYS}")
    assert r.status_code == 200 and "Eva Ek" in r.get_data(as_text=True)
    assert 'href="/board/rooms/videorum-a?day=2026-12-26&amp;unit=hud"' in r.get_data(as_text=True)


# ---- one query, whatever the length -------------------------------------------------------


def _fill(app, room_ids, count, hour):
    for n in range(count):
        book(app, room_ids[n % len(room_ids)], f"{hour:02d}:00", f"{hour:02d}:30",
             day=(date.fromisoformat(DAY) + timedelta(days=1 + n // len(room_ids))).isoformat())


def test_the_lists_query_counts_do_not_grow_with_the_bookings(frozen_clock, app, admin_client, board, unit_rooms):
    rooms = [unit_rooms.a, unit_rooms.b, unit_rooms.x]
    urls = [(admin_client, f"/admin/bookings?from={DAY}&to={IN_200_DAYS}"),
            (board, f"/board/bookings?from={DAY}&to={IN_200_DAYS}"),
            (admin_client, f"/admin/rooms/{unit_rooms.a}/bookings?from={DAY}&to={IN_200_DAYS}")]

    def counts():
        found = []
        for who, url in urls:
            with statements(app) as sent:
                assert who.get(url).status_code == 200
            found.append(len(sent))
        return found

    _fill(app, rooms, 3, 9)
    few = counts()
    _fill(app, rooms, 60, 11)
    assert counts() == few
    html = board.get(f"/board/bookings?from={DAY}&to={IN_200_DAYS}").get_data(as_text=True)
    assert html.count('class="day-booking is-booked"') == 42  # the unit's rooms A and B: 2 + 40
