"""The staff's read-only overview of the rooms ("Rumsöversikt").

The reception board is for a paired board tablet or a logged-in administrator;
staff at a desk are neither, and the menu's "Rumsöversikt" led them to
"Ingen behörighet". They get this page instead: every active room of every unit
with its state in word, colour and icon - exactly what each room's door tablet
already shows in the corridor, and nothing more (no door-tablet health, no
checklist progress, no clinician). It only reads: an expired session is shown
as free here and released by the board's or door's next poll, as before.
An administrator also gets a link to each unit's live board.

Each room also shows its next free half hour and links to the room's day
(``/rooms/SLUG/day``): the timeline and the day's bookings as the
board shows them (holder's name and title, never a patient), and a form to
book a free time in one's own name. A staff page has no login, so the name is
required, bookings are limited per address (``ratelimit.STAFF_BOOKING``),
every one is an event with the address, and a browser may move or cancel
only the bookings it made itself (their ids in the signed session); the
others are read-only here (docs/rooms.md, "Who may book from a staff page").
"""

from __future__ import annotations

from flask import abort, session, url_for
from sqlalchemy import select

from .. import clock, ratelimit
from ..accounts import current_admin, may_see_unit
from ..bookings import day as bookings_day
from ..errors import error_response
from ..events import client_address
from ..extensions import db
from ..forms import BookingForm
from ..models import Room, RoomSession, Unit
from ..render import is_htmx, render
from . import access, booking_forms, service
from .service import Actor


def unit_rows() -> tuple[list[tuple[Unit, list[service.RoomState], bool]], dict]:
    """(unit, its active rooms' states, may this visitor open its board) for
    every unit with an active room, by name. Each state carries the room's next
    free half hour today as ``next_slot``."""
    now = clock.now()
    rooms = db.session.scalars(select(Room).join(Unit).where(Room.active.is_(True))
                               .order_by(Unit.name, Room.name, Room.id)).all()
    open_sessions = {s.room_id: s for s in db.session.scalars(
        select(RoomSession).where(RoomSession.ended_at.is_(None)))}
    admin = current_admin()
    by_unit: dict[int, tuple[Unit, list[service.RoomState], bool]] = {}
    slots = {}
    for room in rooms:
        session = open_sessions.get(room.id)
        if service.is_expired(session, now):
            session = None
        entry = by_unit.setdefault(room.unit_id, (room.unit, [], admin is not None and may_see_unit(admin, room.unit_id)))
        state = service.state_of(room, session, now)
        entry[1].append(state)
        slots[state.room.id] = bookings_day.next_free_slot(room.id, 30, now, session,
                                                            opening_hours=room.unit.opening_hours)
    return list(by_unit.values()), slots


def index():
    """Every unit's rooms and their states, for anyone at a staff page (read-only)."""
    units, slots = unit_rows()
    return render("rooms/overview.html", units=units, slots=slots, now=clock.now())


# ---- a room's day from a staff page: book in one's own name ------------

STAFF_ROOM = "rooms/staff_room.html"
MINE = "my_bookings"  # the signed session's list of bookings this browser made
MINE_KEPT = 50


def _room(slug: str) -> Room:
    """An active room (any unit's: the staff pages are the whole building's)."""
    room = db.session.scalar(select(Room).where(Room.slug == slug[:80]))
    if room is None or not room.active:
        abort(404)
    return room


def _mine() -> list[int]:
    kept = session.get(MINE)
    return [i for i in kept if isinstance(i, int)] if isinstance(kept, list) else []


def _page(room: Room, status: int = 200, error: str | None = None, slots=None, form=None):
    open_session = service.open_session(room.id)
    state = service.state_of(room, open_session)
    context = {**booking_forms.page_context(room, open_session, state.now), "rs": state, "mine": set(_mine()),
               "error": error, "error_slots": slots or {}, "form": form or {}}
    return render(STAFF_ROOM, block="panel", status=status, no_store=True, **context)


def room_day(slug: str):
    """One room's day for staff at a desk: the timeline, the bookings, a booking form.
    Like the board's room page it first brings the room up to date (a write only
    when a session expired or a booking is due for release)."""
    room = _room(slug)
    service.release_if_expired(room.id)
    return _page(room)


def _after(room: Room):
    return booking_forms.after_change(room, url_for("overview.room_day", slug=room.slug), _page)


def _limited(room: Room):
    """Over the address's limit: nothing is written, a clear 429."""
    if is_htmx():
        return error_response(429, "bookings.staff.limited")
    return _page(room, 429, "bookings.staff.limited", form=BookingForm().typed())


def _own(slug: str, booking_id: int) -> Room:
    """The room, when this browser made the booking; else 403 (reception or an
    administrator changes the others)."""
    room = _room(slug)
    if booking_id not in _mine():
        abort(error_response(403, "bookings.staff.not_yours"))
    return room


def _action(slug: str, room: Room, change, limited: bool = True):
    """Book in one's own name (required), or move or cancel one's own booking;
    booking and moving are limited per address (a refused attempt writes nothing)."""
    if limited and not ratelimit.allow(ratelimit.STAFF_BOOKING, client_address()):
        return _limited(room)
    return booking_forms.act(room, access.staff_actor(), change, lambda **refused: _page(_room(slug), **refused),
                             _after)


def book(slug: str):
    def book_and_remember(room: Room, actor: Actor):
        booking = booking_forms.create(room, actor, name_required=True)
        session[MINE] = (_mine() + [booking.id])[-MINE_KEPT:]
    return _action(slug, _room(slug), book_and_remember)


def move_booking(slug: str, booking_id: int):
    return _action(slug, _own(slug, booking_id), booking_forms.move(booking_id))


def cancel_booking(slug: str, booking_id: int):
    return _action(slug, _own(slug, booking_id), booking_forms.cancel(booking_id), limited=False)
