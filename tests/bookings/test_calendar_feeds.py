"""Calendar feeds (kiosk/bookings/feeds.py) on iCalendar files written here in
the shapes Outlook and Google produce, served by a local HTTP server: the right
bookings, a changed feed updates them, a broken or unreachable feed keeps the
last good ones, and a personal identity number in a meeting's title,
description, location or attendees leaves no trace in any table or log line."""

import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import String, Text, or_, select

from kiosk import clock
from kiosk.bookings import feeds
from kiosk.bookings.day import BookingError
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Booking, CalendarFeed, Event, Room
from kiosk.rooms.service import Actor
from tests.servers import SHUTDOWN_POLL, free_port

ADMIN = Actor("admin:1")
PNR = "19121212-1212"
PATIENT = f"{PNR} Tolvan Tolvansson"
UTC = timezone.utc

OUTLOOK_TZ = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE"""

GOOGLE_TZ = """BEGIN:VTIMEZONE
TZID:Europe/Stockholm
X-LIC-LOCATION:Europe/Stockholm
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""

W = "W. Europe Standard Time"


def private(uid_part: str = "") -> str:
    """What clinicians write in meetings: patient data in every free-text property."""
    return "\n".join([
        f"SUMMARY:Videobesök {PATIENT}{uid_part}",
        f"DESCRIPTION:Ring {PATIENT} på 070-1234567\\, pnr {PNR}",
        f"LOCATION:Hemma hos {PATIENT}",
        f'ATTENDEE;CN="{PATIENT}";ROLE=REQ-PARTICIPANT:mailto:tolvan@example.org',
        "COMMENT:Tolvan",
    ])


def calendar(*events: str, head: str = "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
             tz: str = OUTLOOK_TZ) -> bytes:
    text = "\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", head, "METHOD:PUBLISH", tz, *events, "END:VCALENDAR"])
    return (text + "\n").replace("\n", "\r\n").encode()


def vevent(uid: str, start: str, end: str, *extra: str, tzid: str = W, organizer: str | None = "Anna Berg") -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261120T080000Z"]
    if organizer:
        lines.append(f'ORGANIZER;CN="{organizer}":mailto:anna.berg@example.org')
    start_line = f"DTSTART:{start}" if start.endswith("Z") else f"DTSTART;TZID={tzid}:{start}"
    end_line = f"DTEND:{end}" if end.endswith("Z") else f"DTEND;TZID={tzid}:{end}"
    lines += [start_line, end_line, *extra, "END:VEVENT"]
    return "\n".join(lines)


def outlook_feed(single_at: str = "20261127T100000", single_end: str = "20261127T103000") -> bytes:
    """Now is Thursday 2026-11-26 10:00 in Stockholm (the frozen clock)."""
    return calendar(
        # A single meeting tomorrow, full of patient data.
        vevent("040000008200E00074C5B7101A82E00800000000single", single_at, single_end, private()),
        # A weekly series on Mondays from 30 Nov: one instance deleted (EXDATE), one moved, one cancelled.
        vevent("040000008200E00074C5B7101A82E00800000000series", "20261130T130000", "20261130T134500",
               "RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO", f"EXDATE;TZID={W}:20261207T130000", private()),
        vevent("040000008200E00074C5B7101A82E00800000000series", "20261214T150000", "20261214T154500",
               f"RECURRENCE-ID;TZID={W}:20261214T130000", private(" flyttad")),
        vevent("040000008200E00074C5B7101A82E00800000000series", "20261221T130000", "20261221T134500",
               f"RECURRENCE-ID;TZID={W}:20261221T130000", "STATUS:CANCELLED", private()),
        # An all-day event: ignored.
        "\n".join(["BEGIN:VEVENT", "UID:allday-1", "DTSTART;VALUE=DATE:20261127", "DTEND;VALUE=DATE:20261128",
                   "SUMMARY:Rummet städas", "END:VEVENT"]),
        # A cancelled single meeting, and one already over this morning.
        vevent("cancelled-1", "20261128T100000", "20261128T110000", "STATUS:CANCELLED", private()),
        vevent("over-1", "20261126T080000", "20261126T083000", private()),
    )


def local(day: str, hhmm: str) -> datetime:
    return bookings.parse_local(day, hhmm)


