"""Calendar feeds: a room's bookings read from its published iCalendar address
(the resource calendar of Exchange/Outlook or Google Workspace).

What is kept of each meeting: its start, its end, and the organiser's display
name (CN) as the holder - nothing else. Clinicians write patients' names and
personal identity numbers in meeting titles, so SUMMARY, DESCRIPTION, LOCATION,
ATTENDEE (and every other property) are dropped as the feed is parsed, before
anything is stored or logged; the UID is kept only as its SHA-256, so that a
moved meeting moves. Errors are recorded as fixed keys (``ERRORS``), never as
the server's or the parser's text, which may quote the feed.

The rules (docs/rooms.md, "Calendar feeds"): all-day events and events marked
free (TRANSP:TRANSPARENT) are not bookings; cancelled meetings and instances
(STATUS:CANCELLED, EXDATE) are removed; moved instances (RECURRENCE-ID) move; a
time in a zone nobody knows is read as Swedish time and said so; a meeting
that overlaps a booking made in the kiosk, or an earlier meeting of the same
feed, is not stored and is counted as skipped. A feed that cannot be read,
is too large or is not iCalendar keeps the last good bookings; so do the
bookings of a series that cannot be read, and the bookings of a feed that
suddenly reads as much smaller than before (until an administrator accepts it).

Reading is split from storing: :func:`read` fetches and parses with no
database session open (and may run in a worker thread, several feeds at
once), :func:`apply` stores the result under the room's lock.
"""

from __future__ import annotations

import functools
import hashlib
import http.client
import ipaddress
import logging
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
ETAG_MAX = 200
LAST_MODIFIED_MAX = 64
ERRORS = ("bad-url", "refused-address", "unreachable", "timeout", "http", "too-large", "too-many", "invalid",
          "unreadable", "shrunk", "busy", "internal")
