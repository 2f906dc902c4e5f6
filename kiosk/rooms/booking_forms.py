"""Booking forms where a room's day is shown: the reception board's
room page, the room console's booking page and the staff room page.

One reading of the booking form (kiosk/forms.py's ``BookingForm``: its date,
start and end or length; the booking's id from the URL) and one way to answer
a change: the change runs through the bookings service
(which locks the room, writes the event with the actor's address and bumps
the room's version); a refused change answers an htmx request with the
message in the page's message box (the form keeps what was typed, since
nothing is swapped) and a plain form post with the page again, its status and
the form filled in as it was sent. Each surface says who acts and what its
page is; the three share this module and ``rooms/_booking_forms.html``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from flask import Response, abort, flash, g, redirect, request
from sqlalchemy import select

from .. import clock, names, validate
from ..bookings import day as bookings_day
from ..bookings import service as bookings
from ..errors import error_response
from ..extensions import db
from ..forms import BookingForm
from ..i18n import local_date, local_time, t
from ..models import Booking, Room
from ..render import is_htmx
from .service import Actor, RoomError

# How far ahead the console and the staff page list the room's coming bookings
# (those they may move or cancel), after today's.
DAYS_AHEAD = 14


def booking_times(form: BookingForm, length_allowed: bool = True) -> tuple[datetime, datetime]:
    """The form's date, start and end (local), or (``length_allowed``: when the
    end is empty) its length in minutes."""
    day = form.day.data
    starts_at = bookings.parse_local(day, form.start.data)
    end = form.end.data
    if end or not length_allowed:
        return starts_at, bookings.parse_local(day, end)
    minutes = validate.number(form.minutes.data, 3)
    if minutes not in bookings_day.SLOT_MINUTES:
        raise bookings.BookingError("bookings.error.bad_length")
    return starts_at, starts_at + timedelta(minutes=minutes)


def holder_name(form: BookingForm, required: bool = False) -> str | None:
    """The form's holder name; on a staff page it is required (the one name rule,
    kiosk/names.py, then the bookings' own checks)."""
    raw = form.name.data
    if required:
        try:
            names.clean(raw, bookings.NAME_MAX, required=True)
        except names.NameProblem as exc:
            if exc.problem == names.MISSING:
                raise bookings.BookingError("bookings.staff.name_required") from None
            if exc.problem == names.PERSONAL_NUMBER:
                raise bookings.BookingError("bookings.error.personal_number") from None
            raise bookings.BookingError("bookings.error.bad_holder") from None
    return raw


def create(room: Room, actor: Actor, name_required: bool = False) -> Booking:
    """Book the room as the form says."""
    form = BookingForm()
    starts_at, ends_at = booking_times(form)
    return bookings.create(room.id, actor, starts_at, ends_at, holder_name=holder_name(form, name_required),
                           holder_title=form.title.data)


def move(booking_id: int, other_rooms: bool = True) -> Callable[[Room, Actor], Booking]:
    """Move the booking ``booking_id`` of the room to the form's times and (where
    the surface offers ``other_rooms``) to the form's room of the same unit."""
    def moving(room: Room, actor: Actor) -> Booking:
        form = BookingForm()
        to_room = target_room(room, form, other_rooms)
        booking = bookings.move(booking_id, actor, *booking_times(form), room_id=room.id,
                                to_room_id=to_room.id if to_room else None)
        if to_room is not None:
            # Said on the page after the move (a plain post's is the next request): in words already.
            g.moved_to = {"text": t("bookings.room.moved_to", room=to_room.name, day=local_date(booking.starts_at),
                                    start=local_time(booking.starts_at), end=local_time(booking.ends_at)),
                          "show": t("bookings.room.moved_show", room=to_room.name), "slug": to_room.slug,
                          "day": clock.local_date(booking.starts_at).isoformat()}
        return booking
    return moving


def target_room(room: Room, form: BookingForm, other_rooms: bool = True) -> Room | None:
    """The room a move names, when it is not ``room``: an active room of the same
    unit (another unit's or an unknown one is a 404, as unknown as no room)."""
    raw = (form.room.data or "").strip()
    if not raw or raw == room.slug:
        return None
    if not other_rooms:
        raise bookings.BookingError("bookings.console.own_room", 403)
    try:
        # Checked before the query: PostgreSQL refuses a NUL in a string outright.
        slug = validate.slug("room", raw)
    except validate.FieldError:
        raise bookings.BookingError("bookings.error.no_target_room", 404) from None
    target = db.session.scalar(select(Room).where(Room.slug == slug, Room.unit_id == room.unit_id))
    if target is None:
        raise bookings.BookingError("bookings.error.no_target_room", 404)
    return target


