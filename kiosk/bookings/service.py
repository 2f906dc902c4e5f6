# Over 400 lines: every rule a booking obeys (overlap, claim, release, feeds) read in one place.
"""Bookings: the one place a room's bookings change, and what a room's day looks like.

A booking holds a room from a start to an end (stored in UTC, shown in
Europe/Stockholm). Rules:

* no two active bookings (booked or claimed) of a room overlap; no booking in
  the past; the end after the start; at most ``MAX_LENGTH`` long;
* checking in from ``SOON`` before a booking's start until its end claims it
  (the room state machine calls :func:`claim_on_check_in`); an ad-hoc check-in
  is allowed up to the next booking, and :func:`check_in_terms` says until when;
* a booking nobody claims is released ``BOOKING_RELEASE_MINUTES`` after its start
  (or after the room became free, if an earlier meeting overran into it);
* a meeting still going when the next booking starts is an overrun into it,
  computed, never stored.

Every change locks the room like the state machine does, writes an event,
bumps ``room.version`` (what door and board polls compare) and recomputes
``room.bookings_due_at``, the next moment the room's day changes by time alone,
so that an unchanged door poll reads no booking and writes nothing
(docs/rooms.md, "Bookings").

This module sits below the rooms package: it knows room sessions as rows and
never imports the state machine. An actor is any object with ``label``,
``address`` and ``tablet_id`` (kiosk.rooms.service.Actor).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from .. import clock, validate
from ..database import begin_write
from ..errors import KeyedError
from ..events import record
from ..extensions import db
from ..i18n import local_time
from ..models import Booking, Room, RoomSession

ACTIVE = ("booked", "claimed")
SOON = timedelta(minutes=15)  # "Bokat 14:00-14:30" shows, and check-in claims, from 15 minutes before
MIN_LENGTH = timedelta(minutes=5)
MAX_LENGTH = timedelta(hours=10)
MAX_AHEAD = timedelta(days=366)
SLOT_MINUTES = (15, 30, 45, 60)
NAME_MAX = 80
# A Swedish personal identity or coordination number (with or without century
# and separator): never a holder's name, whoever typed it.
_PERSONAL_NUMBER = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+ ]?\d{4}(?!\d)")


class BookingError(KeyedError):
    """A booking change that cannot be made; ``key`` names the UI message."""


# ---- time: the room's day is Sweden's ------------------------------------------


local_date, day_bounds = clock.local_date, clock.day_bounds


def release_after() -> timedelta:
    return timedelta(minutes=float(current_app.config["BOOKING_RELEASE_MINUTES"]))


def is_due(due_at: datetime | None, now: datetime) -> bool:
    """Whether the room's day changed by time since it was last computed (the poll's test)."""
    return due_at is not None and now >= due_at


# ---- reading -------------------------------------------------------------------


def bookings_between(room_id: int, start: datetime, end: datetime,
                     statuses: tuple[str, ...] = ACTIVE) -> list[Booking]:
    """The room's bookings that overlap [start, end), earliest first."""
    return list(db.session.scalars(select(Booking).where(
        Booking.room_id == room_id, Booking.status.in_(statuses),
        Booking.starts_at < end, Booking.ends_at > start).order_by(Booking.starts_at, Booking.id)))


def claimed_booking(session_id: int | None) -> Booking | None:
    """The booking a room session claimed at check-in, if any."""
    if session_id is None:
        return None
    return db.session.scalar(select(Booking).where(Booking.session_id == session_id, Booking.status == "claimed"))


def next_booking(room_id: int, after: datetime, exclude_session: int | None = None) -> Booking | None:
    """The first active booking starting at or after ``after``."""
    query = select(Booking).where(Booking.room_id == room_id, Booking.status.in_(ACTIVE),
                                  Booking.starts_at >= after)
    if exclude_session is not None:
        query = query.where((Booking.session_id.is_(None)) | (Booking.session_id != exclude_session))
    return db.session.scalar(query.order_by(Booking.starts_at).limit(1))


