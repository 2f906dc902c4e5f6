"""Bookings where people meet them (issue 13): the door's day, the board's
timelines and booking forms, check-in from reception, the staff and admin pages.
Route tests: full page, htmx fragment, bad input, another unit's room (403),
overlap (409 with its message), the past (400)."""

import re
from datetime import datetime, timedelta

import pytest

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Booking, Room
from kiosk.rooms.service import Actor

DAY = "2026-11-26"  # FROZEN_AT is 10:00 in Sweden that day
RECEPTION = Actor("board:test")


def at(hhmm: str, day: str = DAY) -> datetime:
    return bookings.parse_local(day, hhmm)


def book(app, room_id: int, start: str, end: str, day: str = DAY, **kw) -> int:
    with app.app_context():
        return bookings.create(room_id, RECEPTION, at(start, day), at(end, day), **kw).id


def door_poll_version(html: str) -> str:
    return re.search(r'/door/poll\?v=([^"&]+)', html).group(1)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# ---- the door's day ------------------------------------------------------------------


def test_the_door_says_free_for_the_rest_of_the_day(frozen_clock, app, door_client):
    html = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    assert "Ledigt resten av dagen" in text_of(html)
    assert "Nästa bokning" not in html


def test_the_door_says_until_when_then_booked_15_minutes_before(frozen_clock, app, door_client):
    book(app, door_client.room_id, "14:00", "14:30")
    clock.freeze(at("13:30"))
    html = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    words = text_of(html)
    assert "Ledigt till 14.00" in words and "Nästa bokning 14.00–14.30" in words
    assert "Bokat 14.00–14.30" not in words
    v = door_poll_version(html)
    clock.freeze(at("13:44"))
    assert door_client.hx_get(f"/rooms/{door_client.slug}/door/poll?v={v}").status_code == 204
    clock.freeze(at("13:50"))
    r = door_client.hx_get(f"/rooms/{door_client.slug}/door/poll?v={v}")
    assert r.status_code == 200
    words = text_of(r.get_data(as_text=True))
    assert "Bokat 14.00–14.30" in words and "Ledigt till" not in words
    assert "<html" not in r.get_data(as_text=True)


def test_the_door_in_english_and_a_later_booking(frozen_clock, app, door_client):
    book(app, door_client.room_id, "10:30", "11:00")
    book(app, door_client.room_id, "15:00", "15:45")
    clock.freeze(at("10:20"))
    words = text_of(door_client.get(f"/rooms/{door_client.slug}/door?lang=en").get_data(as_text=True))
    assert "Booked 10:30–11:00" in words and "Next booking 15:00–15:45" in words


def test_the_door_shows_an_ad_hoc_limit_near_the_next_booking(frozen_clock, app, door_client):
    book(app, door_client.room_id, "11:00", "11:30")
    clock.freeze(at("10:20"))
    words = text_of(door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True))
    assert "Ledigt till 11.00" in words and "Du kan använda det fram till dess" in words


def test_the_door_follows_a_new_day(frozen_clock, app, door_client):
    book(app, door_client.room_id, "09:00", "09:30", day="2026-11-27")
    clock.freeze(at("23:50"))
    html = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    assert "Ledigt resten av dagen" in text_of(html)
    v = door_poll_version(html)
    clock.freeze(at("00:05", "2026-11-27"))
    r = door_client.hx_get(f"/rooms/{door_client.slug}/door/poll?v={v}")
    assert r.status_code == 200 and "Ledigt till 09.00" in text_of(r.get_data(as_text=True))


# ---- the board -----------------------------------------------------------------------


@pytest.fixture
def board_client(app, door_client, pair):
    """A board tablet of the door_client's unit."""
    with app.app_context():
        unit_id = db.session.get(Room, door_client.room_id).unit_id
    client = pair(app.test_client(), unit_id=unit_id)
    client.unit_id = unit_id
    return client


def board_version(html):
    return re.search(r'/board/poll\?v=([^"&]+)', html).group(1)


