"""Calendar feeds: a room's bookings read from its published iCalendar address
(the resource calendar of Exchange/Outlook or Google Workspace).

What is kept of each meeting: its start, its end, and the organiser's display
name (CN) as the holder - nothing else. Clinicians write patients' names and
personal identity numbers in meeting titles, so SUMMARY, DESCRIPTION, LOCATION,
ATTENDEE (and every other property) are dropped as the feed is parsed, before
anything is stored or logged; the UID is kept only as its SHA-256, so that a
moved meeting moves. Errors are recorded as fixed keys (``ERRORS``), never as
the server's or the parser's text, which may quote the feed.

All-day events are ignored: a room booked "all day" in a resource calendar is
a note, not a visit, and would block every slot of the day. Cancelled
meetings and instances (STATUS:CANCELLED, EXDATE) are removed; moved instances
(RECURRENCE-ID) move. A feed that cannot be read, is too large or is not
iCalendar keeps the last good bookings and records the error and when the
feed was last read well.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from .. import clock
from ..errors import KeyedError
from ..events import Actor
from ..extensions import db
from ..models import Booking, CalendarFeed, Room
from ..room_write import RoomWrite, room_write
from . import service
from .day import ACTIVE

log = logging.getLogger(__name__)

URL_MAX = 2000
ERRORS = ("bad-url", "unreachable", "timeout", "http", "too-large", "invalid")


class FeedError(KeyedError):
    """A feed that cannot be read; ``key`` is one of ``ERRORS``."""


@dataclass(frozen=True)
class Instance:
    """One meeting of a feed as kept: nothing but times, the organiser's name and the hashed UID."""

    uid: str
    recurrence_id: str
    starts_at: datetime
    ends_at: datetime
    holder: str | None


# ---- the address ------------------------------------------------------------------


def check_url(raw: str | None) -> str:
    """An http(s) address with a host; anything else (file:, ftp:, data:) is refused."""
    url = (raw or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        raise service.BookingError("bookings.feed.bad_url") from None
    if len(url) > URL_MAX or parts.scheme not in ("http", "https") or not parts.hostname:
        raise service.BookingError("bookings.feed.bad_url")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise service.BookingError("bookings.feed.bad_url")
    return url


def set_feed(room_id: int, url: str | None, actor) -> CalendarFeed | None:
    """Follow a feed (or, with an empty address, stop: its future bookings are cancelled)."""
    url = check_url(url) if (url or "").strip() else None
    with room_write(room_id, missing=service.BookingError("rooms.error.no_room", 404)) as w:
        room, now = w.room, w.now
        feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.room_id == room.id))
        if url is None:
            if feed is not None:
                for b in _feed_bookings(feed, now):
                    b.status, b.updated_at, b.updated_by = "cancelled", now, actor.label
                for b in db.session.scalars(select(Booking).where(Booking.feed_id == feed.id)):
                    b.feed_id = None
                db.session.delete(feed)
                feed = None
        elif feed is None:
            feed = CalendarFeed(room_id=room.id, url=url, created_at=now)
            db.session.add(feed)
        elif feed.url != url:
            feed.url, feed.etag, feed.last_modified = url, None, None
        w.record("calendar-set", actor, following=url is not None)
    return feed


# ---- reading -------------------------------------------------------------------------


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow ftp:)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FeedError("bad-url")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _HttpOnlyRedirects())


def fetch(url: str, etag: str | None = None, last_modified: str | None = None
          ) -> tuple[bytes | None, str | None, str | None]:
    """GET the feed: (body, etag, last-modified), body None when unchanged (304).
    At most FEED_MAX_BYTES are read; a longer feed is refused."""
    check_url_or_fail(url)
    cap = int(current_app.config["FEED_MAX_BYTES"])
    timeout = float(current_app.config["FEED_TIMEOUT_SECONDS"])
    request = urllib.request.Request(url, headers={"Accept": "text/calendar", "User-Agent": "Vardmoteskiosk"})
    if etag:
        request.add_header("If-None-Match", etag)
    if last_modified:
        request.add_header("If-Modified-Since", last_modified)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > cap:
                raise FeedError("too-large")
            body = response.read(cap + 1)
            if len(body) > cap:
                raise FeedError("too-large")
            return body, response.headers.get("ETag"), response.headers.get("Last-Modified")
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return None, etag, last_modified
        raise FeedError("http") from None
    except (TimeoutError, socket.timeout):
        raise FeedError("timeout") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise FeedError("timeout") from None
        raise FeedError("unreachable") from None
    except (OSError, ValueError):
        raise FeedError("unreachable") from None


