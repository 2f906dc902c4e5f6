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

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from .. import clock, validate
from ..events import Actor
from ..extensions import db
from ..models import Booking, CalendarFeed, Room
from ..room_write import RoomWrite, room_write
from . import service
from .day import ACTIVE
from .feed_fetch import (ERRORS, URL_MAX, FeedError, FetchSettings, _gate, allowed_hosts,  # noqa: F401
                         check_url, fetch)
from .feed_parse import SKIP_REASONS, Instance, Reading, _ical_libraries, parse  # noqa: F401

log = logging.getLogger(__name__)

# A feed that had at least SHRINK_MIN future bookings and now reads fewer than
# SHRINK_SHARE of them is held: the usual cause is a broken export, not a
# cleared calendar.
SHRINK_MIN = 10
SHRINK_SHARE = 0.5


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
    feed.read_counts = encode_counts(Counter(meetings=reading.meetings, series=reading.series, bookings=len(kept),
                                             unknown_zone=reading.unknown_zone) + reading.skipped)
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


COUNTS = ("meetings", "series", "bookings", "unknown_zone", *SKIP_REASONS)


def encode_counts(counts: Counter) -> str:
    return ",".join(f"{name}={counts[name]}" for name in COUNTS if counts.get(name))


def read_counts(text: str | None) -> dict[str, int]:
    """What the last full read held, by name (COUNTS); a name not there is 0."""
    out = dict.fromkeys(COUNTS, 0)
    for part in (text or "").split(","):
        name, _, count = part.partition("=")
        number = validate.number(count, 9)
        if name in out and number is not None:
            out[name] = number
    return out


def skipped(text: str | None) -> list[tuple[str, int]]:
    """The meetings of the last full read that did not become bookings, as (reason, count)."""
    counts = read_counts(text)
    return [(reason, counts[reason]) for reason in SKIP_REASONS if counts[reason]]


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
