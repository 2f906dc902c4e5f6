"""Bookings (kiosk/bookings: day.py reads, service.py writes): overlap, the claim window, release of
unclaimed bookings, overrun into the next booking, ad-hoc check-in up to the
next booking - each on an ordinary day and on the days of the spring
(2027-03-28, 23 hours) and autumn (2027-10-31, 25 hours) DST changes - and the
door poll that sees a booking moment without reading any booking."""

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from kiosk import clock
from kiosk.bookings import day as bookings_day
from kiosk.bookings import service as bookings
from kiosk.bookings.day import BookingError
from kiosk.extensions import db
from kiosk.models import Booking, Event, Room, RoomSession
from kiosk.rooms import service
from kiosk.rooms.service import Actor

WHO = Actor("tablet:test")
RECEPTION = Actor("board:1")

# (day, the booking's local start): an ordinary afternoon; 03:00 on the spring
# day, the first hour after the clocks jump (02:00-03:00 does not exist); 02:30
# on the autumn day, inside the hour that happens twice (the first one is meant).
DAYS = [("2026-11-26", "14:00"), ("2027-03-28", "03:00"), ("2027-10-31", "02:30")]
DAY_IDS = ["ordinary", "spring-dst", "autumn-dst"]


def at(day: str, hhmm: str) -> datetime:
    """A local time in Sweden as UTC (the first occurrence of a repeated hour)."""
    return bookings.parse_local(day, hhmm)


def freeze(when: datetime) -> None:
    clock.freeze(when)



def book(room_id, start, minutes=30, actor=RECEPTION, **kw):
    return bookings.create(room_id, actor, start, start + timedelta(minutes=minutes), **kw).id


def get(booking_id) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking_id)


def kinds(room_id):
    return [e.kind for e in db.session.scalars(select(Event).where(Event.room_id == room_id).order_by(Event.id))]


def version(room_id) -> int:
    db.session.expire_all()
    return db.session.get(Room, room_id).version


# ---- Sweden's days ----------------------------------------------------------------


def test_the_days_of_the_dst_changes_have_23_and_25_hours():
    from datetime import date

    hours = {d: (e - s) / timedelta(hours=1) for d in ("2026-11-26", "2027-03-28", "2027-10-31")
             for s, e in [clock.day_bounds(date.fromisoformat(d))]}
    assert hours == {"2026-11-26": 24, "2027-03-28": 23, "2027-10-31": 25}


def test_local_times_on_the_dst_days(ctx):
    assert at("2027-03-28", "03:00") - at("2027-03-28", "01:30") == timedelta(minutes=30)
    assert at("2027-10-31", "03:00") - at("2027-10-31", "02:30") == timedelta(minutes=90)
    with pytest.raises(BookingError) as exc:
        at("2027-03-28", "02:30")  # the clocks jump from 02:00 to 03:00
    assert exc.value.key == "bookings.error.no_such_time"
    for bad in (("2027-13-01", "10:00"), ("2027-01-01", "25:00"), ("", ""), ("x", "10")):
        with pytest.raises(BookingError) as exc:
            at(*bad)
        assert exc.value.key == "bookings.error.bad_time"


def test_a_booking_across_the_night_of_a_dst_change_has_its_real_length(room):
    freeze(at("2027-03-27", "20:00"))
    spring = get(bookings.create(room, RECEPTION, at("2027-03-28", "01:30"), at("2027-03-28", "03:30")).id)
    assert spring.ends_at - spring.starts_at == timedelta(hours=1)
    freeze(at("2027-10-30", "20:00"))
    autumn = get(bookings.create(room, RECEPTION, at("2027-10-31", "01:30"), at("2027-10-31", "03:30")).id)
    assert autumn.ends_at - autumn.starts_at == timedelta(hours=3)


# ---- making, moving, cancelling ------------------------------------------------------


