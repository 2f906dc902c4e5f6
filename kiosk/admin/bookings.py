"""A room's bookings in admin: any range of days (today and the coming two
weeks unless ?from= and ?to= say otherwise: a booking a year ahead is found and
cancelled here), book, move,
cancel, and the room's calendar feed (its address, "read now", the last error
and the last good reading). Plain forms, 303 back with a message; a refused
change shows the page again with the message and its status (400, 404, 409)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from sqlalchemy import select

from .. import clock
from ..bookings import feeds, listing
from ..bookings.day import BookingError
from ..errors import error_response
from ..bookings import service as bookings
from ..extensions import db
from ..i18n import t
from ..models import CalendarFeed, Room
from ..render import render
from ..rooms.access import admin_actor
from .blueprint import bp, room_or_403, the_admin
from ..forms import BookingForm
from ..rooms.booking_forms import booking_times
from .forms import FeedForm


def _range() -> tuple[date, date]:
    """The days the page lists, from ?from= and ?to= (listing.date_range: today
    and the next two weeks by default, at most a year); a range it refuses is a 400."""
    try:
        return listing.date_range(request.args.get("from"), request.args.get("to"))
    except BookingError as exc:
        abort(error_response(exc.status, exc.key))


def _back(room: Room) -> str:
    """The page again, on the range it was showing (a change keeps the list where it was)."""
    args = {k: request.args[k][:20] for k in ("from", "to") if request.args.get(k)}
    return url_for("admin.room_bookings", room_id=room.id, **args)


def _actor():
    return admin_actor(the_admin())


def _page(room: Room, status: int = 200, form=None, book: BookingForm | None = None):
    """The room's bookings; ``form`` is a refused form (its message on top);
    ``book`` a refused new booking (its fields keep what was typed)."""
    now = clock.now()
    first, last = _range()
    rows, cut = listing.bookings_in(first, last, room_ids=[room.id])
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.room_id == room.id))
    today = clock.local_date(now).isoformat()
    return render("admin/bookings.html", room=room, rows=rows, cut=cut, rows_max=listing.ROWS_MAX, feed=feed,
                  feed_host=urlsplit(feed.url).hostname if feed else None,
                  feed_read=feeds.read_counts(feed.read_counts if feed else None),
                  feed_skipped=feeds.skipped(feed.read_counts if feed else None),
                  feed_days=int(current_app.config["FEED_DAYS_AHEAD"]),
                  form=form, book=book or BookingForm(formdata=None, day=today),
                  feed_form=FeedForm(formdata=None),
                  days=listing.DAYS_SHOWN, first=first, last=last, status=status)


def _refused(room: Room, form, exc: BookingError, book: BookingForm | None = None):
    db.session.rollback()
    form.refuse(exc)
    return _page(db.session.get(Room, room.id), exc.status, form, book)


def _times(form: BookingForm) -> tuple:
    """An admin's booking names its end (no length in minutes)."""
    return booking_times(form, length_allowed=False)


@bp.get("/rooms/<int:room_id>/bookings")
def room_bookings(room_id: int):
    return _page(room_or_403(room_id))


def _change(room: Room, form, change, done: str, book: BookingForm | None = None):
    """Make a booking change; 303 back with the done message, or the page again
    with the refusal (``book``: a new booking's form, shown again as typed)."""
    try:
        change()
    except BookingError as exc:
        return _refused(room, form, exc, book)
    flash(t(done), "status")
    return redirect(_back(room), code=303)


@bp.post("/rooms/<int:room_id>/bookings")
def room_book(room_id: int):
    room = room_or_403(room_id)
    form = BookingForm()
    return _change(room, form, lambda: bookings.create(room.id, _actor(), *_times(form), holder_name=form.name.data,
                                                       holder_title=form.title.data), "bookings.admin.booked",
                   book=form)


@bp.post("/rooms/<int:room_id>/bookings/<int:booking_id>/move")
def room_booking_move(room_id: int, booking_id: int):
    room = room_or_403(room_id)
    form = BookingForm()
    return _change(room, form, lambda: bookings.move(booking_id, _actor(), *_times(form), room_id=room.id),
                   "bookings.admin.moved")


@bp.post("/rooms/<int:room_id>/bookings/<int:booking_id>/cancel")
def room_booking_cancel(room_id: int, booking_id: int):
    room = room_or_403(room_id)
    return _change(room, BookingForm(formdata=None), lambda: bookings.cancel(booking_id, _actor(), room_id=room.id),
                   "bookings.admin.cancelled")


@bp.post("/rooms/<int:room_id>/calendar")
def room_calendar(room_id: int):
    """Follow a calendar feed (an empty address stops following it)."""
    room = room_or_403(room_id)
    form = FeedForm()
    try:
        feeds.set_feed(room.id, form.url.data, _actor())
    except BookingError as exc:
        return _refused(room, form, exc)
    flash(t("bookings.admin.feed_saved"), "status")
    return redirect(url_for("admin.room_bookings", room_id=room.id), code=303)


@bp.post("/rooms/<int:room_id>/calendar/sync")
def room_calendar_sync(room_id: int):
    """Read the room's feed now; a failure keeps the last good bookings and says why."""
    room = room_or_403(room_id)
    feed_id = db.session.scalar(select(CalendarFeed.id).where(CalendarFeed.room_id == room.id))
    if feed_id is None:
        return _refused(room, FeedForm(formdata=None), BookingError("bookings.admin.no_feed", 409))
    result = feeds.sync(feed_id, accept_smaller=request.form.get("accept_smaller") == "1")
    if result.ok:
        flash(t("bookings.admin.synced", added=result.added, changed=result.changed, removed=result.removed),
              "status")
    else:
        flash(t("bookings.feed." + result.error.replace("-", "_")), "error")
    return redirect(url_for("admin.room_bookings", room_id=room.id), code=303)