def test_the_board_shows_each_rooms_day_with_a_timeline(frozen_clock, app, board_client, door_client):
    book(app, door_client.room_id, "11:00", "11:30")
    html = board_client.get("/board").get_data(as_text=True)
    assert 'class="timeline"' in html and 'class="tl-now"' in html and 'class="tl-booking tl-booked"' in html
    words = text_of(html)
    assert "Ledigt till 11.00" in words
    # the next free slots: 15-60 minutes from now (10:00) fit before 11:00: "nu", never a rounded time
    assert "Nästa lediga tid i dag" in words and "60 min nu" in words and "Ledigt 30 min från 10.00" not in words


def test_the_board_filters_rooms_free_now_without_javascript(frozen_clock, app, board_client, door_client,
                                                             make_room):
    other = make_room(unit_id=board_client.unit_id, name="Videorum Ö", slug="videorum-o")
    book(app, other, "10:15", "10:45")
    html = board_client.get("/board?free=30").get_data(as_text=True)
    assert "Videorum Ö" not in html and f"/board/rooms/{door_client.slug}" in html
    assert "1 av 2 rum är lediga nu i minst 30 minuter." in text_of(html)
    assert "Videorum Ö" in board_client.get("/board?free=15").get_data(as_text=True)
    r = board_client.get("/board?free=17")
    assert r.status_code == 400 and "Välj en längd" in r.get_data(as_text=True)
    assert board_client.get("/board?free=x' OR 1=1").status_code == 400


def test_the_board_poll_follows_a_booking_and_the_clock(frozen_clock, app, board_client, door_client):
    html = board_client.get("/board").get_data(as_text=True)
    v = board_version(html)
    assert board_client.hx_get(f"/board/poll?v={v}").status_code == 204
    book(app, door_client.room_id, "13:00", "13:30")
    r = board_client.hx_get(f"/board/poll?v={v}")
    assert r.status_code == 200 and "Ledigt till 13.00" in text_of(r.get_data(as_text=True))


def test_the_board_releases_an_unclaimed_booking(frozen_clock, app, board_client, door_client):
    booking_id = book(app, door_client.room_id, "10:30", "11:00")
    clock.freeze(at("10:41"))
    board_client.get("/board")
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "released"


def test_a_door_that_just_answered_is_not_flagged(frozen_clock, app, board_client, door_client):
    clock.advance(timedelta(minutes=5))  # the door said nothing for five minutes ...
    assert "Dörrskärmen svarar inte" in board_client.get("/board").get_data(as_text=True)
    door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {})  # ... and then a clinician checked in there
    assert "Dörrskärmen svarar inte" not in board_client.get("/board").get_data(as_text=True)


# ---- booking and check-in from the board -----------------------------------------------