@pytest.mark.parametrize("day,hhmm", DAYS, ids=DAY_IDS)
def test_overlap_is_refused_with_409_and_touching_bookings_are_not(room, day, hhmm):
    start = at(day, hhmm)
    freeze(start - timedelta(hours=2))
    first = book(room, start, 30)
    with pytest.raises(BookingError) as exc:
        book(room, start + timedelta(minutes=15), 30)
    assert exc.value.status == 409 and exc.value.key == "bookings.error.overlap"
    # In Swedish, as the request would show it (the one time filter: 14.00).
    assert exc.value.slots == {"start": clock.local(start).strftime("%H.%M"),
                               "end": clock.local(start + timedelta(minutes=30)).strftime("%H.%M")}
    with pytest.raises(BookingError):
        book(room, start - timedelta(minutes=10), 60)  # around it
    after = book(room, start + timedelta(minutes=30), 30)  # end == next start: no overlap
    before = book(room, start - timedelta(minutes=30), 30)
    bookings.cancel(first, RECEPTION)
    book(room, start + timedelta(minutes=5), 20)  # a cancelled booking frees its time
    with pytest.raises(BookingError) as exc:
        bookings.move(after, RECEPTION, start - timedelta(minutes=20), start + timedelta(minutes=10))
    assert exc.value.status == 409
    assert kinds(room).count("booking-create") == 4 and "booking-cancel" in kinds(room)
    assert get(before).status == "booked"


def test_refusals_say_why(room):
    now = clock.now()
    cases = [
        ((now - timedelta(minutes=5), now + timedelta(minutes=25)), "bookings.error.past"),
        ((now + timedelta(hours=1), now + timedelta(hours=1)), "bookings.error.end_before_start"),
        ((now + timedelta(hours=2), now + timedelta(hours=1)), "bookings.error.end_before_start"),
        ((now + timedelta(hours=1), now + timedelta(hours=1, minutes=2)), "bookings.error.too_short"),
        ((now + timedelta(hours=1), now + timedelta(hours=12)), "bookings.error.too_long"),
        ((now + timedelta(days=400), now + timedelta(days=400, hours=1)), "bookings.error.too_far"),
    ]
    for (s, e), key in cases:
        with pytest.raises(BookingError) as exc:
            bookings.create(room, RECEPTION, s, e)
        assert exc.value.key == key and exc.value.status == 400
    for name, key in (("19121212-1212 Tolvan", "personal_number"), ("<script>", "bad_holder"),
                      ("x" * 81, "bad_holder"), ("121212-1212", "personal_number")):
        with pytest.raises(BookingError) as exc:
            bookings.create(room, RECEPTION, now + timedelta(hours=1), now + timedelta(hours=2), holder_name=name)
        assert exc.value.key == "bookings.error." + key
    with pytest.raises(BookingError) as exc:
        bookings.create(room + 999, RECEPTION, now + timedelta(hours=1), now + timedelta(hours=2))
    assert exc.value.status == 404
    assert db.session.scalar(select(Booking.id)) is None and kinds(room) == []


def test_every_change_is_an_event_and_bumps_the_panel_version(room):
    start = clock.now() + timedelta(hours=2)
    v = version(room)
    b = book(room, start, 30, holder_name="Anna Berg", holder_title="Läkare")
    assert version(room) == v + 1
    bookings.move(b, RECEPTION, start + timedelta(hours=1), start + timedelta(hours=2))
    assert version(room) == v + 2 and (get(b).starts_at, get(b).ends_at) == (start + timedelta(hours=1),
                                                                             start + timedelta(hours=2))
    bookings.cancel(b, RECEPTION)
    assert version(room) == v + 3 and get(b).status == "cancelled"
    assert kinds(room) == ["booking-create", "booking-move", "booking-cancel"]
    details = [json.loads(e.detail) for e in db.session.scalars(select(Event).where(Event.room_id == room))]
    assert all("Anna" not in json.dumps(d) for d in details)  # the holder's name is not logged
    assert all(e.actor == "board:1" for e in db.session.scalars(select(Event).where(Event.room_id == room)))
    with pytest.raises(BookingError) as exc:
        bookings.cancel(b, RECEPTION)
    assert exc.value.key == "bookings.error.not_open" and exc.value.status == 409
    with pytest.raises(BookingError) as exc:
        bookings.cancel(b, RECEPTION, room_id=room + 1)  # through another room's address
    assert exc.value.status == 404


