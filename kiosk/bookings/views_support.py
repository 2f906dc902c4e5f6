"""What the door, the board and the console show of a room's day (template helpers).

Registered as Jinja globals by :func:`kiosk.bookings.init_app`, so that a
template that includes ``rooms/_door_day.html`` or ``rooms/_room_day.html``
needs nothing from its view but the room and its state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .. import clock, hours
from . import day as bookings_day
from .day import RoomDay

# The board's timeline shows at least the unit's opening hours that day (these
# hours when the unit has none, or is closed that day); it widens to show a
# booking, a session or the present moment outside them.
TIMELINE_FROM = time(7, 0)
TIMELINE_TO = time(18, 0)


def room_day(room, rs=None) -> RoomDay:
    """The room's day now (with the state's session when the caller has it)."""
    if rs is not None:
        return bookings_day.day_of(room.id, rs.now, rs.session, session_known=True)
    return bookings_day.day_of(room.id, clock.now())


def holder(booking) -> str | None:
    """A booking's holder as shown: name, title; None when nobody is named."""
    parts = [p for p in (booking.holder_name, booking.holder_title) if p]
    return ", ".join(parts) or None


@dataclass(frozen=True)
class Bar:
    x: int
    width: int
    status: str
    booking: object


@dataclass(frozen=True)
class Timeline:
    """A room's day as SVG coordinates in minutes (no inline styles under the CSP)."""

    start: datetime
    end: datetime
    width: int
    bars: list[Bar]
    now_x: int | None
    session: Bar | None
    hours: list[tuple[int, datetime]]


def timeline(day: RoomDay, session=None) -> Timeline:
    if day.open_span is not None:
        start, end = day.open_span
    else:
        start, end = clock.wall(day.day, TIMELINE_FROM), clock.wall(day.day, TIMELINE_TO)
    moments = [b.starts_at for b in day.bookings] + [b.ends_at for b in day.bookings] + [day.now]
    if session is not None:
        moments.append(session.started_at)
    lo = max(day.start, min([start] + [m for m in moments if m >= day.start]))
    hi = min(day.end, max([end] + [m for m in moments if m <= day.end]))
    # Whole hours, so the scale reads like a clock face.
    lo = clock.local(lo).replace(minute=0, second=0, microsecond=0)
    if clock.local(hi).minute or clock.local(hi).second:
        hi = clock.local(hi).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    lo_utc, hi_utc = lo.astimezone(day.start.tzinfo), min(day.end, hi.astimezone(day.start.tzinfo))

    def x(at: datetime) -> int:
        at = min(max(at, lo_utc), hi_utc)
        return int((at - lo_utc).total_seconds() // 60)

    bars = [Bar(x(b.starts_at), max(1, x(b.ends_at) - x(b.starts_at)), b.status, b)
            for b in day.bookings if b.ends_at > lo_utc and b.starts_at < hi_utc]
    busy = None
    if session is not None:
        until = max(day.now, session.expected_end or day.now)
        busy = Bar(x(session.started_at), max(1, x(until) - x(session.started_at)), "session", None)
    now_x = x(day.now) if lo_utc <= day.now <= hi_utc else None
    hours = []
    h = lo_utc
    while h <= hi_utc:
        hours.append((x(h), h))
        h += timedelta(hours=1)
    return Timeline(lo_utc, hi_utc, x(hi_utc), bars, now_x, busy, hours)


def later_booking(day: RoomDay):
    """The next booking later today that the door does not already show as about to start."""
    soon_id = day.soon.id if day.soon is not None else None
    return next((b for b in day.bookings if b.status in bookings_day.ACTIVE and b.starts_at > day.now
                 and b.id != soon_id), None)


def hhmm(at: datetime) -> str:
    """A time as an <input type="time"> value must be written (HTML's machine format,
    whatever the language; not a time to read, which goes through i18n's filter)."""
    local = clock.local(at)
    return f"{local.hour:02d}:{local.minute:02d}"


def localdate_iso(at: datetime) -> str:
    """A moment's date on the wall clock, as an <input type="date"> value (YYYY-MM-DD)."""
    return clock.local_date(at).isoformat()


# ---- the day plan: the unit's opening hours as 15-minute rows to book from ----------

PLAN_STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class Cell:
    """One quarter of an hour of the plan: ``free`` (bookable from its start),
    ``booked`` (an active booking covers part of it), ``past`` or ``closed``
    (outside the unit's hours)."""

    starts_at: datetime
    state: str
    booking: object | None

    @property
    def value(self) -> str:
        return hhmm(self.starts_at)


@dataclass(frozen=True)
class Plan:
    """A room's day as a plan: ``rows`` of four quarters, one per hour the unit is
    open or opens in (no hours: the working day 07-18); ``closed`` when the unit's hours
    close the whole day; ``bookings`` the day's active and released bookings."""

    day: date
    today: date
    opens: datetime | None
    closes: datetime | None
    closed: bool
    rows: list[list[Cell]]
    bookings: list

    @property
    def prev_day(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def next_day(self) -> date:
        return self.day + timedelta(days=1)

    @property
    def free(self) -> bool:
        return any(c.state == "free" for row in self.rows for c in row)


def plan(room, shown: date, now: datetime) -> Plan:
    """The plan of ``room`` on ``shown`` at ``now`` (one query: the day's bookings).
    Its rows are whole hours; a quarter outside the unit's hours (07.00 and
    07.15 when it opens at 07.30) is shown as ``closed`` by the rule a booking
    is refused by (``hours.within``)."""
    start, end = clock.day_bounds(shown)
    bookings = bookings_day.bookings_between(room.id, start, end, bookings_day.ACTIVE + ("released",))
    today = clock.local_date(now)
    text = room.unit.opening_hours
    if hours.parse(text) is None:
        opens, closes = clock.wall(shown, TIMELINE_FROM), clock.wall(shown, TIMELINE_TO)
    else:
        span = hours.span_on(text, shown)
        if span is None:
            return Plan(shown, today, None, None, True, [], bookings)
        opens, closes = span
    active = [b for b in bookings if b.status in bookings_day.ACTIVE]
    # The first quarter that may still be booked starts at or after this minute.
    floor = now.replace(second=0, microsecond=0)
    rows: list[list[Cell]] = []
    at = clock.local(opens).replace(minute=0).astimezone(opens.tzinfo)
    while at < closes or clock.local(at).minute:
        quarter_end = at + PLAN_STEP
        holder = next((b for b in active if b.starts_at < quarter_end and b.ends_at > at), None)
        if holder is not None:
            state = "booked"
        elif not hours.within(text, at, quarter_end):
            state = "closed"
        else:
            state = "past" if at < floor else "free"
        cell = Cell(at, state, holder)
        if not rows or clock.local(at).hour != clock.local(rows[-1][0].starts_at).hour:
            rows.append([cell])
        else:
            rows[-1].append(cell)
        at = quarter_end
    return Plan(shown, today, opens, closes, False, rows, bookings)
