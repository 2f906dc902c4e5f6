"""Every booking of the units an administrator sees, over any range of days
(today and the coming two weeks unless the date fields say otherwise, at most
a year: bookings are made up to a year ahead), narrowed to a unit or a room,
and cancelled from the list. The range is read by kiosk/bookings/listing.py,
as the room's own bookings page and the board's list read it; the list is
one query whatever its length.

A refused filter (a date that is no date, a range backwards or over a year)
is said in the form, with 400; a unit or room the administrator does not see
is as unknown as one that does not exist (404, and so is another unit's
booking). A refused cancel shows the list again with the message and its
status."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from ..accounts import may_see_unit
from ..bookings import listing
from ..bookings import service as bookings
from ..bookings.day import BookingError
from ..errors import error_response
from ..extensions import db
from ..i18n import t
from ..models import Booking
from ..render import render
from ..rooms.access import admin_actor
from ..validate import FieldError
from .blueprint import bp, the_admin, visible_units
from .forms import BookingListForm

# The filter's fields a change keeps when it goes back to the list.
KEPT = ("from", "to", "unit", "room")


def _kept() -> dict[str, str]:
    return {k: request.args[k][:20] for k in KEPT if request.args.get(k)}


def _page(refusal: BookingError | None = None):
    """The list as the query string asks; ``refusal``: a change refused (its message on top)."""
    admin = the_admin()
    units = visible_units(admin)
    form = BookingListForm(formdata=request.args)
    form.validate()
    status = 400 if form.messages() else 200
    first = last = None
    try:
        first, last = listing.date_range(form.start.data, form.end.data)
    except BookingError as exc:
        form.refuse(exc, "end")
        status = exc.status
    seen = {u.id for u in units}
    unit = form.unit.data if not form.unit.errors else None
    if unit is not None and unit not in seen:
        form.refuse(FieldError("unit", "bookings.list.no_unit"))
        status, unit = 404, None
    unit_ids = [unit] if unit is not None else sorted(seen)
    rooms = listing.unit_rooms(unit_ids)
    room = form.room.data if not form.room.errors else None
    if room is not None and room not in {r.id for r in rooms}:
        form.refuse(FieldError("room", "bookings.list.no_room"))
        status, room = 404, None
    rows, cut = [], False
    if status == 200:
        rows, cut = listing.bookings_in(first, last, unit_ids=unit_ids,
                                        room_ids=[room] if room is not None else None)
    if refusal is not None:
        form.refuse(refusal)
        status = refusal.status
    shown = {"from": listing.date_value(form.start.data, first), "to": listing.date_value(form.end.data, last)}
    return render("admin/booking_list.html", form=form, units=units, rooms=rooms, rows=rows, cut=cut,
                  rows_max=listing.ROWS_MAX, first=first, last=last, kept=_kept(), shown=shown, status=status)


@bp.get("/bookings")
def booking_list():
    return _page()


@bp.post("/bookings/<int:booking_id>/cancel")
def booking_list_cancel(booking_id: int):
    """Cancel a booking from the list (a unit's administrator: only the unit's); back to the list."""
    admin = the_admin()
    booking = db.session.get(Booking, booking_id)
    # Another unit's booking is as unknown here as one that does not exist.
    if booking is None or not may_see_unit(admin, booking.room.unit_id):
        return error_response(404, "bookings.error.not_found")
    try:
        bookings.cancel(booking_id, admin_actor(admin), room_id=booking.room_id)
    except BookingError as exc:
        db.session.rollback()
        return _page(exc)
    flash(t("bookings.admin.cancelled"), "status")
    return redirect(url_for("admin.booking_list", **_kept()), code=303)
