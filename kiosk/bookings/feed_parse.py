"""Parsing a calendar feed into the meetings the kiosk keeps: times, the
organiser's name (by the one name rule) and the hashed UID - nothing else
(docs/rooms.md, "Calendar feeds", for the rules). kiosk/bookings/feeds.py
uses it; it touches no database.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from flask import current_app

from .. import clock
from . import service
from .feed_fetch import FeedError

# Why a meeting in the feed is not a booking (shown to administrators in words: bookings.feed_skip.*).
SKIP_REASONS = ("all_day", "free", "no_length", "overlap_manual", "overlap_feed", "unreadable")
# Steps through a rule (from the series' first instance) allowed per instance
# of the cap: a weekly series since 2000 takes 1,400, a daily one 10,000.
STEPS_PER_INSTANCE = 20
_BOM = b"\xef\xbb\xbf"
_END_LINE = re.compile(rb"^END:VCALENDAR[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
# Microsoft's CDO exports write lists in rules with spaces ("BYDAY=MO, TU");
# icalendar refuses them, which would drop the whole series.
_RULE_LINE = re.compile(rb"^(?:RRULE|EXRULE)[;:][^\r\n]*", re.IGNORECASE | re.MULTILINE)
_TIME_PROPERTIES = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID"}


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