def test_reception_books_moves_and_cancels(frozen_clock, app, board_client, door_client):
    url = f"/board/rooms/{door_client.slug}"
    page = board_client.get(url)
    assert page.status_code == 200 and "Boka rummet" in page.get_data(as_text=True)
    r = board_client.form_post(f"{url}/bookings", {"day": DAY, "start": "14:00", "end": "14:30",
                                                   "name": "Eva Ek", "title": "Sjuksköterska"})
    assert r.status_code == 303
    with app.app_context():
        b = db.session.query(Booking).filter_by(room_id=door_client.room_id).one()
        booking_id, created_by = b.id, b.created_by
    assert created_by.startswith("board:")
    words = text_of(board_client.get(url).get_data(as_text=True))
    assert "Bokat 14.00–14.30 · Eva Ek, Sjuksköterska" in words
    # htmx: the room's page as a fragment
    r = board_client.hx_post(f"{url}/bookings/{booking_id}/move", {"day": DAY, "start": "15:00", "end": "15:45"})
    assert r.status_code == 200 and "<html" not in r.get_data(as_text=True)
    assert "Bokat 15.00–15.45" in text_of(r.get_data(as_text=True))
    r = board_client.hx_post(f"{url}/bookings/{booking_id}/cancel")
    assert r.status_code == 200 and "Inga bokningar i dag." in text_of(r.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "cancelled"


def test_overlap_is_409_and_the_past_400_with_messages(frozen_clock, app, board_client, door_client):
    url = f"/board/rooms/{door_client.slug}/bookings"
    book(app, door_client.room_id, "14:00", "14:30")
    r = board_client.hx_post(url, {"day": DAY, "start": "14:15", "end": "14:45"})
    assert r.status_code == 409 and "Rummet är redan bokat 14.00–14.30" in r.get_data(as_text=True)
    r = board_client.form_post(url, {"day": DAY, "start": "14:15", "end": "14:45"})
    assert r.status_code == 409 and "Rummet är redan bokat" in r.get_data(as_text=True)
    assert 'value="14:15"' in r.get_data(as_text=True)  # the form keeps what was typed
    r = board_client.hx_post(f"{url}?lang=en", {"day": DAY, "start": "08:00", "end": "08:30"})
    assert r.status_code == 400 and "already passed" in r.get_data(as_text=True)
    for bad in ({"day": "2026-13-40", "start": "10:00", "end": "11:00"}, {"day": DAY, "start": "x", "end": "y"},
                {"day": DAY, "start": "16:00", "minutes": "17"}, {"day": DAY, "start": "16:00", "end": "15:00"},
                {"day": DAY, "start": "16:00", "end": "16:30", "name": "19121212-1212 Tolvan"}, {}):
        r = board_client.hx_post(url, bad)
        assert r.status_code == 400, bad
    with app.app_context():
        assert db.session.query(Booking).count() == 1
    assert board_client.hx_post(f"{url}/999999/cancel").status_code == 404
    assert board_client.hx_post(f"{url}/abc/cancel").status_code == 404


def test_booking_needs_the_csrf_token_and_a_board(frozen_clock, app, board_client, door_client, client):
    url = f"/board/rooms/{door_client.slug}/bookings"
    data = {"day": DAY, "start": "14:00", "end": "14:30"}
    assert board_client.hx_post(url, data, csrf=False).status_code == 400
    assert door_client.hx_post(url, data).status_code == 403
    assert client.hx_post(url, data).status_code == 403
    assert client.get(f"/board/rooms/{door_client.slug}").status_code == 403
    with app.app_context():
        assert db.session.query(Booking).count() == 0


def test_another_units_room_is_403(frozen_clock, app, board_client, make_room):
    with app.app_context():
        slug = db.session.get(Room, make_room()).slug
    assert board_client.get(f"/board/rooms/{slug}").status_code == 403
    r = board_client.hx_post(f"/board/rooms/{slug}/bookings", {"day": DAY, "start": "14:00", "end": "14:30"})
    assert r.status_code == 403
    assert board_client.hx_post(f"/board/rooms/{slug}/check-in", {}).status_code == 403
    assert board_client.get("/board/rooms/no-such-room").status_code == 404


def test_reception_checks_a_clinician_in_and_the_door_follows(frozen_clock, app, board_client, door_client):
    html = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    v = door_poll_version(html)
    r = board_client.hx_post(f"/board/rooms/{door_client.slug}/check-in", {"minutes": "30"})
    assert r.status_code == 200 and "Förbereds för videomöte" in r.get_data(as_text=True)
    r = door_client.hx_get(f"/rooms/{door_client.slug}/door/poll?v={v}")
    assert r.status_code == 200 and "Förbereds för videomöte" in r.get_data(as_text=True)
    assert board_client.hx_post(f"/board/rooms/{door_client.slug}/check-in", {}).status_code == 409
    assert board_client.hx_post(f"/board/rooms/{door_client.slug}/check-in", {"minutes": "7"}).status_code == 400


def test_reception_claims_a_booking(frozen_clock, app, board_client, door_client):
    booking_id = book(app, door_client.room_id, "10:10", "10:40")
    words = text_of(board_client.get(f"/board/rooms/{door_client.slug}").get_data(as_text=True))
    assert "Incheckningen tar bokningen 10.10–10.40." in words
    assert board_client.form_post(f"/board/rooms/{door_client.slug}/check-in", {}).status_code == 303
    with app.app_context():
        b = db.session.get(Booking, booking_id)
        assert b.status == "claimed" and b.session_id is not None


# ---- the visit uses its booking ---------------------------------------------------------


def test_the_no_show_guide_takes_the_booked_start_from_the_claimed_booking(frozen_clock, app, door_client):
    book(app, door_client.room_id, "10:10", "10:40")
    clock.freeze(at("10:08"))
    door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {})
    clock.freeze(at("10:12"))
    words = text_of(door_client.get("/guides/no-show").get_data(as_text=True))
    # No question for the booked time: the countdown runs from 10.10.
    assert 'name="booked_time"' not in door_client.get("/guides/no-show").get_data(as_text=True)
    assert "10.10" in words