def check_url_or_fail(url: str) -> None:
    try:
        check_url(url)
    except service.BookingError:
        raise FeedError("bad-url") from None


def _utc(value) -> datetime:
    """A DTSTART/DTEND value as aware UTC; a floating time is Sweden's."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.zone())
    return value.astimezone(timezone.utc)


def _holder(event) -> str | None:
    """The organiser's display name if it passes the holder rule; else none ("Bokad")."""
    organizer = event.get("ORGANIZER")
    if organizer is None:
        return None
    cn = getattr(organizer, "params", {}).get("CN")
    if not cn:
        return None
    try:
        return service.holder_text("name", str(cn).strip().strip('"'))
    except service.BookingError:
        return None


def _ical_libraries():
    """Import the iCalendar libraries when first needed (most requests never are).
    pygal (the statistics charts) installs an old-style import finder that makes
    Python warn (ImportWarning) when dateutil imports ``six.moves``: harmless, and
    silenced here so that it cannot turn into an error under -W error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImportWarning)
        import dateutil.rrule  # noqa: F401 - imported by the expansion at call time otherwise
        import dateutil.tz  # noqa: F401
        import icalendar
        import recurring_ical_events
        import x_wr_timezone
    return icalendar, recurring_ical_events, x_wr_timezone


def parse(body: bytes, start: datetime, end: datetime) -> list[Instance]:
    """The feed's timed meetings in [start, end), with everything but times and
    the organiser's name already dropped. Raises FeedError("invalid")."""
    icalendar, recurring_ical_events, x_wr_timezone = _ical_libraries()
    # A cut-off or foreign file must not read as "an empty calendar" (which would cancel every booking).
    text = body.strip()
    if not (text[:15].upper() == b"BEGIN:VCALENDAR" and text[-13:].upper() == b"END:VCALENDAR"):
        raise FeedError("invalid")
    try:
        calendar = icalendar.Calendar.from_ical(body)
        calendar = x_wr_timezone.to_standard(calendar)  # Google's X-WR-TIMEZONE
        # The expansion gives every instance a RECURRENCE-ID, single events too;
        # only a series' instances are told apart by it (a moved single meeting keeps its row).
        series = {str(c.get("UID", "")) for c in calendar.walk("VEVENT")
                  if c.get("RRULE") is not None or c.get("RDATE") is not None or c.get("RECURRENCE-ID") is not None}
        events = recurring_ical_events.of(calendar, skip_bad_series=True).between(start, end)
        instances: dict[tuple[str, str], Instance] = {}
        for event in events:
            if event.name != "VEVENT":
                continue
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            dtstart = event.get("DTSTART")
            if dtstart is None:
                continue
            first = dtstart.dt
            if not isinstance(first, datetime) and isinstance(first, date):
                continue  # all-day: ignored (see the module's docstring)
            dtend = event.get("DTEND")
            if dtend is not None:
                last = dtend.dt
            elif event.get("DURATION") is not None:
                last = first + event.get("DURATION").dt
            else:
                continue
            if not isinstance(last, datetime):
                continue
            raw_uid = str(event.get("UID", ""))
            uid = hashlib.sha256(raw_uid.encode()).hexdigest()
            recurrence = ""
            if raw_uid in series:
                rid = event.get("RECURRENCE-ID")
                original = rid.dt if rid is not None and isinstance(rid.dt, datetime) else first
                recurrence = _utc(original).isoformat()
            s, e = _utc(first), _utc(last)
            if e <= s:
                continue
            instances[(uid, recurrence)] = Instance(uid, recurrence, s, e, _holder(event))
        return list(instances.values())
    except FeedError:
        raise
    except Exception:  # noqa: BLE001 - any parser failure is "invalid"; its text may quote the feed
        raise FeedError("invalid") from None


def window(now: datetime) -> tuple[datetime, datetime]:
    """The days read from a feed: from FEED_DAYS_BEFORE before today to FEED_DAYS_AHEAD after."""
    today = clock.local_date(now)
    return clock.day_bounds(today - timedelta(days=int(current_app.config["FEED_DAYS_BEFORE"])),
                            today + timedelta(days=int(current_app.config["FEED_DAYS_AHEAD"])))


def _feed_bookings(feed: CalendarFeed, now: datetime) -> list[Booking]:
    """The feed's bookings that are not over yet (the past stays as it was)."""
    return list(db.session.scalars(select(Booking).where(
        Booking.feed_id == feed.id, Booking.ends_at > now)))


@dataclass(frozen=True)
class SyncResult:
    room_id: int
    ok: bool
    error: str | None = None
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged_feed: bool = False


