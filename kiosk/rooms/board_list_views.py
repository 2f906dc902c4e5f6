"""The reception board's list of its unit's bookings by range of days: past the
two weeks the day pages show, up to the booking horizon (a year), in one room
or all; each booking opens on its room's day (to move it) or is cancelled here,
asked first. The range is read as admin reads it (kiosk/bookings/listing.py),
and the list is one query whatever its length."""

from __future__ import annotations

from flask import g, redirect, request, url_for

from .. import clock
from ..bookings import listing
from ..bookings.day import BookingError
from ..errors import error_response
from ..extensions import db
from ..forms import BoardBookingListForm
from ..models import Booking, Room, Unit
from ..render import is_htmx, render
from . import access, booking_forms

BOARD_BOOKINGS = "rooms/board_bookings.html"

# The list's fields a change keeps when it goes back to the list.
LIST_KEPT = ("from", "to", "room")


def _list_args() -> dict[str, str]:
    args = {k: request.args[k][:80] for k in LIST_KEPT if request.args.get(k)}
    if g.get("board_admin_unit"):
        args["unit"] = g.board_admin_unit
    return args


def _list_page(unit: Unit, status: int = 200, error: str | None = None, slots=None, form=None):
    """The unit's bookings over the days the form asks (listing.date_range, as
    admin reads it), in one room or all; a refused range is said beside the
    form (400), a room not of the unit is a 404."""
    now = clock.now()
    shown = BoardBookingListForm(formdata=request.args)
    shown.validate()
    refusal = None
    first = last = None
    try:
        first, last = listing.date_range(shown.start.data, shown.end.data)
    except BookingError as exc:
        refusal, status = exc, exc.status
    rooms = [r for r in listing.unit_rooms([unit.id]) if r.active]
    room = None
    if shown.room.errors:
        refusal, status = BookingError("bookings.list.no_room", 404), 404
    elif shown.room.data:
        room = next((r for r in rooms if r.slug == shown.room.data), None)
        if room is None:
            refusal, status = BookingError("bookings.list.no_room", 404), 404
    rows, cut = [], False
    if refusal is None:
        rows, cut = listing.bookings_in(first, last, unit_ids=[unit.id],
                                        room_ids=[room.id] if room is not None else None)
    return render(BOARD_BOOKINGS, block="panel", status=status, fragment="board-bookings", no_store=True,
                  unit=unit, rooms=rooms, room=room, rows=rows, cut=cut, rows_max=listing.ROWS_MAX, first=first,
                  last=last, list_error=refusal, now=now, list_args=_list_args(),
                  typed={"from": listing.date_value(shown.start.data, first),
                         "to": listing.date_value(shown.end.data, last)},
                  board_unit=g.get("board_admin_unit"), error=error, error_slots=slots or {})


def board_bookings():
    """The unit's bookings by range of days (past the two weeks the day pages show,
    up to the booking horizon), each to open on its room's day or to cancel."""
    return _list_page(access.board_unit())


def board_list_cancel(booking_id: int):
    """Cancel a booking of the unit from the list; back to the list as it was."""
    unit = access.board_unit()
    booking = db.session.get(Booking, booking_id)
    # Another unit's booking is as unknown to this board as one that does not exist.
    if booking is None or booking.room.unit_id != unit.id:
        return error_response(404, "bookings.error.not_found")
    room = booking.room

    def back(_room: Room):
        if not is_htmx():
            return redirect(url_for("rooms.board_bookings", **_list_args()), code=303)
        db.session.expire_all()
        return _list_page(db.session.get(Unit, unit.id))

    return booking_forms.act(room, access.board_actor(), booking_forms.cancel(booking_id),
                             lambda **refused: _list_page(db.session.get(Unit, unit.id), **refused), back)