# Why a meeting in the feed is not a booking (shown to administrators in words: bookings.feed_skip.*).
SKIP_REASONS = ("all_day", "free", "no_length", "overlap_manual", "overlap_feed", "unreadable")
# A feed that had at least SHRINK_MIN future bookings and now reads fewer than
# SHRINK_SHARE of them is held: the usual cause is a broken export, not a
# cleared calendar.
SHRINK_MIN = 10
SHRINK_SHARE = 0.5
# Steps through a rule (from the series' first instance) allowed per instance
# of the cap: a weekly series since 2000 takes 1,400, a daily one 10,000.
STEPS_PER_INSTANCE = 20
_BOM = b"\xef\xbb\xbf"
_END_LINE = re.compile(rb"^END:VCALENDAR[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
# Microsoft's CDO exports write lists in rules with spaces ("BYDAY=MO, TU");
# icalendar refuses them, which would drop the whole series.
_RULE_LINE = re.compile(rb"^(?:RRULE|EXRULE)[;:][^\r\n]*", re.IGNORECASE | re.MULTILINE)
_TIME_PROPERTIES = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID"}


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


@dataclass
class Reading:
    """What one read of a feed gave: the instances in the window and what was made of the rest."""

    instances: list[Instance]
    meetings: int = 0                      # single meetings with an instance in the window
    series: int = 0                        # recurring series with an instance in the window
    skipped: Counter = field(default_factory=Counter)  # reason (SKIP_REASONS) -> count
    unknown_zone: int = 0                  # instances read as Swedish time (their zone is unknown)
    unreadable_uids: set[str] = field(default_factory=set)  # hashed UIDs whose bookings stay as they were


# ---- the address ------------------------------------------------------------------


def check_url(raw: str | None) -> str:
    """An http(s) address with a host; anything else (file:, ftp:, data:) is refused."""
    url = (raw or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
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
            feed.url, feed.etag, feed.last_modified, feed.last_read_at = url, None, None, None
        w.record("calendar-set", actor, following=url is not None)
    return feed


def allowed_hosts(config) -> frozenset[str]:
    """KIOSK_FEED_ALLOWED_HOSTS: "host" or "host:port" entries (a list, or text
    separated by commas or spaces) that may be read though they resolve to a
    loopback, private, link-local or multicast address."""
    raw = config.get("FEED_ALLOWED_HOSTS") or ()
    if isinstance(raw, str):
        raw = raw.replace(",", " ").split()
    return frozenset(str(h).strip().lower() for h in raw if str(h).strip())


# ---- fetching ------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchSettings:
    """The limits of one read, taken from the app's config (a worker thread has no app)."""

    max_bytes: int
    timeout: float
    deadline: float
    allowed: frozenset[str]
    max_instances: int
    concurrent: int

    @classmethod
    def from_config(cls, config) -> FetchSettings:
        return cls(int(config["FEED_MAX_BYTES"]), float(config["FEED_TIMEOUT_SECONDS"]),
                   float(config["FEED_DEADLINE_SECONDS"]), allowed_hosts(config),
                   int(config["FEED_MAX_INSTANCES"]), max(1, int(config["FEED_MAX_CONCURRENT"])))


class _Refused(OSError):
    """An address the kiosk does not read (an internal network)."""


class _Watch:
    """One read's sockets and its deadline: when the deadline passes, the
    sockets are shut, whatever phase (connect, headers, body) the read is in."""

    def __init__(self, seconds: float):
        self.sockets: list[socket.socket] = []
        self.expired = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                sock.close()
                raise TimeoutError
            self.sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _guarded_socket(host: str, port: int, timeout: float, settings: FetchSettings, watch: _Watch) -> socket.socket:
    """Resolve the name, refuse internal addresses (unless the host is allowed),
    and connect to an address that was checked - not to a second lookup."""
    allowed = host.lower() in settings.allowed or f"{host.lower()}:{port}" in settings.allowed
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not allowed and any(not _public(info[4][0]) for info in infos):
        raise _Refused("internal address")
    last: OSError | None = None
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            watch.add(sock)
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise last or OSError("no address")


class _GuardedHTTP(http.client.HTTPConnection):
    def __init__(self, *args, settings: FetchSettings, watch: _Watch, **kwargs):
        super().__init__(*args, **kwargs)
        self._settings, self._watch = settings, watch

    def connect(self):
        self.sock = _guarded_socket(self.host, self.port, self.timeout, self._settings, self._watch)


class _GuardedHTTPS(http.client.HTTPSConnection):
    def __init__(self, *args, settings: FetchSettings, watch: _Watch, **kwargs):
        super().__init__(*args, **kwargs)
        self._settings, self._watch = settings, watch

    def connect(self):
        sock = _guarded_socket(self.host, self.port, self.timeout, self._settings, self._watch)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _HttpHandler(urllib.request.HTTPHandler):
    def __init__(self, settings: FetchSettings, watch: _Watch):
        super().__init__()
        self._kw = {"settings": settings, "watch": watch}

    def http_open(self, req):
        return self.do_open(functools.partial(_GuardedHTTP, **self._kw), req)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, settings: FetchSettings, watch: _Watch):
        super().__init__()
        self._kw = {"settings": settings, "watch": watch}

    def https_open(self, req):
        return self.do_open(functools.partial(_GuardedHTTPS, **self._kw), req, context=self._context)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow ftp:); every
    redirect's address is checked again when it is connected to."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FeedError("bad-url")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_gates: dict[int, threading.BoundedSemaphore] = {}
_gates_lock = threading.Lock()


def _gate(size: int) -> threading.BoundedSemaphore:
    """At most FEED_MAX_CONCURRENT feeds are read at once in this process
    (the timer's run and every "read now" together)."""
    with _gates_lock:
        return _gates.setdefault(size, threading.BoundedSemaphore(size))


def _validator(value: str | None, limit: int) -> str | None:
    """An ETag or Last-Modified as kept: one that does not fit its column is
    dropped (the next read is a full one), never stored cut."""
    if not value or len(value) > limit:
        return None
    return value


