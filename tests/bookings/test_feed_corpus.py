"""The calendar feed sync against calendars nobody here wrote: every test
calendar shipped inside the installed icalendar and recurring-ical-events
packages, served over HTTP on 127.0.0.1 (read only because
KIOSK_FEED_ALLOWED_HOSTS lists the server) and read by the real sync at a
moment inside its events. The stored bookings are compared with
``recurring_ical_events.of(calendar).between(...)`` for the same window:
count, start and end in UTC.

What the kiosk does differently on purpose (docs/rooms.md, "Calendar feeds")
is applied to the library's answer by the documented rules, not by the
sync's code: all-day events, events marked free and cancelled ones are not
bookings, a floating time is Swedish time, Google's X-WR-TIMEZONE is the
calendar's zone, and a meeting that overlaps an earlier one of the same feed
is skipped and counted (the count the sync keeps must close the gap). Every
other difference is listed in ``KNOWN`` with its reason.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kiosk import clock, create_app
from kiosk.bookings import feed_parse, feeds
from kiosk.extensions import db
from kiosk.models import Booking, CalendarFeed, Room, Unit
from kiosk.rooms.service import Actor
from tests.database_support import app_config, empty_tables
from tests.servers import SHUTDOWN_POLL

pytestmark = pytest.mark.slow

def _site_packages() -> Path:
    import icalendar

    return Path(icalendar.__file__).resolve().parent.parent


CORPUS_DIRS = [_site_packages() / "icalendar" / "tests" / "calendars",
               _site_packages() / "recurring_ical_events" / "test" / "calendars"]
FILES = sorted(p for d in CORPUS_DIRS for p in d.glob("*.ics"))
STOCKHOLM = ZoneInfo("Europe/Stockholm")
ADMIN = Actor("admin:1")

# file name -> (what the sync answers, why). "invalid": not read at all (the
# last good bookings would stay); "unreadable": read, but a series is left out
# and its bookings kept; "too-many": over the instance cap; "differs": read,
# with bookings that differ from the library's for the reason given.
NO_START = "no event has exactly one readable start: nothing to read, the last good bookings stay"
NOT_A_CALENDAR = "not a VCALENDAR from its first line to an END:VCALENDAR line: read as cut off or foreign"
KNOWN: dict[str, tuple[str, str]] = {
    "america_new_york_forward_reference.ics": ("invalid", "its only event has two DTSTART lines"),
    "pacific_fiji.ics": ("invalid", "its only event has two DTSTART lines"),
    "broken_ical.ics": ("invalid", NO_START),
    "broken_dtstart.ics": ("invalid", NO_START),
    "issue_1081_invalid_start_and_end.ics": ("invalid", NO_START),
    "issue_1081_invalid_start_valid_end.ics": ("invalid", NO_START),
    "issue_1050_uid_in_description.ics": ("invalid", NO_START),
    "issue_1081_with_summary.ics": ("invalid", NO_START),
    "issue_1549_binary_attachment.ics": ("invalid", NO_START),
    "issue_1561_image_value.ics": ("invalid", NO_START),
    "issue_322_expected_calendar.ics": ("invalid", NO_START),
    "issue_798_related_to.ics": ("invalid", NO_START),
    "rfc_5545_RDATE_example.ics": ("invalid", NO_START),
    "rfc_6868.ics": ("invalid", NO_START),
    "rfc_7256_multi_value_parameters.ics": ("invalid", NO_START),
    "rfc_7986_conferences.ics": ("invalid", NO_START),
    "rfc_7986_image.ics": ("invalid", NO_START),
    "rfc_9253_gap.ics": ("invalid", NO_START),
    "rfc_9253_related_to.ics": ("invalid", NO_START),
    "multiple_timezones.ics": ("unreadable", "RDATE;VALUE=TIME (a time of day) stops the library on the whole "
                               "calendar; the sync reads none of its series and would keep their bookings"),
    "invalid_duration.ics": ("invalid", "its only event's DURATION cannot be read"),
    "issue_1081_invalid_rrule_freq.ics": ("invalid", "its only event's RRULE cannot be read"),
    "issue_178_component_with_invalid_name_represented.ics": ("invalid", NOT_A_CALENDAR),
    "issue_178_custom_component_contains_other.ics": ("invalid", NOT_A_CALENDAR),
    "issue_82_expected_output.ics": ("invalid", NOT_A_CALENDAR),
    "timezone_same_start_and_offset.ics": ("invalid", NOT_A_CALENDAR + " (it ends in END:VCALENDARD)"),
}


def test_the_corpus_is_there():
    assert len(FILES) > 200, "the installed icalendar and recurring-ical-events ship their test calendars"


class CorpusServer:
    def __init__(self):
        self.body = b""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(SHUTDOWN_POLL,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def corpus(database_url, tmp_path_factory):
    """One server and one app for the whole module; the app reads the server
    only because the environment lists it, as a deployment would."""
    server = CorpusServer()
    before = os.environ.get("KIOSK_FEED_ALLOWED_HOSTS")
    os.environ["KIOSK_FEED_ALLOWED_HOSTS"] = f"127.0.0.1:{server.port}"
    try:
        app = create_app(app_config(database_url, tmp_path_factory.mktemp("corpus")))
    finally:
        if before is None:
            del os.environ["KIOSK_FEED_ALLOWED_HOSTS"]
        else:
            os.environ["KIOSK_FEED_ALLOWED_HOSTS"] = before
    assert app.config["FEED_ALLOWED_HOSTS"] == f"127.0.0.1:{server.port}"
    yield app, server
    server.close()
    with app.app_context():
        db.session.remove()
        empty_tables()
        db.session.commit()
        db.engine.dispose()
    clock.reset()


def _utc(value) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=STOCKHOLM)
    return value.astimezone(timezone.utc)


def _moment(calendar) -> datetime | None:
    """A moment inside the calendar's events: an hour before its first timed start."""
    starts = []
    for event in calendar.walk("VEVENT"):
        try:
            value = event.get("DTSTART").dt
        except Exception:  # noqa: BLE001 - no start, two starts, a broken one
            continue
        if isinstance(value, datetime):
            starts.append(_utc(value))
        elif isinstance(value, date):
            starts.append(datetime(value.year, value.month, value.day, tzinfo=timezone.utc))
    starts = [s for s in starts if datetime(1971, 1, 1, tzinfo=timezone.utc) < s < datetime(2090, 1, 1,
                                                                                           tzinfo=timezone.utc)]
    return min(starts) - timedelta(hours=1) if starts else None