def sync(feed_id: int) -> SyncResult:
    """Read one feed and bring its room's bookings in line; on failure keep them."""
    feed = db.session.get(CalendarFeed, feed_id)
    url, etag, modified, room_id = feed.url, feed.etag, feed.last_modified, feed.room_id
    db.session.rollback()  # no transaction open while the network is slow
    now = clock.now()
    try:
        body, new_etag, new_modified = fetch(url, etag, modified)
        start, end = window(now)
        instances = parse(body, start, end) if body is not None else None
    except FeedError as exc:
        return _failed(feed_id, exc.key)
    with room_write(room_id) as w:
        result = _bring_in_line(w, feed_id, instances, new_etag, new_modified)
    if not result.unchanged_feed:
        log.info("calendar feed %s: %d added, %d changed, %d removed", feed_id, result.added, result.changed,
                 result.removed)
    return result


def _bring_in_line(w: RoomWrite, feed_id: int, instances: list[Instance] | None, new_etag, new_modified) -> SyncResult:
    """Inside the room's write unit: store what was read (None: the feed had not changed)."""
    room, now = w.room, w.now
    feed = db.session.get(CalendarFeed, feed_id)
    feed.last_attempt_at = feed.last_success_at = now
    feed.last_error = None
    feed.etag, feed.last_modified = (new_etag or None), (new_modified or None)
    if instances is None:
        return SyncResult(room.id, True, unchanged_feed=True)
    added = changed = removed = 0
    existing = {(b.feed_uid, b.recurrence_id): b for b in db.session.scalars(
        select(Booking).where(Booking.feed_id == feed.id))}
    seen = set()
    for inst in instances:
        key = (inst.uid, inst.recurrence_id)
        seen.add(key)
        b = existing.get(key)
        if b is None:
            if inst.ends_at <= now:
                continue  # a meeting already over is history, not a booking to add
            db.session.add(Booking(room_id=room.id, starts_at=inst.starts_at, ends_at=inst.ends_at,
                                   holder_name=inst.holder, source="feed", feed_id=feed.id, feed_uid=inst.uid,
                                   recurrence_id=inst.recurrence_id, status="booked", created_at=now,
                                   updated_at=now, created_by="calendar", updated_by="calendar"))
            added += 1
            continue
        if b.ends_at <= now and inst.ends_at <= now:
            continue
        if b.status == "cancelled":
            b.status, b.session_id = "booked", None
            changed += 1
        if (b.starts_at, b.ends_at, b.holder_name) != (inst.starts_at, inst.ends_at, inst.holder):
            b.starts_at, b.ends_at, b.holder_name = inst.starts_at, inst.ends_at, inst.holder
            changed += 1
        b.updated_at, b.updated_by = now, "calendar"
    start, end = window(now)
    for key, b in existing.items():
        # Gone from the feed (cancelled, deleted, an EXDATE): only within the window read, and not over yet.
        if key not in seen and b.status in ACTIVE and b.ends_at > now and b.starts_at < end:
            b.status, b.updated_at, b.updated_by = "cancelled", now, "calendar"
            removed += 1
    if added or changed or removed:  # an event per change, not per reading (a timer reads every few minutes)
        w.record("calendar-sync", Actor.system(), added=added, changed=changed, removed=removed)
    return SyncResult(room.id, True, added=added, changed=changed, removed=removed)


def _failed(feed_id: int, key: str) -> SyncResult:
    """Keep the last good bookings; record the error (an event when it is new)."""
    db.session.rollback()
    feed = db.session.get(CalendarFeed, feed_id)
    room_id = feed.room_id
    db.session.rollback()
    with room_write(room_id) as w:
        feed = db.session.get(CalendarFeed, feed_id)
        if feed.last_error != key:
            w.record("calendar-sync-failed", Actor.system(), error=key)
        feed.last_attempt_at, feed.last_error = w.now, key
    log.warning("calendar feed %s could not be read: %s", feed_id, key)
    return SyncResult(room_id, False, error=key)


def sync_all(room_slug: str | None = None) -> list[SyncResult]:
    """Read every feed (or one room's): the CLI and a systemd timer call this."""
    query = select(CalendarFeed.id).join(Room, Room.id == CalendarFeed.room_id).where(Room.active.is_(True))
    if room_slug:
        query = select(CalendarFeed.id).join(Room, Room.id == CalendarFeed.room_id).where(Room.slug == room_slug)
    ids = list(db.session.scalars(query.order_by(CalendarFeed.id)))
    db.session.rollback()
    return [sync(feed_id) for feed_id in ids]
