"""A room's day as the surfaces read it: what is booked, what is free, what a
check-in now would mean, and when the day next changes by time alone.

A booking holds a room from a start to an end (stored in UTC, shown on the
wall clock: kiosk/clock.py). Rules read here:

* checking in from ``SOON`` before a booking's start until its end claims it;
  an ad-hoc check-in is allowed up to the next booking, and
  :func:`check_in_terms` says until when;
* a booking nobody claims is released ``BOOKING_RELEASE_MINUTES`` after its
  start (or after the room became free, if an earlier meeting overran into it):
  :func:`release_at`; the room's write unit (kiosk/room_write.py) releases it;
* a meeting still going when the next booking starts is an overrun into it,
  computed, never stored.

Nothing here writes. What changes bookings is ``service`` (create, move,
cancel, claim); this module sits below it and below the rooms package, and
knows room sessions as rows only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from .. import clock, hours
from ..errors import KeyedError
from ..extensions import db
from ..models import Booking, RoomSession


class BookingError(KeyedError):
    """A booking refused, by either side (a length the day has no slot for, an
    overlap ...); ``key`` names the UI message. It lives on the lower side."""


ACTIVE = ("booked", "claimed")
SOON = timedelta(minutes=15)  # "Bokat 14:00-14:30" shows, and check-in claims, from 15 minutes before
SLOT_MINUTES = (15, 30, 45, 60)
# How long the board says that a booking was released because nobody checked in.
RELEASED_SHOWN = timedelta(minutes=15)


def release_after() -> timedelta:
    return timedelta(minutes=float(current_app.config["BOOKING_RELEASE_MINUTES"]))


def is_due(due_at: datetime | None, now: datetime) -> bool:
    """Whether the room's day changed by time since it was last computed (the poll's test)."""
    return due_at is not None and now >= due_at


# ---- rows --------------------------------------------------------------------------


def open_session(room_id: int) -> RoomSession | None:
    """The room's open session (at most one: a database rule), if any."""
    return db.session.scalar(select(RoomSession).where(RoomSession.room_id == room_id,
                                                       RoomSession.ended_at.is_(None)))


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


def last_freed(room_ids, since: datetime) -> dict[int, datetime]:
    """When each room last became free after ``since`` (rooms that did not are left out), in one statement."""
    return dict(db.session.execute(select(RoomSession.room_id, func.max(RoomSession.ended_at)).where(
        RoomSession.room_id.in_(list(room_ids)), RoomSession.ended_at > since).group_by(RoomSession.room_id)).all())


def _after(freed: datetime | None, since: datetime) -> datetime | None:
    """``freed`` (the last time a room became free after some earlier moment) if it is after ``since``:
    the latest end after an earlier moment is the latest after a later one, when there is one."""
    return freed if freed is not None and freed > since else None


def release_at(booking: Booking, freed: datetime | None) -> datetime:
    """When an unclaimed booking is released: its start plus the grace, counted
    from when the room became free if an earlier meeting overran into it."""
    return max(booking.starts_at, freed or booking.starts_at) + release_after()


def releases_at(room_id: int, booked: list[Booking]) -> list[datetime]:
    """``release_at`` of each of the room's unclaimed bookings, asking once when the room became free."""
    if not booked:
        return []
    freed = last_freed([room_id], min(b.starts_at for b in booked)).get(room_id)
    return [release_at(b, _after(freed, b.starts_at)) for b in booked]


# ---- checking in -----------------------------------------------------------------------


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
    _day_start, day_end = clock.day_bounds(clock.local_date(now))
    return CheckInTerms(None, nxt.starts_at if nxt is not None and nxt.starts_at < day_end else None)


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


# ---- the day -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoomDay:
    """A room's day at one moment, as the door, board and console show it."""

    room_id: int
    day: date
    start: datetime
    end: datetime
    now: datetime
    bookings: list[Booking]              # today's active and released bookings, earliest first
    current: Booking | None              # an active booking covering now
    soon: Booking | None                 # booked, about to start or started and not yet claimed
    free_now: bool                       # no open session and no active booking now
    free_until: datetime | None          # when free: the next booking today; None = rest of the day
    overrun_into: Booking | None         # a booking whose start an open meeting has passed
    slots: dict[int, datetime | None] = field(default_factory=dict)  # minutes -> next free start today (now: free now)
    unclaimed: Booking | None = None     # started, nobody checked in yet: released at ``release_due``
    release_due: datetime | None = None
    released: Booking | None = None      # released (nobody checked in) within RELEASED_SHOWN: at ``released_at``
    released_at: datetime | None = None
    # The unit's hours that day: (opening, closing); None when it has no hours or is closed that day.
    open_span: tuple[datetime, datetime] | None = None

    @cached_property
    def upcoming(self) -> Booking | None:
        """The next active booking starting later (any day). Read when asked: no
        surface shows a later day's booking, so a render does not pay for it."""
        return next((b for b in self.bookings if b.status in ACTIVE and b.starts_at > self.now), None) \
            or next_booking(self.room_id, self.end)

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
                   session: RoomSession | None = None, bookings: list[Booking] | None = None,
                   opening_hours: str | None = None) -> datetime | None:
    """The first start today (on a 5-minute step, from now) of a free stretch of
    ``minutes`` within the unit's ``opening_hours`` (the rule a booking is
    refused by), or None when the day has none (the board's "next free slot")."""
    if minutes not in SLOT_MINUTES:
        raise BookingError("bookings.error.bad_length")
    now = now or clock.now()
    _day_start, day_end = clock.day_bounds(clock.local_date(now))
    opens = now
    if hours.parse(opening_hours) is not None:
        span = hours.span_on(opening_hours, clock.local_date(now))
        if span is None:
            return None
        opens, day_end = max(now, span[0]), min(day_end, span[1])
    if bookings is None:
        session = open_session(room_id) if session is None else session
        bookings = bookings_between(room_id, now, day_end)
    length = timedelta(minutes=minutes)
    # A room free now is free from now (the board says "nu"), not from the next
    # five minutes; a later start is rounded so that it reads like a clock face.
    busy = max(_busy_until(session, now), opens)
    candidate = now if busy <= now else _on_step(busy)
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
           session_known: bool = False, opening_hours: str | None = None) -> RoomDay:
    """The room's day now: what is booked, what is free, what is about to start
    (the free slots within the unit's ``opening_hours``)."""
    now = now or clock.now()
    if not session_known:
        session = open_session(room_id)
    return days_of({room_id: session}, now, opening_hours)[room_id]