# ---- the room's day ------------------------------------------------------------------------


@pytest.mark.parametrize("day,hhmm", DAYS, ids=DAY_IDS)
def test_free_until_and_the_booking_about_to_start(room, day, hhmm):
    start = at(day, hhmm)
    freeze(start - timedelta(hours=3))
    book(room, start, 30)
    clock.freeze(start - timedelta(minutes=16))
    d = bookings_day.day_of(room)
    assert d.free_now and d.free_until == start and d.soon is None and d.upcoming.starts_at == start
    assert d.free_now_for(15) and not d.free_now_for(30)
    clock.freeze(start - timedelta(minutes=10))
    d = bookings_day.day_of(room)
    assert d.free_until == start and d.soon is not None and d.soon.starts_at == start
    clock.freeze(start + timedelta(minutes=30))
    d = bookings_day.day_of(room)
    assert d.free_now and d.free_until is None and d.soon is None  # "Ledigt resten av dagen"
    assert len(d.bookings) == 1 and d.end - d.start == {"2027-03-28": timedelta(hours=23),
                                                         "2027-10-31": timedelta(hours=25)}.get(day, timedelta(hours=24))


def test_next_free_slot_of_each_length(room):
    freeze(at("2026-11-26", "13:02"))
    book(room, at("2026-11-26", "13:20"), 20)   # 13:20-13:40
    book(room, at("2026-11-26", "14:10"), 30)   # 14:10-14:40
    book(room, at("2026-11-26", "15:00"), 480)  # 15:00-23:00
    d = bookings_day.day_of(room)
    # Free now: from now (the board says "nu"), not from the next five minutes.
    assert d.slots[15] == at("2026-11-26", "13:02") == d.now
    assert d.slots[30] == at("2026-11-26", "13:40")
    assert d.slots[45] == d.slots[60] == at("2026-11-26", "23:00")  # the last hour of the day
    book(room, at("2026-11-26", "23:00"), 30)
    assert bookings_day.day_of(room).slots[60] is None  # none left today (a slot does not cross midnight)
    with pytest.raises(BookingError):
        bookings_day.next_free_slot(room, 20)


def test_next_free_slot_counts_an_open_meeting(room):
    freeze(at("2026-11-26", "10:00"))
    service.check_in(room, WHO, minutes=45)
    service.start_meeting(room, WHO, skip_reason="urgent")
    assert bookings_day.day_of(room).slots[30] == at("2026-11-26", "10:45")


# ---- claim window, ad-hoc check-in, release, overrun ----------------------------------------


@pytest.mark.parametrize("day,hhmm", DAYS, ids=DAY_IDS)
def test_check_in_within_the_window_claims_the_booking(room, day, hhmm):
    start = at(day, hhmm)
    freeze(start - timedelta(hours=1))
    b = book(room, start, 30)
    clock.freeze(start + timedelta(minutes=2))
    assert bookings_day.check_in_terms(room).booking.id == b
    session = service.check_in(room, WHO, minutes=15)
    assert get(b).status == "claimed" and get(b).session_id == session.id
    db.session.expire_all()
    s = db.session.get(RoomSession, session.id)
    assert s.expected_end == start + timedelta(minutes=30)  # the booking's end, not 15 minutes
    service.start_meeting(room, WHO, skip_reason="urgent")
    db.session.expire_all()
    assert db.session.get(RoomSession, session.id).expected_end == start + timedelta(minutes=30)
    assert kinds(room)[-3:] == ["booking-claim", "check-in", "start"]
    # Claimed: nothing to release, and no longer movable.
    clock.advance(timedelta(minutes=20))
    service.release_if_expired(room)
    assert get(b).status == "claimed"
    with pytest.raises(BookingError):
        bookings.move(b, RECEPTION, start + timedelta(hours=2), start + timedelta(hours=3))