def fetch(url: str, etag: str | None = None, last_modified: str | None = None,
          settings: FetchSettings | None = None) -> tuple[bytes | None, str | None, str | None]:
    """GET the feed: (body, etag, last-modified), body None when unchanged (304).
    At most ``max_bytes`` are read, within ``deadline`` seconds for the whole read."""
    settings = settings or FetchSettings.from_config(current_app.config)
    check_url_or_fail(url)
    request = urllib.request.Request(url, headers={"Accept": "text/calendar", "User-Agent": "Vardmoteskiosk"})
    if etag:
        request.add_header("If-None-Match", etag)
    if last_modified:
        request.add_header("If-Modified-Since", last_modified)
    cap = settings.max_bytes
    with _Watch(settings.deadline) as watch:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _HttpHandler(settings, watch),
                                             _HttpsHandler(settings, watch), _HttpOnlyRedirects())
        try:
            with opener.open(request, timeout=settings.timeout) as response:
                length = response.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > cap:
                    raise FeedError("too-large")
                chunks, size = [], 0
                while True:
                    chunk = response.read1(65536)
                    if watch.expired:
                        raise FeedError("timeout")
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > cap:
                        raise FeedError("too-large")
                    chunks.append(chunk)
                return (b"".join(chunks), _validator(response.headers.get("ETag"), ETAG_MAX),
                        _validator(response.headers.get("Last-Modified"), LAST_MODIFIED_MAX))
        except FeedError:
            raise
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return None, etag, last_modified
            raise FeedError("http") from None
        except (TimeoutError, socket.timeout):
            raise FeedError("timeout") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, _Refused):
                raise FeedError("refused-address") from None
            if isinstance(exc.reason, (TimeoutError, socket.timeout)) or watch.expired:
                raise FeedError("timeout") from None
            raise FeedError("unreachable") from None
        except (OSError, ValueError, http.client.HTTPException):
            if watch.expired:
                raise FeedError("timeout") from None
            raise FeedError("unreachable") from None


def check_url_or_fail(url: str) -> None:
    try:
        check_url(url)
    except service.BookingError:
        raise FeedError("bad-url") from None


# ---- parsing -------------------------------------------------------------------------


