"""Bookings of rooms and the calendar feeds they may come from (issue 13).

``service`` holds the rules (overlap, claim window, release of unclaimed
bookings, the room's day); ``feeds`` reads published iCalendar feeds; the
room state machine (kiosk/rooms/service.py) calls ``service`` on check-in and
under its room lock. ``init_app`` adds the error handler and the CLI.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..errors import error_response
    from ..extensions import db
    from .cli import init_cli
    from .service import BookingError

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