def _open_session(room_id: int) -> RoomSession | None:
    return db.session.scalar(select(RoomSession).where(RoomSession.room_id == room_id,
                                                       RoomSession.ended_at.is_(None)))


def _freed_at(room_id: int, since: datetime) -> datetime | None:
    """When the room last became free after ``since`` (a meeting that overran into a booking)."""
    return db.session.scalar(select(func.max(RoomSession.ended_at)).where(
        RoomSession.room_id == room_id, RoomSession.ended_at > since))


def release_at(booking: Booking, freed: datetime | None) -> datetime:
    """When an unclaimed booking is released: its start plus the grace, counted
    from when the room became free if an earlier meeting overran into it."""
    return max(booking.starts_at, freed or booking.starts_at) + release_after()


@dataclass(frozen=True)
class CheckInTerms:
    """What checking in now means: claiming ``booking``, or an ad-hoc use of a
    free room allowed ``until`` the next booking (None: the rest of the day)."""

    booking: Booking | None
    until: datetime | None

    @property
    def limited(self) -> bool:
        """An ad-hoc check-in that must end when the next booking starts (the surfaces say so)."""
        return self.booking is None and self.until is not None


def claimable(room_id: int, now: datetime) -> Booking | None:
    """The booking a check-in now would claim: booked, from SOON before its start to its end."""
    return db.session.scalar(select(Booking).where(
        Booking.room_id == room_id, Booking.status == "booked",
        Booking.starts_at <= now + SOON,
        Booking.ends_at > now).order_by(Booking.starts_at).limit(1))


def check_in_terms(room_id: int, now: datetime | None = None) -> CheckInTerms:
    """What a check-in now would do (shown before, and decided at, check-in)."""
    now = now or clock.now()
    booking = claimable(room_id, now)
    if booking is not None:
        return CheckInTerms(booking, booking.ends_at)
    nxt = next_booking(room_id, now)
    _day_start, day_end = day_bounds(local_date(now))
    return CheckInTerms(None, nxt.starts_at if nxt is not None and nxt.starts_at < day_end else None)


@dataclass(frozen=True)
class RoomDay:
    """A room's day at one moment, as the door, board and console show it."""

    day: date
    start: datetime
    end: datetime
    now: datetime
    bookings: list[Booking]              # today's active and released bookings, earliest first
    current: Booking | None              # an active booking covering now
    upcoming: Booking | None             # the next active booking starting later (any day)
    soon: Booking | None                 # booked, about to start or started and not yet claimed
    free_now: bool                       # no open session and no active booking now
    free_until: datetime | None          # when free: the next booking today; None = rest of the day
    overrun_into: Booking | None         # a booking whose start an open meeting has passed
    slots: dict[int, datetime | None] = field(default_factory=dict)  # minutes -> next free start today

    def free_now_for(self, minutes: int) -> bool:
        """Free now for at least ``minutes`` today (the board's filter "ledigt minst 30 min nu")."""
        if not self.free_now:
            return False
        return (self.free_until or self.end) - self.now >= timedelta(minutes=minutes)


def _busy_until(session: RoomSession | None, now: datetime) -> datetime:
    """Until when an open session keeps the room (its expected end, or its planned length)."""
    if session is None:
        return now
    if session.expected_end is not None:
        return max(now, session.expected_end)
    return max(now, session.started_at + timedelta(minutes=session.planned_minutes or 30))