def _utc(value) -> datetime:
    """A DTSTART/DTEND value as aware UTC; a floating time is Sweden's."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.zone())
    return value.astimezone(timezone.utc)


def _holder(event) -> str | None:
    """The organiser's display name if it passes the holder rule; else none ("Bokad").
    A name that holds a personal number is dropped, never stored."""
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


def _library_uid(component) -> str:
    """The key recurring_ical_events groups a series by (a component without a UID is its own)."""
    return str(component.get("UID", str(id(component))))


def _hashed_uid(component, raw_uid: str | None) -> str:
    if raw_uid:
        return hashlib.sha256(raw_uid.encode()).hexdigest()
    # No UID (RFC 5545 requires one; some exporters leave it out): the event's
    # own start and end tell it apart, so that two such meetings are two bookings.
    start, end = component.get("DTSTART"), component.get("DTEND") or component.get("DURATION")
    marker = "\0no-uid\0" + (start.to_ical().decode() if start is not None else "") + "\0" + (
        end.to_ical().decode() if end is not None else "")
    return hashlib.sha256(marker.encode()).hexdigest()


def _too_many(series_list, start: datetime, end: datetime, cap: int, bad: set[str]) -> bool:
    """Whether the series make more than ``cap`` instances in the window, or
    take more than STEPS_PER_INSTANCE times that many steps to reach its end.
    Counted lazily: the library lists every instance of a rule at once, from
    the series' first (a rule repeating every second took gigabytes, and one
    repeating every minute since 1997 minutes, before any cap could stop it).
    A series whose rule cannot be stepped through joins ``bad``."""
    from recurring_ical_events.util import convert_to_datetime

    in_window = steps = 0
    for series in series_list:
        recurrence = getattr(series, "recurrence", None)
        rules = getattr(recurrence, "rrules", None) or []
        if not rules:
            in_window += 1
            continue
        try:
            tz = getattr(recurrence, "tzinfo", None)
            first, last = convert_to_datetime(start, tz), convert_to_datetime(end, tz)
            first -= timedelta(days=1)  # the library widens the window by the meeting's length
            for rule in rules:
                # _iter: the rule's own steps, not its cache (which would keep every step,
                # and which a failed step leaves broken for the library's expansion).
                for at in rule._iter():
                    if at > last:
                        break
                    steps += 1
                    in_window += at >= first
                    if in_window > cap or steps > cap * STEPS_PER_INSTANCE:
                        return True
        except Exception:  # noqa: BLE001 - e.g. an RDATE that is a time of day: the series is unreadable
            bad.add(str(series.uid))
    return False


def _has_one_start(component) -> bool:
    start = component.get("DTSTART")
    if start is None or isinstance(start, list):
        return False
    try:
        start.dt  # noqa: B018 - a broken value raises here
    except Exception:  # noqa: BLE001
        return False
    return not any(isinstance(component.get(p), list) for p in ("DTEND", "DURATION", "RECURRENCE-ID"))


def _series(calendar, by_uid: dict, bad: set[str], icalendar, recurring_ical_events) -> list:
    """The library's series of the calendar. Should the library fail on the
    calendar as a whole, each UID is tried alone (with the calendar's zones),
    and those it fails on join ``bad``."""
    try:
        return list(recurring_ical_events.of(calendar, skip_bad_series=True).series)
    except Exception:  # noqa: BLE001 - one event the library cannot take must not hide the others
        pass
    zones = list(calendar.walk("VTIMEZONE"))
    found = []
    for uid, components in by_uid.items():
        if uid in bad:
            continue
        alone = icalendar.Calendar()
        for component in [*zones, *components]:
            alone.add_component(component)
        try:
            found += recurring_ical_events.of(alone, skip_bad_series=True).series
        except Exception:  # noqa: BLE001
            bad.add(uid)
    return found


def parse(body: bytes, start: datetime, end: datetime, max_instances: int | None = None) -> Reading:
    """The feed's timed meetings in [start, end), with everything but times and
    the organiser's name already dropped. Raises FeedError ("invalid", "too-many")."""
    icalendar, recurring_ical_events, x_wr_timezone = _ical_libraries()
    cap = max_instances if max_instances is not None else int(current_app.config["FEED_MAX_INSTANCES"])
    text = body.strip()
    if text.startswith(_BOM):
        text = text[len(_BOM):].lstrip()
    # A cut-off or foreign file must not read as "an empty calendar" (which would
    # cancel every booking): it starts as a calendar and has the calendar's end
    # line (a caching proxy may add a line after it).
    if text[:15].upper() != b"BEGIN:VCALENDAR" or not _END_LINE.search(text):
        raise FeedError("invalid")
    text = _RULE_LINE.sub(lambda m: re.sub(rb",\s+", b",", m.group(0)), text)
    try:
        calendar = icalendar.Calendar.from_ical(text)
        calendar = x_wr_timezone.to_standard(calendar)  # Google's X-WR-TIMEZONE
        components = list(calendar.walk("VEVENT"))
    except Exception:  # noqa: BLE001 - any parser failure is "invalid"; its text may quote the feed
        raise FeedError("invalid") from None
    by_uid: dict[str, list] = {}
    for c in components:
        by_uid.setdefault(_library_uid(c), []).append(c)
    # An event without one readable start (none, or two) stops the library for
    # the whole calendar: it is taken out first, as unreadable.
    bad = {_library_uid(c) for c in components if not _has_one_start(c)}
    if bad:
        unusable = {id(c) for uid in bad for c in by_uid[uid]}
        for parent in calendar.walk():
            parent.subcomponents = [c for c in parent.subcomponents if id(c) not in unusable]
    series_list = _series(calendar, by_uid, bad, icalendar, recurring_ical_events)
    if components and all(c.errors or _library_uid(c) in bad for c in components) and not series_list:
        raise FeedError("invalid")  # nothing in it could be read
    # A series the library had to leave out (a rule or a time it cannot read)
    # is unreadable: its bookings stay, and the administrator is told.
    read_uids = {str(s.uid) for s in series_list}
    bad |= {_library_uid(c) for c in components
            if _library_uid(c) not in read_uids or any(prop in _TIME_PROPERTIES for prop, _ in c.errors)}
    stepped_bad: set[str] = set()
    if _too_many([s for s in series_list if str(s.uid) not in bad], start, end, cap, stepped_bad):
        raise FeedError("too-many")
    bad |= stepped_bad
    reading = Reading(instances=[])
    for uid in bad:
        first = by_uid[uid][0]
        reading.unreadable_uids.add(_hashed_uid(first, str(first.get("UID", "")) or None))
        reading.skipped["unreadable"] += len(by_uid[uid])
    series_uids = {uid for uid, cs in by_uid.items()
                   if any(c.get(p) is not None for c in cs for p in ("RRULE", "RDATE", "RECURRENCE-ID"))}
    readable = [s for s in series_list if str(s.uid) not in bad]
    instances: dict[tuple[str, str], Instance] = {}
    seen_meetings, seen_series = set(), set()
    for series in readable:
        uid = str(series.uid)
        try:
            occurrences = sorted(series.between(start, end), key=lambda o: _utc_any(o.start))
        except Exception:  # noqa: BLE001 - the library's error may quote the feed
            first = by_uid[uid][0]
            reading.unreadable_uids.add(_hashed_uid(first, first.get("UID")))
            reading.skipped["unreadable"] += len(by_uid[uid])
            continue
        for occurrence in occurrences:
            if len(instances) >= cap:
                raise FeedError("too-many")
            if _take(occurrence, uid in series_uids, reading, instances):
                (seen_series if uid in series_uids else seen_meetings).add(uid)
    reading.instances = sorted(instances.values(), key=lambda i: (i.starts_at, i.uid, i.recurrence_id))
    reading.meetings, reading.series = len(seen_meetings), len(seen_series)
    return reading


def _utc_any(value) -> datetime:
    if isinstance(value, datetime):
        return _utc(value)
    return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)