def move_rooms(room: Room) -> list[Room]:
    """The rooms a booking of ``room`` may be moved to: its unit's active rooms (one query)."""
    return list(db.session.scalars(select(Room).where(Room.unit_id == room.unit_id, Room.active.is_(True))
                                   .order_by(Room.name, Room.id)))


def cancel(booking_id: int) -> Callable[[Room, Actor], None]:
    """Cancel the booking ``booking_id`` of the room."""
    return lambda room, actor: bookings.cancel(booking_id, actor, room_id=room.id)


def coming(room_id: int, day: bookings_day.RoomDay) -> list[Booking]:
    """The room's active bookings after today, up to DAYS_AHEAD days (a follow-up
    booked for another day shows, and can be moved or cancelled, here)."""
    return list(db.session.scalars(select(Booking).where(
        Booking.room_id == room_id, Booking.status.in_(bookings_day.ACTIVE), Booking.starts_at >= day.end,
        Booking.starts_at < day.end + timedelta(days=DAYS_AHEAD)).order_by(Booking.starts_at, Booking.id)))


def shown_day(now: datetime) -> date:
    """The day a booking page's plan shows: the posted form's day (a person who
    booked or was refused stays on that day), else ``?day=`` (the date picker,
    previous and next day), else today. A date that is no date is a 400."""
    typed = BookingForm().day.data if request.method == "POST" else ""
    if typed:
        try:
            return validate.day("day", typed)
        except validate.FieldError:
            pass
    raw = request.args.get("day", "")[:20]
    if not raw:
        return clock.local_date(now)
    try:
        return validate.day("day", raw)
    except validate.FieldError:
        abort(error_response(400, "bookings.plan.bad_day"))


def plan_of(room: Room, now: datetime):
    """The room's day plan for the page (kiosk/bookings/views_support.py)."""
    from ..bookings import views_support

    return views_support.plan(room, shown_day(now), now)


def page_context(room: Room, session, now: datetime | None = None, other_rooms: bool = True) -> dict:
    """What every booking page shows of the room: its day, the timeline, the
    free slots, the day plan, the coming bookings and (``other_rooms``) the
    rooms a booking may be moved to."""
    from ..bookings import views_support

    now = now or clock.now()
    day = bookings_day.day_of(room.id, now, session, session_known=True,
                              opening_hours=room.unit.opening_hours)
    return {"room": room, "day": day, "timeline": views_support.timeline(day, session),
            "plan": plan_of(room, now), "move_rooms": move_rooms(room) if other_rooms else [room],
            "coming": coming(room.id, day), "slot_minutes": bookings_day.SLOT_MINUTES,
            "today": clock.local_date(now).isoformat()}


def act(room: Room, actor: Actor, change: Callable[[Room, Actor], object],
        page: Callable[..., Response], after: Callable[[Room], Response]) -> Response:
    """Run one booking change for ``actor``; answer with ``after(room)``, or the
    refusal: the message (htmx) or ``page(status=, error=, slots=, form=)``."""
    try:
        change(room, actor)
    except bookings.BookingError as exc:
        db.session.rollback()
        # The refusal is said beside the form that was sent (the booking's own
        # move form, or the booking form), with the page as it was otherwise;
        # htmx swaps the panel like any answer (the page is marked as ours).
        g.refused_booking = _refused_at()
        return page(status=exc.status, error=exc.key, slots=exc.slots, form=BookingForm().typed())
    except RoomError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.key)
    return after(room)


def _refused_at() -> str:
    """Which form a refusal is said beside: "book", or the id of the booking moved."""
    booking_id = (request.view_args or {}).get("booking_id")
    # The URL's converter has made it an int already (or there is none).
    return str(booking_id) if isinstance(booking_id, int) else "book"


def after_change(room: Room, url: str, page: Callable[[Room], Response]) -> Response:
    """A plain form post goes back to its page (303), on the day it changed; htmx
    gets the page's panel, fresh."""
    moved = g.get("moved_to")
    if moved is not None:
        # The booking left this page's room: say where it went (the page lists it no more).
        flash(moved, "booking-moved")
    if not is_htmx():
        day = BookingForm().day.data
        if day and day != clock.local_date(clock.now()).isoformat():
            try:
                url += ("&" if "?" in url else "?") + "day=" + validate.day("day", day).isoformat()
            except validate.FieldError:
                pass
        return redirect(url, code=303)
    db.session.expire_all()
    return page(db.session.get(Room, room.id))