def test_the_no_show_guide_still_asks_without_a_booking(frozen_clock, app, door_client):
    door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {})
    assert 'name="booked_time"' in door_client.get("/guides/no-show").get_data(as_text=True)


# ---- admin: a room's bookings and its calendar --------------------------------------------


def test_admin_books_moves_and_cancels(frozen_clock, app, admin_client, make_room):
    room_id = make_room()
    url = f"/admin/rooms/{room_id}/bookings"
    page = admin_client.get(url)
    assert page.status_code == 200 and "Inga bokningar." in page.get_data(as_text=True)
    assert f'href="{url}"' in admin_client.get(f"/admin/rooms/{room_id}").get_data(as_text=True)
    r = admin_client.form_post(url, {"day": DAY, "start": "14:00", "end": "14:30", "name": "Eva Ek"})
    assert r.status_code == 303
    words = text_of(admin_client.get(url).get_data(as_text=True))
    assert "Rummet är bokat." in words and "2026-11-26 14.00–14.30 Eva Ek Bokad" in words
    with app.app_context():
        booking_id = db.session.query(Booking.id).filter_by(room_id=room_id).scalar()
    r = admin_client.form_post(f"{url}/{booking_id}/move", {"day": DAY, "start": "15:00", "end": "15:30"})
    assert r.status_code == 303
    assert "15.00–15.30" in text_of(admin_client.get(url).get_data(as_text=True))
    r = admin_client.form_post(url, {"day": DAY, "start": "15:15", "end": "15:45"})
    assert r.status_code == 409 and "Rummet är redan bokat 15.00–15.30" in r.get_data(as_text=True)
    r = admin_client.form_post(url, {"day": DAY, "start": "07:00", "end": "07:30"})
    assert r.status_code == 400 and "redan har varit" in r.get_data(as_text=True)
    assert admin_client.form_post(url, {"day": "i morgon", "start": "7", "end": ""}).status_code == 400
    assert admin_client.form_post(f"{url}/{booking_id}/cancel").status_code == 303
    assert admin_client.form_post(f"{url}/{booking_id}/cancel").status_code == 409
    assert admin_client.form_post(f"{url}/999999/cancel").status_code == 404
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "cancelled"


def test_a_manager_cannot_book_another_units_room(frozen_clock, app, manager_client, make_room):
    mine, theirs = make_room(unit_id=manager_client.unit_id), make_room()
    assert manager_client.get(f"/admin/rooms/{mine}/bookings").status_code == 200
    assert manager_client.get(f"/admin/rooms/{theirs}/bookings").status_code == 403
    r = manager_client.form_post(f"/admin/rooms/{theirs}/bookings", {"day": DAY, "start": "14:00", "end": "14:30"})
    assert r.status_code == 403
    assert manager_client.form_post(f"/admin/rooms/{theirs}/calendar", {"url": "https://x.example/a.ics"}).status_code == 403
    assert manager_client.form_post(f"/admin/rooms/{theirs}/calendar/sync").status_code == 403
    with app.app_context():
        assert db.session.query(Booking).count() == 0