def _take(occurrence, in_series: bool, reading: Reading, instances: dict) -> bool:
    """One occurrence of the library: a booking-to-be (True), or a reason why not."""
    event = occurrence.as_component(False)
    # The component as written (the copy above has its DTSTART and DTEND rewritten:
    # a TZID nobody knows and a DURATION are only seen here).
    written = getattr(getattr(occurrence, "_adapter", None), "_component", event)
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    first = occurrence.start
    if not isinstance(first, datetime) and isinstance(first, date):
        reading.skipped["all_day"] += 1
        return False
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        reading.skipped["free"] += 1  # "Visa som: Ledig": the room is not held
        return False
    dtstart = written.get("DTSTART")
    if first.tzinfo is None and dtstart is not None and dtstart.params.get("TZID"):
        reading.unknown_zone += 1  # a zone neither the file nor the library defines: Swedish time
    s = _utc(first)
    duration = written.get("DURATION")
    last = occurrence.end
    if (written.get("DTEND") is None and duration is not None and duration.dt.seconds
            and isinstance(last, datetime) and last == first + duration.dt):  # not an RDATE's own PERIOD
        # An exact duration ("PT3H") is elapsed time, also across a clock change;
        # the library adds it on the wall clock.
        e = s + duration.dt
    else:
        if not isinstance(last, datetime):
            reading.skipped["no_length"] += 1
            return False
        e = _utc(last)
    if e <= s:
        reading.skipped["no_length"] += 1
        return False
    raw_uid = event.get("UID")
    uid = _hashed_uid(event, str(raw_uid) if raw_uid else None)
    recurrence = ""
    if in_series:
        rid = event.get("RECURRENCE-ID")
        if rid is not None and rid.params.get("RANGE", "").upper() == "THISANDFUTURE":
            recurrence = s.isoformat()  # every later instance carries the same RECURRENCE-ID
        elif rid is not None and isinstance(rid.dt, datetime):
            recurrence = _utc(rid.dt).isoformat()
        else:
            recurrence = s.isoformat()
    key = (uid, recurrence)
    if key in instances:
        if instances[key].starts_at == s:
            reading.skipped["overlap_feed"] += 1  # the same meeting twice
            return False
        key = (uid, s.isoformat())
        if key in instances:
            reading.skipped["overlap_feed"] += 1
            return False
    instances[key] = Instance(key[0], key[1], s, e, _holder(event))
    return True


