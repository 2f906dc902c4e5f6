"""Bookings: the one place a room's bookings change by someone's hand.

Rules of a change:

* no two active bookings (booked or claimed) of a room overlap; no booking in
  the past; the end after the start; at most ``MAX_LENGTH`` long; within the
  unit's opening hours (``hours.within``);
* only a manual booking that is not yet claimed is moved or cancelled here (a
  feed's bookings follow the feed);
* checking in claims the booking in its window (the room state machine calls
  :func:`claim_on_check_in` inside its transaction); taking the check-in back
  gives it back (:func:`unclaim`).

Every change runs in the room's write unit (kiosk/room_write.py): the room
locked like the state machine locks it, unclaimed bookings that are due
released first, the event recorded, ``room.version`` bumped and
``room.bookings_due_at`` recomputed, so that an unchanged door poll reads no
booking and writes nothing (docs/rooms.md, "Bookings"). What the surfaces
read (the room's day, free slots, check-in terms) is in ``day``.

This module sits below the rooms package: it knows room sessions as rows and
never imports the state machine.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from .. import clock, hours, validate
from ..events import Actor
from ..extensions import db
from ..i18n import local_time
from ..models import Booking, RoomSession
from ..room_write import RoomWrite, booking_detail, room_write, rooms_write
from .day import BookingError, CheckInTerms, bookings_between, check_in_terms, claimed_booking

MIN_LENGTH = timedelta(minutes=5)
MAX_LENGTH = timedelta(hours=10)
MAX_AHEAD = timedelta(days=366)
NAME_MAX = 80


def _write(room_id: int) -> AbstractContextManager[RoomWrite]:
    """The room's write unit, refusing a room that does not exist as a booking error (404)."""
    return room_write(room_id, missing=BookingError("rooms.error.no_room", 404))


# ---- claiming (inside the state machine's transaction) ---------------------------------


def claim_on_check_in(w: RoomWrite, session: RoomSession, actor: Actor) -> CheckInTerms:
    """Called by the state machine's check-in, inside its write unit: claim the
    booking in its window (the session's expected end becomes the booking's
    end), or limit an ad-hoc check-in to the next booking."""
    terms = check_in_terms(w.room.id, w.now)
    if terms.booking is not None:
        b = terms.booking
        b.status, b.session_id, b.updated_at, b.updated_by = "claimed", session.id, w.now, actor.label
        session.expected_end = b.ends_at
        w.record("booking-claim", actor, session=session, **booking_detail(b))
    # Ad hoc (no booking in its window): allowed up to the next booking; the
    # meeting's start caps its expected end there (day.expected_end_at_start).
    return terms


def unclaim(session: RoomSession, now: datetime, actor: Actor) -> None:
    """A check-in taken back gives its booking back (still claimable until released)."""
    booking = claimed_booking(session.id)
    if booking is not None:
        booking.status, booking.session_id, booking.updated_at, booking.updated_by = "booked", None, now, actor.label


# ---- what a person types -------------------------------------------------------------------


def holder_text(field_name: str, raw: str | None) -> str | None:
    """A holder's name or title: the one name rule (kiosk/names.py, through
    validate.text), and never a personal identity number."""
    try:
        value = validate.text(field_name, raw, max_len=NAME_MAX, required=False)
    except validate.FieldError as exc:
        if exc.key == "admin.field.personal_number":
            raise BookingError("bookings.error.personal_number") from None
        raise BookingError("bookings.error.bad_holder") from None
    return value or None


def parse_local(day: str, hhmm: str) -> datetime:
    """A form's date (YYYY-MM-DD) and time (HH:MM) on the wall clock, as UTC. A
    time that does not exist (02:30 on the spring DST day) is refused; an hour
    that occurs twice (02:30 on the autumn day) is its first occurrence."""
    try:
        d = date.fromisoformat(day)
        t = time.fromisoformat(hhmm).replace(second=0, microsecond=0, tzinfo=None)
    except (TypeError, ValueError):
        raise BookingError("bookings.error.bad_time") from None
    if not clock.shows(d, t):
        raise BookingError("bookings.error.no_such_time")
    return clock.wall(d, t)


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


def _refuse_closed(room, starts_at: datetime, ends_at: datetime) -> None:
    """A booking lies within the unit's opening hours (kiosk/hours.py's one rule):
    outside them the door is dark and nobody expects the room to be used."""
    text = room.unit.opening_hours
    if hours.within(text, starts_at, ends_at):
        return
    span = hours.span_on(text, clock.local_date(starts_at))
    if span is None:
        raise BookingError("bookings.error.closed_day", 409)
    raise BookingError("bookings.error.closed", 409, opens=local_time(span[0]), closes=local_time(span[1]))


def _refuse_overlap(room_id: int, starts_at: datetime, ends_at: datetime, exclude: int | None = None) -> None:
    clash = [b for b in bookings_between(room_id, starts_at, ends_at) if b.id != exclude]
    if clash:
        first = clash[0]
        raise BookingError("bookings.error.overlap", 409, start=local_time(first.starts_at),
                           end=local_time(first.ends_at))


