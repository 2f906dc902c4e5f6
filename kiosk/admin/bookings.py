"""A room's bookings in admin (issue 13): the coming two weeks, book, move,
cancel, and the room's calendar feed (its address, "read now", the last error
and the last good reading). Plain forms, 303 back with a message; a refused
change shows the page again with the message and its status (400, 404, 409)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import flash, redirect, request, url_for
from sqlalchemy import select

from .. import clock
from ..bookings import feeds
from ..bookings import service as bookings
from ..bookings.service import BookingError
from ..extensions import db
from ..i18n import t
from ..models import Booking, CalendarFeed, Room
from ..render import render
from ..rooms.service import Actor
from .blueprint import address, bp, room_or_403, the_admin

DAYS_SHOWN = 14


def _actor() -> Actor:
    return Actor(the_admin().label, address=address())


def _page(room: Room, status: int = 200, error: str | None = None, slots=None, values=None):
    now = clock.now()
    start, _end = bookings.day_bounds(bookings.local_date(now))
    rows = list(db.session.scalars(select(Booking).where(
        Booking.room_id == room.id, Booking.ends_at > start, Booking.starts_at < now + timedelta(days=DAYS_SHOWN),
        Booking.status.in_(bookings.ACTIVE + ("released",))).order_by(Booking.starts_at, Booking.id)))
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.room_id == room.id))
    return render("admin/bookings.html", room=room, rows=rows, feed=feed,
                  feed_host=urlsplit(feed.url).hostname if feed else None,
                  error=t(error, **(slots or {})) if error else None, values=values or {},
                  today=bookings.local_date(now).isoformat(), days=DAYS_SHOWN, status=status)


def _refused(room: Room, exc: BookingError):
    db.session.rollback()
    return _page(db.session.get(Room, room.id), exc.status, exc.key, exc.slots, request.form)


def _times() -> tuple:
    day = request.form.get("day", "")[:10]
    return bookings.parse_local(day, request.form.get("start", "")[:5]), bookings.parse_local(
        day, request.form.get("end", "")[:5])


@bp.get("/rooms/<int:room_id>/bookings")
def room_bookings(room_id: int):
    return _page(room_or_403(room_id))


def _change(room: Room, change, done: str):
    """Make a booking change; 303 back with the done message, or the page again with the refusal."""
    try:
        change()
    except BookingError as exc:
        return _refused(room, exc)
    flash(t(done), "status")
    return redirect(url_for("admin.room_bookings", room_id=room.id), code=303)


@bp.post("/rooms/<int:room_id>/bookings")
def room_book(room_id: int):
    room = room_or_403(room_id)
    return _change(room, lambda: bookings.create(room.id, _actor(), *_times(), holder_name=request.form.get("name"),
                                                 holder_title=request.form.get("title")), "bookings.admin.booked")


@bp.post("/rooms/<int:room_id>/bookings/<int:booking_id>/move")
def room_booking_move(room_id: int, booking_id: int):
    room = room_or_403(room_id)
    return _change(room, lambda: bookings.move(booking_id, _actor(), *_times(), room_id=room.id),
                   "bookings.admin.moved")


@bp.post("/rooms/<int:room_id>/bookings/<int:booking_id>/cancel")
def room_booking_cancel(room_id: int, booking_id: int):
    room = room_or_403(room_id)
    return _change(room, lambda: bookings.cancel(booking_id, _actor(), room_id=room.id), "bookings.admin.cancelled")


@bp.post("/rooms/<int:room_id>/calendar")
def room_calendar(room_id: int):
    """Follow a calendar feed (an empty address stops following it)."""
    room = room_or_403(room_id)
    try:
        feeds.set_feed(room.id, request.form.get("url", "")[:feeds.URL_MAX + 1], _actor())
    except BookingError as exc:
        return _refused(room, exc)
    flash(t("bookings.admin.feed_saved"), "status")
    return redirect(url_for("admin.room_bookings", room_id=room.id), code=303)


@bp.post("/rooms/<int:room_id>/calendar/sync")
def room_calendar_sync(room_id: int):
    """Read the room's feed now; a failure keeps the last good bookings and says why."""
    room = room_or_403(room_id)
    feed_id = db.session.scalar(select(CalendarFeed.id).where(CalendarFeed.room_id == room.id))
    if feed_id is None:
        return _refused(room, BookingError("bookings.admin.no_feed", 409))
    result = feeds.sync(feed_id)
    if result.ok:
        flash(t("bookings.admin.synced", added=result.added, changed=result.changed, removed=result.removed),
              "status")
    else:
        flash(t("bookings.feed." + result.error.replace("-", "_")), "error")
    return redirect(url_for("admin.room_bookings", room_id=room.id), code=303)
