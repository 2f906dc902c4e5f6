"""Bookings of rooms and the calendar feeds they may come from.

``day`` reads a room's day (what is booked and free, what a check-in means,
when the day next changes); ``service`` writes (create, move, cancel, claim at
check-in); ``feeds`` reads published iCalendar feeds. Every write runs in the
room's write unit (kiosk/room_write.py), which also releases unclaimed
bookings that are due. ``init_app`` adds the error handler and the CLI.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..errors import error_response
    from ..extensions import db
    from .cli import init_cli
    from .day import BookingError

    @app.errorhandler(BookingError)
    def _booking_error(exc: BookingError):
        """A refused booking from any surface: the message, the right status, no 500."""
        db.session.rollback()
        return error_response(exc.status, exc.key, **exc.slots)

    init_cli(app)

    from . import views_support
    app.jinja_env.filters["hhmm"] = views_support.hhmm
    app.jinja_env.filters["localdate_iso"] = views_support.localdate_iso
    app.jinja_env.globals.update(booking_holder=views_support.holder,
                                 room_timeline=views_support.timeline,
                                 later_booking=views_support.later_booking)