def window(now: datetime) -> tuple[datetime, datetime]:
    """The days read from a feed: from FEED_DAYS_BEFORE before today to FEED_DAYS_AHEAD after."""
    today = clock.local_date(now)
    return clock.day_bounds(today - timedelta(days=int(current_app.config["FEED_DAYS_BEFORE"])),
                            today + timedelta(days=int(current_app.config["FEED_DAYS_AHEAD"])))


def _feed_bookings(feed: CalendarFeed, now: datetime) -> list[Booking]:
    """The feed's bookings that are not over yet (the past stays as it was)."""
    return list(db.session.scalars(select(Booking).where(
        Booking.feed_id == feed.id, Booking.ends_at > now)))


# ---- reading a feed, storing what was read ---------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    room_id: int
    ok: bool
    error: str | None = None
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged_feed: bool = False


@dataclass(frozen=True)
class Plan:
    """What to read for one feed, taken from the database before the network is touched."""

    feed_id: int
    room_id: int
    url: str
    etag: str | None
    last_modified: str | None
    start: datetime
    end: datetime


def plan(feed_id: int, now: datetime) -> Plan:
    feed = db.session.get(CalendarFeed, feed_id)
    start, end = window(now)
    # A conditional request only within the day of the last full read: the
    # window moves every day, and an unchanged file still holds new instances
    # of its series for the days that came into the window.
    same_day = feed.last_read_at is not None and clock.local_date(feed.last_read_at) == clock.local_date(now)
    p = Plan(feed.id, feed.room_id, feed.url, feed.etag if same_day else None,
             feed.last_modified if same_day else None, start, end)
    db.session.rollback()  # no transaction open while the network is slow
    return p


def read(p: Plan, settings: FetchSettings) -> tuple[Reading | None, str | None, str | None] | str:
    """Fetch and parse one feed, no database involved: (reading or None when
    unchanged, etag, last-modified), or an error key."""
    gate = _gate(settings.concurrent)
    if not gate.acquire(timeout=settings.deadline):
        return "busy"
    try:
        body, etag, modified = fetch(p.url, p.etag, p.last_modified, settings)
        reading = parse(body, p.start, p.end, settings.max_instances) if body is not None else None
        return reading, etag, modified
    except FeedError as exc:
        return exc.key
    except Exception as exc:  # noqa: BLE001 - kept as this feed's own error; the text may quote the feed
        log.error("calendar feed %s: unexpected %s while reading", p.feed_id, type(exc).__name__)
        return "internal"
    finally:
        gate.release()


def sync(feed_id: int, accept_smaller: bool = False) -> SyncResult:
    """Read one feed and bring its room's bookings in line; on failure keep them."""
    p = plan(feed_id, clock.now())
    outcome = read(p, FetchSettings.from_config(current_app.config))
    return _store(p, outcome, accept_smaller)