def test_admin_sets_a_feed_and_sync_now_shows_the_error(frozen_clock, app, admin_client, make_room):
    room_id = make_room()
    url = f"/admin/rooms/{room_id}"
    assert admin_client.form_post(f"{url}/calendar/sync").status_code == 409  # no feed yet
    r = admin_client.form_post(f"{url}/calendar", {"url": "file:///etc/passwd"})
    assert r.status_code == 400 and "https://" in r.get_data(as_text=True)
    assert admin_client.form_post(f"{url}/calendar", {"url": "http://127.0.0.1:9/feed.ics"}).status_code == 303
    page = text_of(admin_client.get(f"{url}/bookings").get_data(as_text=True))
    assert "Följer 127.0.0.1" in page and "Läs kalendern nu" in page
    assert admin_client.form_post(f"{url}/calendar/sync").status_code == 303
    page = text_of(admin_client.get(f"{url}/bookings").get_data(as_text=True))
    # Loopback is an internal address: refused unless KIOSK_FEED_ALLOWED_HOSTS lists it.
    assert "Senaste fel Adressen pekar på ett internt nät" in page and "Senast lästa utan fel –" in page
    assert "Har inte lästs utan fel sedan" in page and "Ingen hel läsning ännu." in page
    assert admin_client.form_post(f"{url}/calendar", {"url": ""}).status_code == 303
    assert "Följer Ingen kalender" in text_of(admin_client.get(f"{url}/bookings").get_data(as_text=True))


# ---- statistics: booked and used time, unclaimed bookings, ad-hoc visits, occupancy ---------


def _known_day(app, make_unit, make_room):
    """Thursday 2026-11-26 in two rooms: A has a booking checked in to (10.10-10.40, used
    10.08-10.38), one released unclaimed (11.00-11.30) and one still ahead (15.00-16.00);
    B has an ad-hoc visit 12.00-12.45."""
    from kiosk.rooms import service

    unit_id = make_unit(name="Statistikenheten")
    a = make_room(unit_id=unit_id, name="Rum A", slug="rum-a")
    b = make_room(unit_id=unit_id, name="Rum B", slug="rum-b")
    who = Actor("test")
    with app.app_context():
        for start, end in (("10:10", "10:40"), ("11:00", "11:30"), ("15:00", "16:00")):
            bookings.create(a, who, at(start), at(end))
        clock.freeze(at("10:08"))
        service.check_in(a, who)
        service.start_meeting(a, who, skip_reason="urgent")
        clock.freeze(at("10:38"))
        service.end_meeting(a, who)
        service.finish(a, who, "held")
        clock.freeze(at("11:11"))
        service.release_if_expired(a)
        clock.freeze(at("12:00"))
        service.check_in(b, who)
        service.start_meeting(b, who, skip_reason="urgent")
        clock.freeze(at("12:45"))
        service.end_meeting(b, who)
        service.finish(b, who, "held")
        clock.freeze(at("13:00"))
    return unit_id