def next_free_slot(room_id: int, minutes: int, now: datetime | None = None,
                   session: RoomSession | None = None, bookings: list[Booking] | None = None) -> datetime | None:
    """The first start today (on a 5-minute step, from now) of a free stretch of
    ``minutes``, or None when the day has none (the board's "next free slot")."""
    if minutes not in SLOT_MINUTES:
        raise BookingError("bookings.error.bad_length")
    now = now or clock.now()
    _day_start, day_end = day_bounds(local_date(now))
    if bookings is None:
        session = _open_session(room_id) if session is None else session
        bookings = bookings_between(room_id, now, day_end)
    length = timedelta(minutes=minutes)
    candidate = _on_step(max(now, _busy_until(session, now)))
    for b in sorted((b for b in bookings if b.status in ACTIVE), key=lambda b: b.starts_at):
        if b.ends_at <= candidate:
            continue
        if b.starts_at - candidate >= length:
            break
        candidate = _on_step(max(candidate, b.ends_at))
    return candidate if candidate + length <= day_end else None


def _on_step(at: datetime) -> datetime:
    """Round up to the next 5 minutes, so a suggested slot starts on the clock face."""
    rounded = at.replace(second=0, microsecond=0)
    if rounded < at:
        rounded += timedelta(minutes=1)
    return rounded + timedelta(minutes=-rounded.minute % 5)


def day_of(room_id: int, now: datetime | None = None, session: RoomSession | None = None,
           session_known: bool = False) -> RoomDay:
    """The room's day now: what is booked, what is free, what is about to start."""
    now = now or clock.now()
    day = local_date(now)
    start, end = day_bounds(day)
    if not session_known:
        session = _open_session(room_id)
    today = bookings_between(room_id, start, end, ACTIVE + ("released",))
    active = [b for b in today if b.status in ACTIVE]
    current = next((b for b in active if b.starts_at <= now < b.ends_at), None)
    upcoming = next((b for b in active if b.starts_at > now), None) or next_booking(room_id, end)
    soon = next((b for b in active if b.status == "booked" and b.starts_at - SOON <= now < b.ends_at), None)
    free_now = session is None and current is None
    later_today = next((b for b in active if b.starts_at > now), None)
    free_until = later_today.starts_at if free_now and later_today else None
    overrun_into = None
    if session is not None:
        mine = session.id
        overrun_into = next((b for b in active if b.starts_at <= now < b.ends_at and b.session_id != mine), None)
    slots = {m: next_free_slot(room_id, m, now, session, active) for m in SLOT_MINUTES}
    return RoomDay(day=day, start=start, end=end, now=now, bookings=today, current=current, upcoming=upcoming,
                   soon=soon, free_now=free_now, free_until=free_until, overrun_into=overrun_into, slots=slots)


def next_change(room_id: int, now: datetime) -> datetime:
    """The next moment the room's day changes by time alone: a booking about to
    start, starting, due for release, ending - or midnight (a new day)."""
    _start, midnight = day_bounds(local_date(now))
    moments = [midnight]
    for b in bookings_between(room_id, now - release_after() - timedelta(hours=12), midnight + SOON):
        moments += [b.starts_at - SOON, b.starts_at, b.ends_at]
        if b.status == "booked":
            moments.append(release_at(b, _freed_at(room_id, b.starts_at)))
    return min(m for m in moments if m > now)


# ---- writing (inside the room's lock) ----------------------------------------------


def _event(kind: str, room: Room, actor, now: datetime, booking: Booking | None = None,
           session_id: int | None = None, **detail) -> None:
    if booking is not None:
        detail = {"booking": booking.id, "start": booking.starts_at.isoformat(),
                  "end": booking.ends_at.isoformat(), "source": booking.source, **detail}
    record(kind, actor.label, address=getattr(actor, "address", ""), unit_id=room.unit_id, room_id=room.id,
           session_id=session_id, tablet_id=getattr(actor, "tablet_id", None), at=now, **detail)


@dataclass(frozen=True)
class _System:
    label: str = "system"
    address: str = ""
    tablet_id: int | None = None


SYSTEM = _System()