# ---- create, move, cancel --------------------------------------------------------------------


def create(room_id: int, actor: Actor, starts_at: datetime, ends_at: datetime,
           holder_name: str | None = None, holder_title: str | None = None) -> Booking:
    """Book a room (manual). Refused: the past, end not after start, too long, overlap (409)."""
    holder_name, holder_title = holder_text("name", holder_name), holder_text("title", holder_title)
    with _write(room_id) as w:
        if not w.room.active:
            raise BookingError("rooms.error.inactive", 409)
        _check_times(starts_at, ends_at, w.now)
        _refuse_closed(w.room, starts_at, ends_at)
        _refuse_overlap(w.room.id, starts_at, ends_at)
        booking = Booking(room_id=w.room.id, starts_at=starts_at, ends_at=ends_at, holder_name=holder_name,
                          holder_title=holder_title, source="manual", status="booked", created_at=w.now,
                          updated_at=w.now, created_by=actor.label, updated_by=actor.label)
        db.session.add(booking)
        db.session.flush()
        w.record("booking-create", actor, **booking_detail(booking))
    return booking


def _room_of(booking_id: int, room_id: int | None) -> int:
    """The room of a booking (of ``room_id``, when given), read before the room's lock is taken."""
    found = db.session.scalar(select(Booking.room_id).where(Booking.id == booking_id))
    db.session.rollback()  # end the read; the write unit re-reads under the lock
    if found is None or (room_id is not None and found != room_id):
        raise BookingError("bookings.error.not_found", 404)
    return found


def _own_booking(booking_id: int, room_id: int) -> Booking:
    """Under the room's lock: the booking, if it is still the room's (a move to
    another room may have come first), manual and still open."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.room_id != room_id:
        raise BookingError("bookings.error.not_found", 404)
    if booking.source == "feed":
        raise BookingError("bookings.error.from_feed", 409)
    if booking.status != "booked":
        raise BookingError("bookings.error.not_open", 409)
    return booking


def move(booking_id: int, actor: Actor, starts_at: datetime, ends_at: datetime,
         room_id: int | None = None, to_room_id: int | None = None) -> Booking:
    """Move a manual booking that is not yet claimed (same rules as a new one),
    to another time or day, and (``to_room_id``) to another active room of the
    same unit: one write over both rooms, so both doors and boards follow."""
    source = _room_of(booking_id, room_id)
    if to_room_id is None or to_room_id == source:
        with _write(source) as w:
            booking = _own_booking(booking_id, w.room.id)
            _check_times(starts_at, ends_at, w.now)
            _refuse_closed(w.room, starts_at, ends_at)
            _refuse_overlap(w.room.id, starts_at, ends_at, exclude=booking.id)
            before = _before(booking)
            booking.starts_at, booking.ends_at, booking.updated_at, booking.updated_by = (starts_at, ends_at, w.now,
                                                                                          actor.label)
            w.record("booking-move", actor, **booking_detail(booking), **before)
        return booking
    with rooms_write([source, to_room_id], missing=BookingError("bookings.error.no_target_room", 404)) as writes:
        w_from, w_to = sorted(writes, key=lambda w: w.room.id != source)
        if w_to.room.unit_id != w_from.room.unit_id:
            # Another unit's room is not this unit's to hand out: as unknown as no room.
            raise BookingError("bookings.error.no_target_room", 404)
        if not w_to.room.active:
            raise BookingError("rooms.error.inactive", 409)
        booking = _own_booking(booking_id, w_from.room.id)
        _check_times(starts_at, ends_at, w_from.now)
        _refuse_closed(w_to.room, starts_at, ends_at)
        _refuse_overlap(w_to.room.id, starts_at, ends_at)
        before = _before(booking)
        booking.room_id, booking.starts_at, booking.ends_at = w_to.room.id, starts_at, ends_at
        booking.updated_at, booking.updated_by = w_from.now, actor.label
        # Each room's log says where the booking went or came from (a room's name, never a person's).
        w_from.record("booking-move", actor, **booking_detail(booking), **before, to_room=w_to.room.name)
        w_to.record("booking-move", actor, **booking_detail(booking), **before, from_room=w_from.room.name)
    return booking


def _before(booking: Booking) -> dict:
    """Where a moved booking was, for its event."""
    return {"from_start": booking.starts_at.isoformat(), "from_end": booking.ends_at.isoformat()}


def cancel(booking_id: int, actor: Actor, room_id: int | None = None) -> None:
    """Cancel a manual booking that is not yet claimed."""
    with _write(_room_of(booking_id, room_id)) as w:
        booking = _own_booking(booking_id, w.room.id)
        booking.status, booking.updated_at, booking.updated_by = "cancelled", w.now, actor.label
        w.record("booking-cancel", actor, **booking_detail(booking))