def test_booking_statistics_add_up(frozen_clock, admin_app, make_admin, make_unit, make_room):
    import csv
    import io

    from tests.admin_support import log_in

    unit_id = _known_day(admin_app, make_unit, make_room)
    admin_client = admin_app.test_client()
    log_in(admin_client, make_admin("global"))  # after the day: the moved clock would have ended the session
    q = f"unit={unit_id}&from={DAY}&to={DAY}"
    page = admin_client.get(f"/admin/stats/bookings?{q}")
    assert page.status_code == 200
    words = text_of(page.get_data(as_text=True))
    # week, room, booked, used, bookings, claimed, unclaimed, open, visits to a booking, ad hoc
    assert "vecka 48, 2026 Rum A 2 h 00 min 0 h 30 min 3 1 1 1 1 0" in words
    assert "vecka 48, 2026 Rum B 0 h 00 min 0 h 45 min 0 0 0 0 0 1" in words
    assert "Totalt 2 h 00 min 1 h 15 min 3 1 1 1 1 1" in words
    r = admin_client.get(f"/admin/stats/bookings/bookings.csv?{q}")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    body, total = rows[1:-1], rows[-1]
    assert [row[:2] for row in body] == [["vecka 48, 2026", "Rum A"], ["vecka 48, 2026", "Rum B"]]
    sums = [sum(int(row[i]) for row in body) for i in range(2, 10)]
    assert [int(v) for v in total[2:]] == sums == [120, 75, 3, 1, 1, 1, 1, 1]
    # bookings = checked in + released + not started; visits = to a booking + ad hoc
    assert sums[2] == sums[3] + sums[4] + sums[5]
    r = admin_client.get(f"/admin/stats/bookings/occupancy.csv?{q}")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    hours = {row[0]: [int(v) for v in row[1:]] for row in rows[1:-1]}
    assert hours["10"][3] == 30 and hours["12"][3] == 45  # Thursday
    assert all(sum(v[:7]) == v[7] for v in hours.values())
    totals = [int(v) for v in rows[-1][1:]]
    assert totals[:7] == [sum(v[d] for v in hours.values()) for d in range(7)]
    assert totals[7] == sum(totals[:7]) == 75  # the used time
    chart = admin_client.get(f"/admin/stats/bookings/occupancy.svg?{q}")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert admin_client.get(f"/admin/stats/bookings/nothing.svg?{q}").status_code == 404
    assert admin_client.get(f"/admin/stats/bookings?unit={unit_id}&from=x").status_code == 400


def test_booking_statistics_of_another_unit_are_403(frozen_clock, app, manager_client, make_unit):
    other = make_unit()
    assert manager_client.get(f"/admin/stats/bookings?unit={other}").status_code == 403
    assert manager_client.get(f"/admin/stats/bookings/bookings.csv?unit={other}").status_code == 403
    assert manager_client.get(f"/admin/stats/bookings?unit={manager_client.unit_id}").status_code == 200


# ---- a visit that runs into the next booking, on the door and the console ----------


def test_a_visit_overrunning_into_the_next_booking_shows_on_door_and_console(frozen_clock, app, door_client):
    slug = door_client.slug
    book(app, door_client.room_id, "10:00", "10:30")
    book(app, door_client.room_id, "10:30", "11:00", holder_name="Dr Nästa")
    clock.freeze(at("10:02"))
    html = door_client.hx_post(f"/rooms/{slug}/check-in", {"minutes": "30"}).get_data(as_text=True)
    code = re.search(r'class="console-code-value">.*?<strong>([A-Z0-9]{3}-[A-Z0-9]{3})</strong>', html, re.S).group(1)
    console = app.test_client()
    assert console.form_post("/console", {"code": code}).status_code == 303
    words = text_of(console.get(f"/rooms/{slug}/console").get_data(as_text=True))
    assert "Incheckad på bokningen 10.00–10.30" in words and "drar över" not in words
    door_v = door_poll_version(door_client.get(f"/rooms/{slug}/door").get_data(as_text=True))
    console_html = console.get(f"/rooms/{slug}/console").get_data(as_text=True)
    console_v = re.search(r'/console/poll\?v=([^"&]+)', console_html).group(1)

    clock.freeze(at("10:35"))  # nothing was ended: the visit now holds the next holder's time
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={door_v}")
    assert r.status_code == 200
    assert "Mötet drar över in i nästa bokning (10.30–11.00)" in text_of(r.get_data(as_text=True))
    r = console.hx_get(f"/rooms/{slug}/console/poll?v={console_v}")
    assert r.status_code == 200
    assert "Mötet drar över in i nästa bokning (10.30–11.00)" in text_of(r.get_data(as_text=True))