@pytest.mark.parametrize("day,hhmm", DAYS, ids=DAY_IDS)
def test_the_window_opens_15_minutes_before_the_start(room, day, hhmm):
    start = at(day, hhmm)
    freeze(start - timedelta(hours=1))
    b = book(room, start, 30)
    clock.freeze(start - timedelta(minutes=15))
    session = service.check_in(room, WHO)
    assert get(b).session_id == session.id
    service.cancel(room, WHO)  # taking the check-in back gives the booking back
    assert get(b).status == "booked" and get(b).session_id is None


@pytest.mark.parametrize("day,hhmm", DAYS, ids=DAY_IDS)
def test_ad_hoc_check_in_is_allowed_up_to_the_next_booking(room, day, hhmm):
    start = at(day, hhmm)
    freeze(start - timedelta(hours=1))
    b = book(room, start, 30)
    clock.freeze(start - timedelta(minutes=40))
    terms = bookings_day.check_in_terms(room)
    assert terms.booking is None and terms.limited and terms.until == start
    session = service.check_in(room, WHO, minutes=60)
    assert get(b).status == "booked"
    clock.advance(timedelta(minutes=5))
    service.start_meeting(room, WHO, skip_reason="urgent")
    db.session.expire_all()
    assert db.session.get(RoomSession, session.id).expected_end == start  # cut at the booking, not 60 min
    # Without a booking later, the planned length stands.
    other = room + 0
    bookings.cancel(b, RECEPTION)
    assert not bookings_day.check_in_terms(other).limited


@pytest.mark.parametrize("day,hhmm", DAYS, ids=DAY_IDS)
def test_an_unclaimed_booking_is_released_after_ten_minutes(room, day, hhmm):
    start = at(day, hhmm)
    freeze(start - timedelta(hours=1))
    b = book(room, start, 30)
    clock.freeze(start + timedelta(minutes=9, seconds=59))
    service.release_if_expired(room)  # the moments "about to start" and "started" passed: written
    v = version(room)
    assert service.release_if_expired(room) is False and get(b).status == "booked" and version(room) == v
    clock.freeze(start + timedelta(minutes=10))
    assert service.release_if_expired(room) is True
    assert get(b).status == "released" and version(room) == v + 1
    event = db.session.scalar(select(Event).where(Event.kind == "booking-release"))
    assert event.actor == "system" and json.loads(event.detail)["unclaimed"] is True
    assert bookings_day.day_of(room).free_now and bookings_day.check_in_terms(room).booking is None
    assert service.release_if_expired(room) is False  # written once


def test_release_is_also_done_by_the_periodic_job_and_any_transition(room):
    start = clock.now() + timedelta(hours=1)
    b1 = book(room, start, 30)
    clock.freeze(start + timedelta(minutes=11))
    assert service.release_all_expired() == 1 and get(b1).status == "released"
    b2 = book(room, start + timedelta(hours=1), 30)
    clock.freeze(start + timedelta(hours=1, minutes=10))
    service.check_in(room, WHO)  # too late to claim: released first, then ad hoc
    assert get(b2).status == "released" and get(b2).session_id is None