def refresh(room: Room, now: datetime) -> int:
    """Under the room's lock: release unclaimed bookings that are due. Returns how
    many were released; the caller's commit bumps the version and recomputes
    ``room.bookings_due_at`` (both commits do)."""
    released = 0
    session = _open_session(room.id)
    for b in db.session.scalars(select(Booking).where(
            Booking.room_id == room.id, Booking.status == "booked",
            Booking.starts_at <= now - release_after())):
        if session is not None:
            continue  # an overrunning meeting holds the room: the grace counts from when it ends
        due = release_at(b, _freed_at(room.id, b.starts_at))
        if now >= due:
            b.status, b.updated_at, b.updated_by = "released", now, SYSTEM.label
            _event("booking-release", room, SYSTEM, now, b, unclaimed=True, due=due.isoformat())
            released += 1
    db.session.flush()
    return released


def claim_on_check_in(room: Room, session: RoomSession, now: datetime, actor) -> CheckInTerms:
    """Called by the state machine's check-in, inside its transaction: claim the
    booking in its window (the session's expected end becomes the booking's
    end), or limit an ad-hoc check-in to the next booking."""
    terms = check_in_terms(room.id, now)
    if terms.booking is not None:
        b = terms.booking
        b.status, b.session_id, b.updated_at, b.updated_by = "claimed", session.id, now, actor.label
        session.expected_end = b.ends_at
        _event("booking-claim", room, actor, now, b, session_id=session.id)
    # Ad hoc (no booking in its window): allowed up to the next booking; the
    # meeting's start caps its expected end there (expected_end_at_start).
    return terms


def expected_end_at_start(session: RoomSession, now: datetime) -> datetime:
    """A meeting's expected end when it starts: a claimed booking's end, else the
    planned length, cut at the next booking for an ad-hoc check-in."""
    planned = now + timedelta(minutes=session.planned_minutes)
    booking = claimed_booking(session.id)
    if booking is not None:
        return booking.ends_at if booking.ends_at > now else planned
    nxt = next_booking(session.room_id, now, exclude_session=session.id)
    if nxt is not None and now < nxt.starts_at < planned:
        return nxt.starts_at
    return planned


def unclaim(session: RoomSession, now: datetime, actor) -> None:
    """A check-in taken back gives its booking back (still claimable until released)."""
    booking = claimed_booking(session.id)
    if booking is not None:
        booking.status, booking.session_id, booking.updated_at, booking.updated_by = "booked", None, now, actor.label


def _lock(room_id: int) -> tuple[Room, datetime]:
    """A write transaction holding the room (as the state machine takes it)."""
    begin_write()
    room = db.session.scalar(select(Room).where(Room.id == room_id).with_for_update())
    if room is None:
        raise BookingError("rooms.error.no_room", 404)
    now = clock.now()
    refresh(room, now)
    return room, now


def _commit(room: Room, now: datetime) -> None:
    db.session.flush()
    room.bookings_due_at = next_change(room.id, now)
    room.version += 1
    db.session.commit()


def holder_text(field_name: str, raw: str | None) -> str | None:
    """A holder's name or title: the one name rule (kiosk/names.py, through
    validate.text), and never a personal identity number."""
    try:
        value = validate.text(field_name, raw, max_len=NAME_MAX, required=False)
    except validate.FieldError:
        raise BookingError("bookings.error.bad_holder") from None
    if _PERSONAL_NUMBER.search(value):
        raise BookingError("bookings.error.bad_holder")
    return value or None


