"""Calendar feeds in the shapes real calendars take and the corpora lack, and
the limits around reading them: a 304 for sixty days on a moved clock, a
released booking that moves, CDO's "BYDAY=MO, TU", series that cannot be read,
events without UIDs, RANGE=THISANDFUTURE, a byte-order mark, overlaps, free
events, unknown zones, exact durations across a clock change, the download
deadline, the instance cap, parallel reads, internal addresses, long
validators, feed health in admin, and organisers' personal numbers."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from kiosk import clock
from kiosk.bookings import day, feeds
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Booking, CalendarFeed, Room
from tests.bookings.test_calendar_feeds import (ADMIN, PATIENT, active, calendar, feed_row, follow, local,  # noqa: F401 - server: the fixture
                                                private, server, vevent)
from tests.admin_support import log_in
from tests.servers import SHUTDOWN_POLL, free_port

UTC = timezone.utc
ROOT = Path(__file__).resolve().parents[2]


def weekly(uid="weekly", start="20261130T130000", end="20261130T133000", *extra):
    return vevent(uid, start, end, "RRULE:FREQ=WEEKLY;BYDAY=MO", *extra, private())


def mondays_between(first: datetime, last: datetime) -> int:
    return sum(1 for d in range((last - first).days + 1)
               if clock.local_date(first + timedelta(days=d)).weekday() == 0)


# ---- 1. an unchanged feed still moves the window -------------------------------------


def test_a_feed_answering_304_for_sixty_days_still_has_every_weekly_instance(room, server):
    feed_id = follow(room, server, body=calendar(weekly()), ETag='"v1"')
    feeds.sync(feed_id)
    first = len(active(room))
    asked = []
    for _ in range(60):
        clock.advance(timedelta(days=1))
        result = feeds.sync(feed_id)
        assert result.ok
        asked.append(result.unchanged_feed)
    for _ in range(5):  # the same day again: the server answers 304
        clock.advance(timedelta(minutes=5))
        asked.append(feeds.sync(feed_id).unchanged_feed)
    got = active(room)
    now = clock.now()
    _, end = feeds.window(now)
    upcoming = [s for s, e, _ in got if e > now]
    # Every Monday 13:00 from now to the window's end is booked, as on a fresh read.
    expected = [s for s in (local((clock.local_date(now) + timedelta(days=d)).isoformat(), "13:00")
                            for d in range(0, 70)) if s.astimezone(clock.zone()).weekday() == 0
                and s + timedelta(minutes=30) > now and s < end]
    assert upcoming == expected and len(expected) >= 8 and first >= 8
    assert any(asked), "the server's 304 was used within a day"


# ---- 2. a released booking that moves is booked again --------------------------------


def test_a_released_feed_booking_that_moves_is_bookable_and_claimable_at_its_new_time(room, server):
    feed_id = follow(room, server, body=calendar(vevent("m1", "20261126T103000", "20261126T110000")))
    feeds.sync(feed_id)
    clock.advance(timedelta(minutes=45))  # 10:45: nobody came, the booking is released
    feeds.sync(feed_id)
    assert db.session.scalar(select(Booking.status)) == "released"
    server.routes["/room.ics"] = (200, calendar(vevent("m1", "20261126T130000", "20261126T133000")), {})
    feeds.sync(feed_id)
    db.session.expire_all()
    b = db.session.scalar(select(Booking))
    assert (b.status, b.starts_at) == ("booked", local("2026-11-26", "13:00"))
    assert day.claimable(room, local("2026-11-26", "12:50")).id == b.id


# ---- 3. series that cannot be read --------------------------------------------------


def test_a_cdo_rule_with_spaces_is_read(room, server):
    body = calendar(vevent("cdo", "20261130T100000", "20261130T103000",
                           "RRULE:FREQ=DAILY;UNTIL=20261211T090000Z;INTERVAL=1;BYDAY=MO, TU, WE, TH, FR"),
                    head="PRODID:Microsoft CDO for Microsoft Exchange")
    assert feeds.sync(follow(room, server, body=body)).ok
    assert len(active(room)) == 10


@pytest.mark.parametrize("broken", ["RRULE:FREQ=WEEKLY;BYDAY=XX", "RRULE:FREQ=NEVER"])
def test_a_series_that_cannot_be_read_keeps_its_bookings_and_says_so(room, server, broken):
    feed_id = follow(room, server, body=calendar(weekly(), vevent("one", "20261127T100000", "20261127T103000")))
    feeds.sync(feed_id)
    before = active(room)
    assert len(before) == 10  # nine Mondays in the window and the single meeting
    clock.advance(timedelta(minutes=10))
    server.routes["/room.ics"] = (200, calendar(vevent("weekly", "20261130T130000", "20261130T133000", broken),
                                                vevent("one", "20261127T110000", "20261127T113000")), {})
    result = feeds.sync(feed_id)
    assert not result.ok and result.error == "unreadable"
    after = active(room)
    assert len(after) == 10 and after[0][0] == local("2026-11-27", "11:00")  # the readable meeting moved
    f = feed_row(feed_id)
    assert f.last_error == "unreadable" and dict(feeds.skipped(f.read_counts)) == {"unreadable": 1}


def test_a_feed_whose_events_are_all_broken_keeps_every_booking(room, server):
    feed_id = follow(room, server, body=calendar(*[vevent(f"m{i}", f"202612{i + 1:02d}T100000",
                                                          f"202612{i + 1:02d}T103000") for i in range(10)]))
    feeds.sync(feed_id)
    assert len(active(room)) == 10
    broken = calendar(*["\n".join(["BEGIN:VEVENT", f"UID:m{i}", "DTSTART:2026120XT1000", "END:VEVENT"])
                        for i in range(10)])
    server.routes["/room.ics"] = (200, broken, {})
    assert feeds.sync(feed_id).error == "invalid"
    assert len(active(room)) == 10


# ---- 4. keys that would collide --------------------------------------------------------


def test_events_without_uids_are_each_a_booking(room, server):
    events = ["\n".join(["BEGIN:VEVENT", f"DTSTART:20261127T{9 + i:02d}0000Z", f"DTEND:20261127T{9 + i:02d}3000Z",
                         "END:VEVENT"]) for i in range(3)]
    assert feeds.sync(follow(room, server, body=calendar(*events))).added == 3
    clock.advance(timedelta(minutes=5))
    assert feeds.sync(feed_row(db.session.scalar(select(CalendarFeed.id))).id).added == 0  # stable keys
    assert len(active(room)) == 3


def test_this_and_future_moves_every_later_instance_and_keeps_them_apart(room, server):
    body = calendar(
        vevent("daily", "20261127T080000", "20261127T083000", "RRULE:FREQ=DAILY;COUNT=31"),
        vevent("daily", "20261207T100000", "20261207T103000",
               f"RECURRENCE-ID;RANGE=THISANDFUTURE;TZID={'W. Europe Standard Time'}:20261207T080000"))
    assert feeds.sync(follow(room, server, body=body)).added == 31
    got = active(room)
    assert len(got) == 31 and len({s for s, _, _ in got}) == 31
    assert got[9][0] == local("2026-12-06", "08:00") and got[10][0] == local("2026-12-07", "10:00")
    assert got[-1][0] == local("2026-12-27", "10:00")


# ---- 5. a byte-order mark ----------------------------------------------------------------


def test_a_feed_with_a_byte_order_mark_is_read(room, server):
    body = b"\xef\xbb\xbf" + calendar(vevent("bom", "20261127T100000", "20261127T103000"))
    assert feeds.sync(follow(room, server, body=body)).added == 1


# ---- 6. overlaps -------------------------------------------------------------------------


def test_feed_meetings_never_overlap_kiosk_bookings_or_each_other(room, server):
    manual = bookings.create(room, ADMIN, local("2026-11-27", "14:00"), local("2026-11-27", "15:00"))
    body = calendar(vevent("a", "20261127T143000", "20261127T153000"),    # overlaps the kiosk's booking
                    vevent("b", "20261127T160000", "20261127T170000"),
                    vevent("c", "20261127T163000", "20261127T173000"),    # overlaps b
                    vevent("d", "20261127T170000", "20261127T173000"))    # overlaps c, not b: c is not stored
    feed_id = follow(room, server, body=body)
    feeds.sync(feed_id)
    got = active(room)
    assert got == [(local("2026-11-27", "14:00"), local("2026-11-27", "15:00"), None),
                   (local("2026-11-27", "16:00"), local("2026-11-27", "17:00"), "Anna Berg"),
                   (local("2026-11-27", "17:00"), local("2026-11-27", "17:30"), "Anna Berg")]
    assert all(e1 <= s2 for (_, e1, _), (s2, _, _) in zip(got, got[1:]))
    assert dict(feeds.skipped(feed_row(feed_id).read_counts)) == {"overlap_manual": 1, "overlap_feed": 1}
    assert db.session.get(Booking, manual.id).status == "booked"


# ---- 7. limits -----------------------------------------------------------------------------


class Trickle:
    """A server that sends its headers, then a byte every ``every`` seconds."""

    def __init__(self, every: float):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "100000")
                self.end_headers()
                try:
                    for _ in range(100000):
                        self.wfile.write(b"B")
                        self.wfile.flush()
                        time.sleep(every)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, args=(SHUTDOWN_POLL,), daemon=True).start()
        self.port = self.httpd.server_address[1]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_feed_trickling_bytes_is_cut_at_the_whole_read_deadline(room, app):
    slow = Trickle(0.2)
    try:
        app.config.update(FEED_ALLOWED_HOSTS=f"127.0.0.1:{slow.port}", FEED_DEADLINE_SECONDS=1,
                          FEED_TIMEOUT_SECONDS=5)
        feed_id = feeds.set_feed(room, f"http://127.0.0.1:{slow.port}/x.ics", ADMIN).id
        started = time.monotonic()
        result = feeds.sync(feed_id)
        assert result.error == "timeout" and time.monotonic() - started < 3
    finally:
        slow.close()


@pytest.mark.parametrize("rule", ["RRULE:FREQ=MINUTELY", "RRULE:FREQ=SECONDLY",
                                  "RRULE:FREQ=MINUTELY;INTERVAL=5"])
def test_a_rule_making_too_many_instances_is_refused_quickly_and_keeps_the_bookings(room, server, rule):
    feed_id = follow(room, server, body=calendar(weekly()))
    feeds.sync(feed_id)
    server.routes["/room.ics"] = (200, calendar(vevent("often", "20261127T080000", "20261127T080100", rule)), {})
    started = time.process_time()
    assert feeds.sync(feed_id).error == "too-many"
    assert time.process_time() - started < 5
    assert len(active(room)) == 9


def test_one_slow_feed_does_not_hold_the_others(app, frozen_clock, make_room, server):
    with app.app_context():
        rooms = [make_room() for _ in range(3)]
        for i, r in enumerate(rooms):
            follow(r, server, path=f"/{i}.ics", body=calendar(vevent(f"x{i}", "20261127T100000", "20261127T103000")))
        server.delay = 0.8
        started = time.monotonic()
        results = feeds.sync_all()
        assert [r.ok for r in results] == [True, True, True]
        assert time.monotonic() - started < 2.2  # three reads of 0.8 s each, side by side


def test_each_feeds_failure_is_its_own(app, frozen_clock, make_room, server, monkeypatch):
    with app.app_context():
        a, b = make_room(), make_room()
        follow(a, server, path="/a.ics", body=calendar(vevent("a", "20261127T100000", "20261127T103000")))
        follow(b, server, path="/b.ics", body=calendar(vevent("b", "20261127T100000", "20261127T103000")))
        real = feeds.apply

        def failing(p, *args, **kwargs):
            if p.room_id == a:
                raise RuntimeError("a database that refuses the row")
            return real(p, *args, **kwargs)

        monkeypatch.setattr(feeds, "apply", failing)
        results = feeds.sync_all()
        assert [(r.room_id, r.ok, r.error) for r in results] == [(a, False, "internal"), (b, True, None)]
        assert db.session.scalar(select(CalendarFeed.last_error).where(CalendarFeed.room_id == a)) == "internal"


# ---- 8. internal addresses ---------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "0x7f000001", "localhost", "10.1.2.3", "192.168.0.1",
                                  "169.254.169.254", "224.0.0.1", "[fe80::1]", "0.0.0.0"])
def test_internal_addresses_are_refused_unless_listed(room, server, host):
    port = server.httpd.server_address[1]
    current_app.config["FEED_ALLOWED_HOSTS"] = ""
    feed_id = feeds.set_feed(room, f"http://{host}:{port}/room.ics", ADMIN).id
    assert feeds.sync(feed_id).error == "refused-address"
    assert feed_row(feed_id).last_error == "refused-address"


def test_a_redirect_to_an_internal_address_is_refused(room, server):
    other = free_port()
    server.routes["/room.ics"] = (302, b"", {"Location": f"http://127.0.0.1:{other}/secret"})
    feed_id = feeds.set_feed(room, server.url("/room.ics"), ADMIN).id
    assert feeds.sync(feed_id).error == "refused-address"


def test_the_allowed_hosts_come_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("KIOSK_FEED_ALLOWED_HOSTS", "127.0.0.1:8443, calendar.internal")
    assert feeds.allowed_hosts(make_app().config) == {"127.0.0.1:8443", "calendar.internal"}


# ---- 9. long validators --------------------------------------------------------------------


def test_over_long_validators_are_dropped_not_stored(room, server):
    feed_id = follow(room, server, body=calendar(weekly()), ETag='"' + "e" * 300 + '"',
                     **{"Last-Modified": "Thu, 26 Nov 2026 08:00:00 GMT" + " " * 80 + "x"})
    result = feeds.sync(feed_id)
    assert result.ok and result.added == 9
    f = feed_row(feed_id)
    assert (f.etag, f.last_modified, f.last_error) == (None, None, None)


# ---- 10. the timer, free events, unknown zones, exact durations -----------------------------


def test_the_timer_runs_the_release_whatever_the_sync_answers():
    text = (ROOT / "docs" / "deployment.md").read_text()
    service = text[text.index("vardmoteskiosk-calendars.service"):]
    lines = [line for line in service.splitlines() if line.startswith("ExecStart")][:2]
    assert "calendars sync" in lines[0] and lines[0].startswith("ExecStart=-")  # "-": a failure does not stop it
    assert "release-expired" in lines[1]


def test_free_events_are_not_bookings(room, server):
    feed_id = follow(room, server, body=calendar(
        vevent("free", "20261127T100000", "20261127T110000", "TRANSP:TRANSPARENT",
               "X-MICROSOFT-CDO-BUSYSTATUS:FREE"),
        vevent("busy", "20261127T120000", "20261127T130000", "TRANSP:OPAQUE")))
    feeds.sync(feed_id)
    assert [s for s, _, _ in active(room)] == [local("2026-11-27", "12:00")]
    assert dict(feeds.skipped(feed_row(feed_id).read_counts)) == {"free": 1}


def test_an_unknown_zone_is_read_as_swedish_time_and_said(room, server):
    feed_id = follow(room, server, body=calendar(vevent("z", "20261127T100000", "20261127T103000",
                                                        tzid="Customized Time Zone")))
    feeds.sync(feed_id)
    assert [s for s, _, _ in active(room)] == [local("2026-11-27", "10:00")]
    assert feeds.read_counts(feed_row(feed_id).read_counts)["unknown_zone"] == 1


def test_an_exact_duration_across_the_spring_change_is_elapsed_time(room, server):
    clock.freeze(local("2027-03-27", "12:00"))
    body = calendar("\n".join(["BEGIN:VEVENT", "UID:dst", "DTSTART;TZID=Europe/Stockholm:20270328T013000",
                               "DURATION:PT3H", "END:VEVENT"]), tz="")
    feeds.sync(follow(room, server, body=body))
    (s, e, _), = active(room)
    assert s == datetime(2027, 3, 28, 0, 30, tzinfo=UTC) and e - s == timedelta(hours=3)


# ---- 11. organisers' personal numbers ------------------------------------------------------


@pytest.mark.parametrize("organizer", ["19121212–1212", "1912 12 12-1212", "19121212/1212", "19121212 - 1212",
                                       "Tolvan １９１２１２１２－１２１２", "19121272-1219"])
def test_an_organiser_with_a_personal_number_however_written_is_dropped(room, server, client, organizer):
    feeds.sync(follow(room, server, body=calendar(vevent("p", "20261127T100000", "20261127T103000",
                                                         organizer=organizer))))
    assert active(room) == [(local("2026-11-27", "10:00"), local("2026-11-27", "10:30"), None)]
    slug = db.session.get(Room, room).slug
    page = client.get(f"/rooms/{slug}/day?day=2026-11-27").get_data(as_text=True)
    assert "1212" not in page and "Tolvan" not in page


# ---- feed health in admin ----------------------------------------------------------------------


def test_a_feed_that_suddenly_reads_much_smaller_keeps_its_bookings_until_accepted(frozen_clock, app, admin_client,
                                                                                   make_room, server):
    with app.app_context():
        room = make_room()
        feed_id = follow(room, server, body=calendar(weekly(), vevent("daily", "20261201T080000", "20261201T083000",
                                                                      "RRULE:FREQ=DAILY;COUNT=20")))
        feeds.sync(feed_id)
        assert len(active(room)) == 29
        server.routes["/room.ics"] = (200, calendar(vevent("one", "20261127T100000", "20261127T103000")), {})
    r = admin_client.form_post(f"/admin/rooms/{room}/calendar/sync")
    assert r.status_code == 303
    page = admin_client.get(f"/admin/rooms/{room}/bookings").get_data(as_text=True)
    assert "plötsligt mycket färre möten" in page and "Läs kalendern och ta bort det som saknas" in page
    with app.app_context():
        assert len(active(room)) == 29
    admin_client.form_post(f"/admin/rooms/{room}/calendar/sync", {"accept_smaller": "1"})
    with app.app_context():
        assert len(active(room)) == 1
        assert feed_row(feed_id).last_error is None


@pytest.mark.parametrize("lang,words", [
    ("sv", ["1 enstaka möten och 1 mötesserier", "1 möten markerade som lediga", "Inget fel"]),
    ("en", ["1 single meetings and 1 meeting series", "1 meetings marked free", "No error"]),
])
def test_admin_shows_what_the_last_read_held_in_words(frozen_clock, app, admin_client, make_room, server, lang,
                                                      words):
    with app.app_context():
        room = make_room()
        feeds.sync(follow(room, server, body=calendar(
            weekly(), vevent("one", "20261127T100000", "20261127T103000"),
            vevent("free", "20261127T120000", "20261127T130000", "TRANSP:TRANSPARENT"))))
    admin_client.get(f"/?lang={lang}")
    page = admin_client.get(f"/admin/rooms/{room}/bookings").get_data(as_text=True)
    for w in words:
        assert w in page
    assert PATIENT not in page


def test_a_feed_failing_for_a_day_shows_on_the_admin_start_page(frozen_clock, app, admin_client, make_room, server):
    with app.app_context():
        room = make_room(name="Videorum Norr")
        feed_id = follow(room, server, body=calendar(weekly()))
        feeds.sync(feed_id)
        server.routes["/room.ics"] = (500, b"", {})
        feeds.sync(feed_id)
    assert "Kalendrar som inte går att läsa" not in admin_client.get("/admin/").get_data(as_text=True)
    frozen_clock.advance(timedelta(hours=24, minutes=1))
    with app.app_context():
        feeds.sync(feed_id)
    log_in(admin_client, admin_client.account)  # the admin session of yesterday has ended
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "Kalendrar som inte går att läsa" in page and "Videorum Norr" in page
    assert "Kalenderservern svarade med ett fel." in page