class FeedServer:
    """A local HTTP server that serves whatever the test puts in ``routes``."""

    def __init__(self):
        self.routes: dict[str, tuple[int, bytes, dict]] = {}
        self.delay = 0.0
        routes, server = self.routes, self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if server.delay:
                    time.sleep(server.delay)
                status, body, headers = routes.get(self.path, (404, b"not found", {}))
                if headers.get("ETag") and self.headers.get("If-None-Match") == headers["ETag"]:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(status)
                for k, v in {"Content-Type": "text/calendar; charset=utf-8", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading at its size cap

            def log_message(self, *args):  # keep the test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(SHUTDOWN_POLL,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(app):
    """A feed server on loopback, read only because the deployment lists it (KIOSK_FEED_ALLOWED_HOSTS)."""
    s = FeedServer()
    app.config["FEED_ALLOWED_HOSTS"] = f"127.0.0.1:{s.httpd.server_address[1]}"
    yield s
    s.close()



def follow(room_id, server, path="/room.ics", body=None, **headers) -> int:
    if body is not None:
        server.routes[path] = (200, body, headers)
    return feeds.set_feed(room_id, server.url(path), ADMIN).id


def active(room_id):
    db.session.expire_all()
    return [(b.starts_at, b.ends_at, b.holder_name) for b in db.session.scalars(
        select(Booking).where(Booking.room_id == room_id, Booking.status.in_(("booked", "claimed")))
        .order_by(Booking.starts_at))]


def feed_row(feed_id) -> CalendarFeed:
    db.session.expire_all()
    return db.session.get(CalendarFeed, feed_id)


OUTLOOK_EXPECTED = [
    (local("2026-11-27", "10:00"), local("2026-11-27", "10:30"), "Anna Berg"),
    (local("2026-11-30", "13:00"), local("2026-11-30", "13:45"), "Anna Berg"),
    (local("2026-12-14", "15:00"), local("2026-12-14", "15:45"), "Anna Berg"),  # moved
    (local("2026-12-28", "13:00"), local("2026-12-28", "13:45"), "Anna Berg"),
    (local("2027-01-04", "13:00"), local("2027-01-04", "13:45"), "Anna Berg"),
]


def test_an_outlook_feed_gives_the_right_bookings(room, server):
    feed_id = follow(room, server, body=outlook_feed())
    result = feeds.sync(feed_id)
    assert result.ok and result.added == 5
    got = active(room)
    assert got == OUTLOOK_EXPECTED
    f = feed_row(feed_id)
    assert f.last_error is None and f.last_success_at == clock.now() == f.last_attempt_at
    assert all(b.source == "feed" and len(b.feed_uid) == 64 for b in db.session.scalars(select(Booking)))
    assert db.session.scalar(select(Event.kind).order_by(Event.id.desc())) == "calendar-sync"


def test_a_google_feed_with_x_wr_timezone_and_utc_times(room, server):
    body = calendar(
        vevent("abc123@google.com", "20261127T090000Z", "20261127T093000Z", private(), organizer="Bo Ek"),
        vevent("daily@google.com", "20261130T080000", "20261130T083000", "RRULE:FREQ=DAILY;COUNT=3",
               "EXDATE;TZID=Europe/Stockholm:20261201T080000", private(), tzid="Europe/Stockholm"),
        vevent("gone@google.com", "20261129T100000Z", "20261129T110000Z", "STATUS:CANCELLED"),
        head="PRODID:-//Google Inc//Google Calendar 70.9054//EN\nX-WR-CALNAME:Videorum 1\n"
             "X-WR-TIMEZONE:Europe/Stockholm", tz=GOOGLE_TZ)
    feeds.sync(follow(room, server, body=body))
    assert active(room) == [
        (datetime(2026, 11, 27, 9, 0, tzinfo=UTC), datetime(2026, 11, 27, 9, 30, tzinfo=UTC), "Bo Ek"),
        (local("2026-11-30", "08:00"), local("2026-11-30", "08:30"), "Anna Berg"),
        (local("2026-12-02", "08:00"), local("2026-12-02", "08:30"), "Anna Berg"),
    ]


def test_a_series_across_the_spring_dst_change_keeps_its_local_time(room, server):
    clock.freeze(local("2027-03-20", "12:00"))
    body = calendar(vevent("weekly", "20270322T100000", "20270322T103000", "RRULE:FREQ=WEEKLY;COUNT=2"),
                    vevent("autumn", "20271031T023000", "20271031T033000"))
    feeds.sync(follow(room, server, body=body))
    got = active(room)
    assert [s for s, _, _ in got] == [datetime(2027, 3, 22, 9, 0, tzinfo=UTC), datetime(2027, 3, 29, 8, 0, tzinfo=UTC)]
    clock.freeze(local("2027-10-20", "12:00"))  # the autumn day: 02:30 is the first of the two
    feeds.sync(db.session.scalar(select(CalendarFeed.id)))
    autumn = active(room)[-1]
    assert autumn[0] == datetime(2027, 10, 31, 0, 30, tzinfo=UTC) and autumn[1] - autumn[0] == timedelta(hours=2)


def test_a_changed_feed_moves_adds_and_removes(room, server):
    feed_id = follow(room, server, body=outlook_feed())
    feeds.sync(feed_id)
    single = db.session.scalar(select(Booking.id).order_by(Booking.starts_at))
    v = db.session.get(Room, room).version
    # The single meeting moves to 11:00; the series is deleted.
    server.routes["/room.ics"] = (200, calendar(vevent("040000008200E00074C5B7101A82E00800000000single",
                                                       "20261127T110000", "20261127T114500", private())), {})
    result = feeds.sync(feed_id)
    assert (result.added, result.changed, result.removed) == (0, 1, 4)
    assert active(room) == [(local("2026-11-27", "11:00"), local("2026-11-27", "11:45"), "Anna Berg")]
    assert db.session.scalar(select(Booking.id).where(Booking.status == "booked")) == single  # the same row moved
    assert db.session.get(Room, room).version > v  # doors see it


def test_an_unchanged_feed_answers_304(room, server):
    feed_id = follow(room, server, body=outlook_feed(), ETag='"v1"')
    feeds.sync(feed_id)
    assert feed_row(feed_id).etag == '"v1"'
    clock.advance(timedelta(minutes=5))
    result = feeds.sync(feed_id)
    assert result.ok and result.unchanged_feed and len(active(room)) == 5
    assert feed_row(feed_id).last_success_at == clock.now()


@pytest.mark.parametrize("breakage,error", [
    ("status", "http"), ("garbage", "invalid"), ("unreachable", "unreachable"), ("too-large", "too-large"),
    ("timeout", "timeout"), ("redirect-to-ftp", "bad-url"),
    ("redirect-to-file", "http"),  # urllib itself refuses it, as an HTTP error
])
def test_a_broken_feed_keeps_the_last_good_bookings(room, server, make_app, breakage, error, caplog):
    feed_id = follow(room, server, body=outlook_feed())
    feeds.sync(feed_id)
    good_at = clock.now()
    before = active(room)
    clock.advance(timedelta(minutes=10))
    caplog.set_level(logging.DEBUG)
    if breakage == "status":
        server.routes["/room.ics"] = (500, f"Internal error {PATIENT}".encode(), {})
    elif breakage == "garbage":
        server.routes["/room.ics"] = (200, f"BEGIN:VCALENDAR\r\nSUMMARY;{PATIENT}\r\nBEGIN:VEVENT\r\n".encode(), {})
    elif breakage == "unreachable":
        from flask import current_app
        port = free_port()
        current_app.config["FEED_ALLOWED_HOSTS"] += f",127.0.0.1:{port}"
        f = db.session.get(CalendarFeed, feed_id)
        f.url = f"http://127.0.0.1:{port}/room.ics"
        db.session.commit()
    elif breakage == "too-large":
        from flask import current_app
        current_app.config["FEED_MAX_BYTES"] = 1000
    elif breakage == "timeout":
        from flask import current_app
        current_app.config["FEED_TIMEOUT_SECONDS"] = 0.3
        server.delay = 1.0
    elif breakage == "redirect-to-file":
        server.routes["/room.ics"] = (302, b"", {"Location": "file:///etc/passwd"})
    elif breakage == "redirect-to-ftp":
        server.routes["/room.ics"] = (302, b"", {"Location": "ftp://127.0.0.1/room.ics"})
    result = feeds.sync(feed_id)
    assert not result.ok and result.error == error
    assert active(room) == before
    f = feed_row(feed_id)
    assert f.last_error == error and f.last_success_at == good_at and f.last_attempt_at == clock.now()
    assert db.session.scalar(select(Event.kind).order_by(Event.id.desc())) == "calendar-sync-failed"
    feeds.sync(feed_id)  # the same error again: no second event
    assert [e for e in db.session.scalars(select(Event.kind)) if e == "calendar-sync-failed"] == ["calendar-sync-failed"]
    assert PNR not in caplog.text and "Tolvan" not in caplog.text


def test_a_2_mb_feed_is_read(room, server):
    filler = "DESCRIPTION:" + ("Lorem ipsum dolor sit amet " * 250)
    events = [vevent(f"big-{i}", f"2026{11 + (i % 2):02d}{1 + i % 28:02d}T{8 + i % 9:02d}0000",
                     f"2026{11 + (i % 2):02d}{1 + i % 28:02d}T{8 + i % 9:02d}2000", filler) for i in range(300)]
    body = calendar(*events)
    assert 2_000_000 <= len(body) < 2_300_000
    result = feeds.sync(follow(room, server, body=body))
    assert result.ok and result.added > 0
    from flask import current_app
    current_app.config["FEED_MAX_BYTES"] = 2_000_000
    clock.advance(timedelta(minutes=1))
    assert feeds.sync(db.session.scalar(select(CalendarFeed.id))).error == "too-large"


def test_patient_data_leaves_no_trace_in_any_table_or_log(room, server, caplog):
    caplog.set_level(logging.DEBUG)
    feed_id = follow(room, server, body=outlook_feed())
    feeds.sync(feed_id)
    server.routes["/room.ics"] = (200, outlook_feed("20261127T120000", "20261127T123000"), {})
    feeds.sync(feed_id)
    assert len(active(room)) == 5
    hits = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        if not columns:
            continue
        for needle in (PNR, "19121212", "Tolvan", "070-1234567", "Videobesök", "Hemma"):
            rows = db.session.execute(select(*columns).where(or_(*[c.contains(needle) for c in columns]))).all()
            hits += [(table.name, needle, r) for r in rows]
    assert hits == []
    assert PNR not in caplog.text and "Tolvan" not in caplog.text


def test_an_organiser_name_that_is_a_personal_number_is_not_kept(room, server):
    feeds.sync(follow(room, server, body=calendar(vevent("x", "20261127T100000", "20261127T103000",
                                                         organizer=PATIENT))))
    assert active(room) == [(local("2026-11-27", "10:00"), local("2026-11-27", "10:30"), None)]


def test_feed_bookings_are_read_only_and_count_for_overlap(room, server):
    feeds.sync(follow(room, server, body=outlook_feed()))
    b = db.session.scalar(select(Booking).order_by(Booking.starts_at))
    start = b.starts_at
    with pytest.raises(BookingError) as exc:
        bookings.cancel(b.id, ADMIN)
    assert exc.value.key == "bookings.error.from_feed" and exc.value.status == 409
    with pytest.raises(BookingError) as exc:
        bookings.create(room, ADMIN, start, start + timedelta(minutes=15))
    assert exc.value.key == "bookings.error.overlap"


def test_only_http_and_https_addresses(room):
    for bad in ("file:///etc/passwd", "ftp://example.org/x.ics", "javascript:alert(1)", "http://", "webcal",
                "https://example.org/" + "a" * 2000, "https://exa mple.org/x.ics"):
        with pytest.raises(BookingError) as exc:
            feeds.set_feed(room, bad, ADMIN)
        assert exc.value.key == "bookings.feed.bad_url"
    assert feeds.check_url(" https://outlook.office365.com/owa/calendar/x/reachcalendar.ics ").startswith("https://")


def test_stopping_a_feed_cancels_its_future_bookings(room, server):
    feed_id = follow(room, server, body=outlook_feed())
    feeds.sync(feed_id)
    feeds.set_feed(room, "", ADMIN)
    assert active(room) == [] and db.session.get(CalendarFeed, feed_id) is None
    assert [k for k in db.session.scalars(select(Event.kind)) if k == "calendar-set"] == ["calendar-set"] * 2


def test_the_cli_syncs_every_feed_and_says_which_failed(app, frozen_clock, make_room, server, runner):
    with app.app_context():
        ok_room, bad_room = make_room(), make_room()
        follow(ok_room, server, body=outlook_feed())
        feeds.set_feed(bad_room, server.url("/missing.ics"), ADMIN)
        slug = db.session.get(Room, ok_room).slug
    result = runner.invoke(args=["calendars", "sync"])
    assert result.exit_code == 1
    assert "5 added" in result.output and "not read (http)" in result.output and "2 feed(s), 1 failed." in result.output
    result = runner.invoke(args=["calendars", "sync", "--room", slug])
    assert result.exit_code == 0 and "(unchanged)" not in result.output and "1 feed(s), 0 failed." in result.output
    result = runner.invoke(args=["calendars", "sync", "--room", "no-such-room"])
    assert result.exit_code == 1 and "No calendar feed" in result.output