def _check_times(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise BookingError("bookings.error.bad_time")
    if ends_at <= starts_at:
        raise BookingError("bookings.error.end_before_start")
    if ends_at - starts_at < MIN_LENGTH:
        raise BookingError("bookings.error.too_short", minutes=int(MIN_LENGTH.total_seconds() // 60))
    if ends_at - starts_at > MAX_LENGTH:
        raise BookingError("bookings.error.too_long", hours=int(MAX_LENGTH.total_seconds() // 3600))
    # The current minute still counts: "now" typed as 14:00 at 14:00:40 is not the past.
    if starts_at < now.replace(second=0, microsecond=0):
        raise BookingError("bookings.error.past")
    if starts_at > now + MAX_AHEAD:
        raise BookingError("bookings.error.too_far")


def _refuse_overlap(room_id: int, starts_at: datetime, ends_at: datetime, exclude: int | None = None) -> None:
    clash = [b for b in bookings_between(room_id, starts_at, ends_at) if b.id != exclude]
    if clash:
        first = clash[0]
        raise BookingError("bookings.error.overlap", 409, start=_hhmm(first.starts_at), end=_hhmm(first.ends_at))


def _hhmm(at: datetime) -> str:
    """A time in a message, written the request's way (the one time filter)."""
    return local_time(at)


def create(room_id: int, actor, starts_at: datetime, ends_at: datetime,
           holder_name: str | None = None, holder_title: str | None = None) -> Booking:
    """Book a room (manual). Refused: the past, end not after start, too long, overlap (409)."""
    holder_name, holder_title = holder_text("name", holder_name), holder_text("title", holder_title)
    room, now = _lock(room_id)
    if not room.active:
        raise BookingError("rooms.error.inactive", 409)
    _check_times(starts_at, ends_at, now)
    _refuse_overlap(room.id, starts_at, ends_at)
    booking = Booking(room_id=room.id, starts_at=starts_at, ends_at=ends_at, holder_name=holder_name,
                      holder_title=holder_title, source="manual", status="booked", created_at=now,
                      updated_at=now, created_by=actor.label, updated_by=actor.label)
    db.session.add(booking)
    db.session.flush()
    _event("booking-create", room, actor, now, booking)
    _commit(room, now)
    return booking


def _own_booking(booking_id: int, room_id: int | None) -> tuple[Room, Booking, datetime]:
    """Lock the booking's room; refuse feed bookings and closed ones."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or (room_id is not None and booking.room_id != room_id):
        db.session.rollback()
        raise BookingError("bookings.error.not_found", 404)
    rid = booking.room_id
    db.session.rollback()  # end the read; re-read under the lock
    room, now = _lock(rid)
    booking = db.session.get(Booking, booking_id)
    if booking.source == "feed":
        raise BookingError("bookings.error.from_feed", 409)
    if booking.status != "booked":
        raise BookingError("bookings.error.not_open", 409)
    return room, booking, now


def move(booking_id: int, actor, starts_at: datetime, ends_at: datetime, room_id: int | None = None) -> Booking:
    """Move a manual booking that is not yet claimed (same rules as a new one)."""
    room, booking, now = _own_booking(booking_id, room_id)
    _check_times(starts_at, ends_at, now)
    _refuse_overlap(room.id, starts_at, ends_at, exclude=booking.id)
    before = {"from_start": booking.starts_at.isoformat(), "from_end": booking.ends_at.isoformat()}
    booking.starts_at, booking.ends_at, booking.updated_at, booking.updated_by = starts_at, ends_at, now, actor.label
    _event("booking-move", room, actor, now, booking, **before)
    _commit(room, now)
    return booking


def cancel(booking_id: int, actor, room_id: int | None = None) -> None:
    """Cancel a manual booking that is not yet claimed."""
    room, booking, now = _own_booking(booking_id, room_id)
    booking.status, booking.updated_at, booking.updated_by = "cancelled", now, actor.label
    _event("booking-cancel", room, actor, now, booking)
    _commit(room, now)


def parse_local(day: str, hhmm: str) -> datetime:
    """A form's date (YYYY-MM-DD) and time (HH:MM) in Sweden, as UTC. A time that
    does not exist (02:30 on the spring DST day) is refused; an hour that occurs
    twice (02:30 on the autumn day) is its first occurrence."""
    try:
        d = date.fromisoformat(day)
        t = time.fromisoformat(hhmm)
    except (TypeError, ValueError):
        raise BookingError("bookings.error.bad_time") from None
    t = t.replace(second=0, microsecond=0, tzinfo=None)
    if not clock.shows(d, t):
        raise BookingError("bookings.error.no_such_time")
    return clock.wall(d, t)