def _store(p: Plan, outcome, accept_smaller: bool) -> SyncResult:
    if isinstance(outcome, str):
        return _failed(p.feed_id, outcome)
    try:
        return apply(p, *outcome, accept_smaller=accept_smaller)
    except Exception as exc:  # noqa: BLE001 - one feed's failure is its own; the others are still read
        db.session.rollback()
        log.error("calendar feed %s: unexpected %s while storing", p.feed_id, type(exc).__name__)
        return _failed(p.feed_id, "internal")


def sync_all(room_slug: str | None = None, accept_smaller: bool = False) -> list[SyncResult]:
    """Read every feed (or one room's): the CLI and a systemd timer call this.
    Feeds are fetched in parallel (FEED_MAX_CONCURRENT at once), so one slow
    feed does not hold the others; the results are stored one room at a time."""
    query = select(CalendarFeed.id).join(Room, Room.id == CalendarFeed.room_id).where(Room.active.is_(True))
    if room_slug:
        query = select(CalendarFeed.id).join(Room, Room.id == CalendarFeed.room_id).where(Room.slug == room_slug)
    ids = list(db.session.scalars(query.order_by(CalendarFeed.id)))
    db.session.rollback()
    if not ids:
        return []
    now = clock.now()
    plans = [plan(feed_id, now) for feed_id in ids]
    settings = FetchSettings.from_config(current_app.config)
    workers = min(len(plans), settings.concurrent)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="feed") as pool:
        outcomes = list(pool.map(lambda p: read(p, settings), plans))
    return [_store(p, outcome, accept_smaller) for p, outcome in zip(plans, outcomes)]


class _Held(Exception):
    """A read that is not stored (the feed reads much smaller than before)."""


def apply(p: Plan, reading: Reading | None, new_etag: str | None, new_modified: str | None,
          accept_smaller: bool = False) -> SyncResult:
    """Store one read in the room's write unit (see the module's docstring for the rules)."""
    try:
        with room_write(p.room_id) as w:
            result = _bring_in_line(w, p, reading, new_etag, new_modified, accept_smaller)
    except _Held:
        return _failed(p.feed_id, "shrunk")
    if not result.unchanged_feed:
        log.info("calendar feed %s: %d added, %d changed, %d removed", p.feed_id, result.added, result.changed,
                 result.removed)
    return result