def _expected(body: bytes, start: datetime, end: datetime, now: datetime) -> list[tuple[datetime, datetime]]:
    """The library's answer for the window, by the documented rules."""
    icalendar, recurring_ical_events, x_wr_timezone = feeds._ical_libraries()
    # CDO's "BYDAY=MO, TU" is read as "BYDAY=MO,TU" (the library refuses the spaces).
    body = feed_parse._RULE_LINE.sub(lambda m: m.group(0).replace(b", ", b","), body)
    calendar = x_wr_timezone.to_standard(icalendar.Calendar.from_ical(body.lstrip(b"\xef\xbb\xbf")))
    # An event without exactly one start is not read (the library would fail on the whole calendar).
    for parent in calendar.walk():
        parent.subcomponents = [c for c in parent.subcomponents if c.name != "VEVENT" or (
            isinstance(c.get("DTSTART"), icalendar.prop.vDDDTypes) and not isinstance(c.get("DTEND"), list))]
    out = []
    for event in recurring_ical_events.of(calendar, skip_bad_series=True).between(start, end):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue
        first, last = event.get("DTSTART"), event.get("DTEND")
        if first is None or not isinstance(first.dt, datetime):
            continue
        s = _utc(first.dt)
        if last is not None and isinstance(last.dt, datetime):
            e = _utc(last.dt)
        elif event.get("DURATION") is not None:
            e = s + event.get("DURATION").dt
        else:
            continue
        if e > s and e > now:
            out.append((s, e))
    return sorted(out)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_a_corpus_calendar_is_read_as_the_library_reads_it(corpus, path):
    app, server = corpus
    body = path.read_bytes()
    icalendar, _, _ = feeds._ical_libraries()
    try:
        calendar = icalendar.Calendar.from_ical(body.lstrip(b"\xef\xbb\xbf"))
    except Exception:  # noqa: BLE001 - a file the library itself cannot read
        calendar = None
    known = KNOWN.get(path.name)
    with app.app_context():
        empty_tables()
        db.session.commit()
        unit = Unit(name="Korpus", slug="korpus")
        db.session.add(unit)
        db.session.flush()
        room = Room(name="Korpusrum", slug="korpusrum", unit_id=unit.id)
        db.session.add(room)
        db.session.commit()
        room_id = room.id
        now = (_moment(calendar) if calendar is not None and not isinstance(calendar, list) else None) or \
            datetime(2026, 11, 26, 9, tzinfo=timezone.utc)
        clock.freeze(now)
        try:
            server.body = body
            feed = feeds.set_feed(room_id, f"http://127.0.0.1:{server.port}/{path.name}", ADMIN)
            result = feeds.sync(feed.id)
            if known is not None and known[0] != "differs":
                assert result.error == known[0], known[1]
                return
            if calendar is None or isinstance(calendar, list):
                assert result.error == "invalid"
                return
            # "unreadable": a series the library leaves out too (skip_bad_series) is
            # counted, and its bookings (none here) would stay; the rest is read.
            assert result.ok or result.error == "unreadable", f"{path.name}: {result.error}"
            start, end = feeds.window(now)
            expected = _expected(body, start, end, now)
            db.session.expire_all()
            stored = sorted((b.starts_at, b.ends_at) for b in db.session.scalars(
                select(Booking).where(Booking.room_id == room_id, Booking.status.in_(("booked", "claimed")))))
            f = db.session.get(CalendarFeed, feed.id)
            skipped = dict(feeds.skipped(f.read_counts))
            if known is not None:
                assert stored != expected, f"{path.name} is listed as differing but matches: take it off the list"
                return
            # Every stored booking is one of the library's instances ...
            missing = Counter(stored) - Counter(expected)
            assert not missing, f"{path.name}: stored but not in the library's answer: {sorted(missing)[:5]}"
            # ... and the library's instances that were not stored are the overlaps the sync counted.
            assert len(expected) - len(stored) == skipped.get("overlap_feed", 0), (
                f"{path.name}: {len(expected)} expected, {len(stored)} stored, skipped {skipped}")
            assert feeds.read_counts(f.read_counts)["bookings"] == len(stored)
        finally:
            clock.reset()