def test_release_waits_for_a_meeting_that_overruns_into_the_booking(room):
    start = at("2026-11-26", "14:00")
    freeze(start - timedelta(hours=1))
    b = book(room, start, 30)
    freeze(start - timedelta(minutes=50))
    service.check_in(room, WHO, minutes=30)
    service.start_meeting(room, WHO, skip_reason="urgent")  # ad hoc: expected end 13:40
    clock.freeze(start + timedelta(minutes=12))
    service.release_if_expired(room)
    assert get(b).status == "booked"
    d = bookings_day.day_of(room)
    assert d.overrun_into is not None and d.overrun_into.id == b
    assert service.state_of(db.session.get(Room, room), service.open_session(room)).overrun
    service.end_meeting(room, WHO)
    clock.freeze(start + timedelta(minutes=15))
    service.finish(room, WHO, "held")  # free from 14:15: ten minutes to claim from now
    clock.freeze(start + timedelta(minutes=24))
    service.release_if_expired(room)
    assert get(b).status == "booked" and bookings_day.check_in_terms(room).booking.id == b
    clock.freeze(start + timedelta(minutes=25))
    service.release_if_expired(room)
    assert get(b).status == "released"


@pytest.mark.parametrize("day,hhmm", DAYS, ids=DAY_IDS)
def test_overrun_into_the_next_booking_is_computed(room, day, hhmm):
    start = at(day, hhmm)
    freeze(start - timedelta(hours=2))
    b1 = book(room, start - timedelta(minutes=30), 30)
    b2 = book(room, start, 30)
    clock.freeze(start - timedelta(minutes=30))
    service.check_in(room, WHO)
    service.start_meeting(room, WHO, skip_reason="urgent")
    clock.freeze(start - timedelta(minutes=1))
    assert bookings_day.day_of(room).overrun_into is None
    clock.freeze(start + timedelta(minutes=1))
    d = bookings_day.day_of(room)
    assert d.overrun_into.id == b2 and get(b1).status == "claimed"
    assert not d.free_now and d.free_until is None


# ---- the door poll sees booking moments without reading bookings ---------------------------


def panel_version(html: str) -> str:
    return re.search(r'/door/poll\?v=([^"&]+)', html).group(1)


def test_the_door_poll_renders_once_at_each_booking_moment(frozen_clock, door_client, app):
    slug, room = door_client.slug, door_client.room_id
    with app.app_context():
        start = clock.now() + timedelta(hours=1)
        bookings.create(room, RECEPTION, start, start + timedelta(minutes=30))
        due = db.session.get(Room, room).bookings_due_at
    assert due == start - bookings_day.SOON
    v = panel_version(door_client.get(f"/rooms/{slug}/door").get_data(as_text=True))
    calls = []
    view = app.view_functions["rooms.door_poll"]
    app.view_functions["rooms.door_poll"] = lambda **kw: calls.append(kw) or view(**kw)
    clock.freeze(due - timedelta(seconds=1))
    assert door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}").status_code == 204 and calls == []
    clock.freeze(due)  # the booking is about to start: the fast path hands over, the view writes once
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 200 and len(calls) == 1
    v2 = panel_version(r.get_data(as_text=True))
    assert v2 != v
    with app.app_context():
        assert db.session.get(Room, room).bookings_due_at == start
    assert door_client.hx_get(f"/rooms/{slug}/door/poll?v={v2}").status_code == 204 and len(calls) == 1
    clock.freeze(start + timedelta(minutes=10))
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v2}")
    assert r.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Booking.status)) == "released"


def test_a_flask_door_poll_also_sees_the_moment(frozen_clock, door_client, app):
    """The view (the authority) decides like the fast path."""
    slug, room = door_client.slug, door_client.room_id
    with app.app_context():
        start = clock.now() + timedelta(minutes=30)
        bookings.create(room, RECEPTION, start, start + timedelta(minutes=30))
    v = panel_version(door_client.get(f"/rooms/{slug}/door").get_data(as_text=True))
    clock.freeze(start - timedelta(minutes=15))
    with app.test_request_context(f"/rooms/{slug}/door/poll?v={v}", headers={
            "Cookie": door_client.get_cookie("kiosk_device").key + "=" + door_client.get_cookie("kiosk_device").value,
            "HX-Request": "true"}):
        response = app.view_functions["rooms.door_poll"](slug=slug)
        assert getattr(response, "status_code", 200) == 200