def days_of(sessions: dict[int, RoomSession | None], now: datetime,
            opening_hours: str | None = None) -> dict[int, RoomDay]:
    """The days of several rooms (room id -> its open session or None) at one
    moment, in the same few statements whatever the number of rooms (the
    board reads a unit's at once): today's bookings of them all, and when a
    room has an unclaimed booking waiting or one released lately, when those
    rooms last became free (what its release counts from). The free slots lie
    within the unit's ``opening_hours``."""
    day = clock.local_date(now)
    start, end = clock.day_bounds(day)
    today: dict[int, list[Booking]] = {room_id: [] for room_id in sessions}
    if sessions:
        for b in db.session.scalars(select(Booking).where(
                Booking.room_id.in_(list(sessions)), Booking.status.in_(ACTIVE + ("released",)),
                Booking.starts_at < end, Booking.ends_at > start).order_by(Booking.starts_at, Booking.id)):
            today[b.room_id].append(b)
    waiting: dict[int, Booking] = {}
    gone: dict[int, Booking] = {}
    for room_id, bookings in today.items():
        found = next((b for b in bookings if b.status == "booked" and b.starts_at <= now < b.ends_at), None)
        if found is not None:
            waiting[room_id] = found
        shown = [b for b in bookings if b.status == "released" and now - b.updated_at < RELEASED_SHOWN]
        if shown:
            gone[room_id] = shown[-1]
    asked = [*waiting.values(), *gone.values()]
    freed = last_freed({b.room_id for b in asked}, min(b.starts_at for b in asked)) if asked else {}
    return {room_id: _day(room_id, sessions[room_id], now, day, start, end, today[room_id], waiting.get(room_id),
                          gone.get(room_id), freed.get(room_id), opening_hours)
            for room_id in sessions}


def _day(room_id: int, session: RoomSession | None, now: datetime, day: date, start: datetime, end: datetime,
         today: list[Booking], waiting: Booking | None, gone: Booking | None, freed: datetime | None,
         opening_hours: str | None = None) -> RoomDay:
    """One room's day from its rows (``freed``: when it last became free after the earliest start asked about)."""
    active = [b for b in today if b.status in ACTIVE]
    current = next((b for b in active if b.starts_at <= now < b.ends_at), None)
    soon = next((b for b in active if b.status == "booked" and b.starts_at - SOON <= now < b.ends_at), None)
    free_now = session is None and current is None
    later_today = next((b for b in active if b.starts_at > now), None)
    free_until = later_today.starts_at if free_now and later_today else None
    overrun_into = None
    if session is not None:
        mine = session.id
        overrun_into = next((b for b in active if b.starts_at <= now < b.ends_at and b.session_id != mine), None)
    slots = {m: next_free_slot(room_id, m, now, session, active, opening_hours) for m in SLOT_MINUTES}
    release_due = released_at = None
    if waiting is not None:
        release_due = release_at(waiting, _after(freed, waiting.starts_at))
    if gone is not None:
        # The moment the rule released it (the write that did may have come a poll later).
        released_at = min(gone.updated_at, release_at(gone, _after(freed, gone.starts_at)))
    return RoomDay(room_id=room_id, day=day, start=start, end=end, now=now, bookings=today, current=current,
                   soon=soon, free_now=free_now, free_until=free_until, overrun_into=overrun_into, slots=slots,
                   unclaimed=waiting, release_due=release_due, released=gone, released_at=released_at,
                   open_span=hours.span_on(opening_hours, day) if hours.parse(opening_hours) is not None else None)


def next_change(room_id: int, now: datetime) -> datetime:
    """The next moment the room's day changes by time alone: a booking about to
    start, starting, due for release, ending - or midnight (a new day)."""
    _start, midnight = clock.day_bounds(clock.local_date(now))
    moments = [midnight]
    found = bookings_between(room_id, now - release_after() - timedelta(hours=12), midnight + SOON)
    for b in found:
        moments += [b.starts_at - SOON, b.starts_at, b.ends_at]
    moments += releases_at(room_id, [b for b in found if b.status == "booked"])
    return min(m for m in moments if m > now)