def _bring_in_line(w: RoomWrite, p: Plan, reading: Reading | None, new_etag: str | None,
                   new_modified: str | None, accept_smaller: bool) -> SyncResult:
    room, now = w.room, w.now
    feed = db.session.get(CalendarFeed, p.feed_id)
    if feed is None:
        return SyncResult(p.room_id, False, error="internal")
    if reading is None:  # 304: what was read today still stands
        feed.last_attempt_at = now
        if feed.last_error != "unreadable":
            feed.last_success_at = now
            feed.last_error, feed.failing_since = None, None
        return SyncResult(room.id, True, unchanged_feed=True)
    existing = {(b.feed_uid, b.recurrence_id): b for b in db.session.scalars(
        select(Booking).where(Booking.feed_id == feed.id))}
    future = [i for i in reading.instances if i.ends_at > now]
    before = sum(1 for b in existing.values() if b.status in ACTIVE and b.ends_at > now
                 and b.starts_at < p.end and b.feed_uid not in reading.unreadable_uids)
    if not accept_smaller and before >= SHRINK_MIN and len(future) < before * SHRINK_SHARE:
        raise _Held
    # Bookings made in the kiosk win over the feed (someone was told the room
    # is theirs); within the feed the earlier meeting wins.
    manual = [(b.starts_at, b.ends_at) for b in db.session.scalars(select(Booking).where(
        Booking.room_id == room.id, Booking.source != "feed", Booking.status.in_(ACTIVE),
        Booking.ends_at > now, Booking.starts_at < p.end))]
    kept, latest_end = [], None
    for inst in future:
        if any(s < inst.ends_at and inst.starts_at < e for s, e in manual):
            reading.skipped["overlap_manual"] += 1
        elif latest_end is not None and inst.starts_at < latest_end:
            reading.skipped["overlap_feed"] += 1
        else:
            kept.append(inst)
            latest_end = inst.ends_at if latest_end is None else max(latest_end, inst.ends_at)
    added = changed = removed = 0
    seen = set()
    for inst in kept:
        key = (inst.uid, inst.recurrence_id)
        seen.add(key)
        b = existing.get(key)
        if b is None:
            db.session.add(Booking(room_id=room.id, starts_at=inst.starts_at, ends_at=inst.ends_at,
                                   holder_name=inst.holder, source="feed", feed_id=feed.id, feed_uid=inst.uid,
                                   recurrence_id=inst.recurrence_id, status="booked", created_at=now,
                                   updated_at=now, created_by="calendar", updated_by="calendar"))
            added += 1
            continue
        moved = (b.starts_at, b.ends_at) != (inst.starts_at, inst.ends_at)
        if b.status == "cancelled" or (b.status == "released" and moved):
            # Back in the feed, or released and then moved: bookable and claimable at its (new) time.
            b.status, b.session_id = "booked", None
            changed += 1
        if (b.starts_at, b.ends_at, b.holder_name) != (inst.starts_at, inst.ends_at, inst.holder):
            b.starts_at, b.ends_at, b.holder_name = inst.starts_at, inst.ends_at, inst.holder
            changed += 1
        b.updated_at, b.updated_by = now, "calendar"
    for key, b in existing.items():
        # Gone from the feed (cancelled, deleted, an EXDATE): only within the window
        # read, not over yet, and not of a series that could not be read this time.
        if (key not in seen and b.status in ACTIVE and b.ends_at > now and b.starts_at < p.end
                and b.feed_uid not in reading.unreadable_uids):
            b.status, b.updated_at, b.updated_by = "cancelled", now, "calendar"
            removed += 1
    feed.last_attempt_at = feed.last_read_at = now
    feed.etag, feed.last_modified = new_etag, new_modified
    feed.read_meetings, feed.read_series, feed.read_bookings = reading.meetings, reading.series, len(kept)
    feed.read_unknown_zone = reading.unknown_zone
    feed.read_skipped = encode_skipped(reading.skipped)
    if reading.unreadable_uids:
        if feed.last_error != "unreadable":
            w.record("calendar-sync-failed", Actor.system(), error="unreadable")
        feed.last_error, feed.failing_since = "unreadable", feed.failing_since or now
    else:
        feed.last_success_at, feed.last_error, feed.failing_since = now, None, None
    if added or changed or removed:  # an event per change, not per reading (a timer reads every few minutes)
        w.record("calendar-sync", Actor.system(), added=added, changed=changed, removed=removed)
    ok = not reading.unreadable_uids
    return SyncResult(room.id, ok, error=None if ok else "unreadable", added=added, changed=changed,
                      removed=removed)


def encode_skipped(skipped: Counter) -> str:
    return ",".join(f"{reason}={skipped[reason]}" for reason in SKIP_REASONS if skipped.get(reason))


def decode_skipped(text: str | None) -> list[tuple[str, int]]:
    """The skipped meetings of the last read as (reason, count), in SKIP_REASONS order."""
    out = []
    for part in (text or "").split(","):
        reason, _, count = part.partition("=")
        if reason in SKIP_REASONS and count.isdigit():
            out.append((reason, int(count)))
    return out


def failing(now: datetime, hours: int = 24) -> list[CalendarFeed]:
    """Feeds of active rooms that have not been read well for ``hours`` (the admin start page warns)."""
    return list(db.session.scalars(select(CalendarFeed).join(Room, Room.id == CalendarFeed.room_id).where(
        Room.active.is_(True), CalendarFeed.failing_since.is_not(None),
        CalendarFeed.failing_since <= now - timedelta(hours=hours)).order_by(CalendarFeed.id)))


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
        feed.failing_since = feed.failing_since or w.now
    log.warning("calendar feed %s could not be read: %s", feed_id, key)
    return SyncResult(room_id, False, error=key)
