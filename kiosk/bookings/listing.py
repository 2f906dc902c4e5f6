"""Every booking findable: a room's or a unit's bookings over a range of days,
as admin (one room's page, and every room of the units an administrator sees)
and the reception board (its unit's rooms) list them.

Bookings are made up to a year ahead while the day pages show today and the
coming two weeks; these lists reach the rest. One reading of the range (the
two date fields' ``from`` and ``to``) and one query for the list, whatever
the number of bookings in it (the rooms and units come joined in the same
statement).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from .. import clock, validate
from ..extensions import db
from ..models import Booking, Room, Unit
from .day import ACTIVE, BookingError
from .service import MAX_AHEAD

# What a list shows unless its date fields say otherwise: today and the next 13 days.
DAYS_SHOWN = 14
# The longest range one list shows: bookings are made up to a year ahead.
RANGE_MAX = MAX_AHEAD.days
# The most rows one list shows; past it the page asks for a shorter range.
ROWS_MAX = 500
# What a list shows of a booking: held, claimed, or released unclaimed (a cancelled one is gone).
LISTED = ACTIVE + ("released",)


def date_range(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """The days a list shows, from the ``from`` and ``to`` fields (YYYY-MM-DD,
    what the date fields send; either may be left empty): today and the next
    DAYS_SHOWN - 1 days by default. A date that is no date, a range backwards
    or longer than a year is refused (``bookings.admin.bad_range``, 400)."""
    raw_from, raw_to = (raw_from or "")[:20], (raw_to or "")[:20]
    try:
        first = validate.day("from", raw_from) if raw_from.strip() else clock.today()
        last = validate.day("to", raw_to) if raw_to.strip() else first + timedelta(days=DAYS_SHOWN - 1)
    except validate.FieldError:
        raise BookingError("bookings.admin.bad_range") from None
    if last < first or (last - first).days > RANGE_MAX:
        raise BookingError("bookings.admin.bad_range")
    return first, last


def date_value(raw: str | None, default: date | None = None) -> str:
    """What a date field shows of what was typed: the date (YYYY-MM-DD), else
    ``default`` or nothing; an <input type="date"> holds nothing else (its
    message says what was wrong)."""
    try:
        return validate.day("day", (raw or "")[:20]).isoformat()
    except validate.FieldError:
        return default.isoformat() if default else ""


def bookings_in(first: date, last: date, *, room_ids: list[int] | None = None,
                unit_ids: list[int] | None = None, limit: int = ROWS_MAX) -> tuple[list[Booking], bool]:
    """The bookings from ``first`` to ``last`` (local days, inclusive) of the rooms
    ``room_ids`` or of every room of ``unit_ids`` (None: no limit of that kind),
    earliest first, each with its room and unit loaded; and whether the list was
    cut at ``limit``. One statement."""
    start, end = clock.day_bounds(first, last)
    query = (select(Booking).join(Booking.room).join(Room.unit)
             .options(contains_eager(Booking.room).contains_eager(Room.unit))
             .where(Booking.status.in_(LISTED), Booking.ends_at > start, Booking.starts_at < end)
             .order_by(Booking.starts_at, Room.name, Booking.id).limit(limit + 1))
    if room_ids is not None:
        query = query.where(Booking.room_id.in_(room_ids or [-1]))
    if unit_ids is not None:
        query = query.where(Room.unit_id.in_(unit_ids or [-1]))
    rows = list(db.session.scalars(query))
    return rows[:limit], len(rows) > limit


def unit_rooms(unit_ids: list[int]) -> list[Room]:
    """The rooms a list may be narrowed to: every room of the units, by unit and name (one statement)."""
    return list(db.session.scalars(select(Room).join(Room.unit).options(contains_eager(Room.unit))
                                   .where(Room.unit_id.in_(unit_ids or [-1])).order_by(Unit.name, Room.name, Room.id)))
