"""Booking statistics for the head of unit: per room and week, the
booked hours, the used hours, the bookings checked in to, the unclaimed
(released) bookings and the ad-hoc visits; and when the rooms are in use, an
hour-of-day x weekday table. Each with its chart and its CSV.

Everything counts whole minutes (times are cut to the minute), so every
total is the exact sum of its rows: booked = claimed + unclaimed + still
open; visits = visits to a booking + ad-hoc visits; the occupancy table's
total is the used time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ... import clock
from ...errors import error_response
from ...extensions import db
from ...i18n import current_lang, t
from ...models import Booking, Room, RoomSession, Unit
from .. import csvfile
from ..blueprint import bp, the_admin
from ..stats import RoomTable, iso_week, week_label, weeks_between
from .charts import chart_options, finish_chart, svg_response
from .export import csv_download
from .page import stats_page, stats_request_or_400

COUNTED = ("booked", "claimed", "released")  # a cancelled booking never held the room
HOURS = range(24)
WEEKDAYS = range(7)


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


@dataclass
class BookingCell:
    """One room in one week. Minutes throughout; shown as hours and minutes."""

    booked_minutes: int = 0
    used_minutes: int = 0
    bookings: int = 0
    claimed: int = 0
    unclaimed: int = 0
    open: int = 0          # still ahead or running (neither claimed nor released yet)
    booked_visits: int = 0
    adhoc_visits: int = 0

    @property
    def visits(self) -> int:
        return self.booked_visits + self.adhoc_visits


@dataclass
class BookingStats(RoomTable):
    weeks: list[str]
    cells: dict[tuple[str, int], BookingCell]
    occupancy: dict[tuple[int, int], int] = field(default_factory=dict)  # (weekday, hour) -> minutes used

    cell_type = BookingCell

    def hours_used(self) -> list[int]:
        """The hours of the day the table shows: working hours, and any hour with use."""
        used = {h for (_d, h), m in self.occupancy.items() if m}
        return [h for h in HOURS if 7 <= h < 18 or h in used]

    def at(self, weekday: int, hour: int) -> int:
        return self.occupancy.get((weekday, hour), 0)

    def weekday_total(self, weekday: int) -> int:
        return sum(m for (d, _h), m in self.occupancy.items() if d == weekday)

    def hour_total(self, hour: int) -> int:
        return sum(m for (_d, h), m in self.occupancy.items() if h == hour)

    def occupancy_total(self) -> int:
        return sum(self.occupancy.values())


def compute_bookings(unit: Unit, start: date, end: date) -> BookingStats:
    """Bookings that start, and room sessions that start, between start and end (local dates, inclusive)."""
    since, until = clock.day_bounds(start, end)
    now = clock.now()
    rooms = list(db.session.scalars(select(Room).where(Room.unit_id == unit.id).order_by(Room.name, Room.id)))
    room_ids = [r.id for r in rooms] or [-1]
    cells: dict[tuple[str, int], BookingCell] = {}
    claimed_sessions = set()
    for b in db.session.scalars(select(Booking).where(
            Booking.room_id.in_(room_ids), Booking.status.in_(COUNTED),
            Booking.starts_at >= since, Booking.starts_at < until)):
        cell = cells.setdefault((iso_week(clock.local_date(b.starts_at)), b.room_id), BookingCell())
        cell.bookings += 1
        cell.booked_minutes += int((_minute(b.ends_at) - _minute(b.starts_at)).total_seconds() // 60)
        if b.status == "claimed":
            cell.claimed += 1
        elif b.status == "released":
            cell.unclaimed += 1
        else:
            cell.open += 1
    claimed_sessions = set(db.session.scalars(select(Booking.session_id).where(
        Booking.room_id.in_(room_ids), Booking.status == "claimed", Booking.session_id.is_not(None))))
    occupancy: dict[tuple[int, int], int] = {}
    for s in db.session.scalars(select(RoomSession).where(
            RoomSession.room_id.in_(room_ids), RoomSession.started_at >= since, RoomSession.started_at < until)):
        begin, finish = _minute(s.started_at), _minute(s.ended_at or now)
        cell = cells.setdefault((iso_week(clock.local_date(s.started_at)), s.room_id), BookingCell())
        minutes = max(0, int((finish - begin).total_seconds() // 60))
        cell.used_minutes += minutes
        if s.id in claimed_sessions:
            cell.booked_visits += 1
        else:
            cell.adhoc_visits += 1
        # Split the use over the hours it covers, named by Sweden's clock (whole-hour
        # offsets: an hour boundary in UTC is one in Sweden, also on the DST nights).
        at = begin
        while at < finish:
            local = clock.local(at)
            piece = min(finish, at.replace(minute=0) + timedelta(hours=1))
            key = (local.weekday(), local.hour)
            occupancy[key] = occupancy.get(key, 0) + int((piece - at).total_seconds() // 60)
            at = piece
    return BookingStats(unit, start, end, rooms, weeks_between(start, end), cells, occupancy)


def hours_text(minutes: int) -> str:
    """Minutes as hours and minutes ("12 h 05 min"): exact, so rows add up on the page too."""
    return t("bookings.stats.hours", h=minutes // 60, m=f"{minutes % 60:02d}")


def _weekday_name(d: int) -> str:
    return t(f"bookings.stats.weekday.{d}")


@bp.get("/stats/bookings")
def stats_bookings():
    """Booked and used time, unclaimed bookings and ad-hoc visits per room and week; occupancy."""
    return stats_page("bookings.stats.title", "admin/stats_bookings.html", compute_bookings, hours_text=hours_text,
                      weekdays=list(WEEKDAYS), weekday_name=_weekday_name, week_label=lambda w: week_label(w, t))


def bookings_csv_rows(s: BookingStats) -> list[list]:
    """One row per week and room, then the total (minutes: exact, and Excel sums them)."""
    keys = ("booked_minutes", "used_minutes", "bookings", "claimed", "unclaimed", "open", "booked_visits",
            "adhoc_visits")
    header = [t("admin.csv.week"), t("admin.csv.room")] + [t(f"bookings.stats.csv.{k}") for k in keys]
    rows = [header]
    for week in s.weeks:
        for room in s.rooms:
            cell = s.cell(week, room.id)
            rows.append([week_label(week, t), room.name] + [getattr(cell, k) for k in keys])
    total = s.total()
    rows.append([t("admin.stats.total"), ""] + [getattr(total, k) for k in keys])
    return rows


def occupancy_csv_rows(s: BookingStats) -> list[list]:
    """Minutes in use per hour of the day (rows) and weekday (columns), with totals."""
    rows = [[t("bookings.stats.hour")] + [_weekday_name(d) for d in WEEKDAYS] + [t("admin.stats.total")]]
    for h in HOURS:
        rows.append([f"{h:02d}"] + [s.at(d, h) for d in WEEKDAYS] + [s.hour_total(h)])
    rows.append([t("admin.stats.total")] + [s.weekday_total(d) for d in WEEKDAYS] + [s.occupancy_total()])
    return rows


@bp.get("/stats/bookings/<table>.csv")
def stats_bookings_csv(table: str):
    if table not in ("bookings", "occupancy"):
        return error_response(404)
    admin = the_admin()
    _units, unit, start, end = stats_request_or_400()
    result = compute_bookings(unit, start, end)
    rows = bookings_csv_rows(result) if table == "bookings" else occupancy_csv_rows(result)
    body = "".join(csvfile.csv_stream(rows, current_lang())).encode("utf-8")
    return csv_download(admin, unit, start, end, body, t("bookings.stats.filename." + table))


@bp.get("/stats/bookings/<chart>.svg")
def stats_bookings_chart(chart: str):
    if chart not in ("hours", "occupancy"):
        return error_response(404)
    _units, unit, start, end = stats_request_or_400()
    import pygal

    s = compute_bookings(unit, start, end)
    graph = pygal.Bar(**chart_options())
    if chart == "hours":
        graph.x_labels = [room.name for room in s.rooms]
        per_room = [s.total(room_id=room.id) for room in s.rooms]
        graph.add(t("bookings.stats.booked_hours"), [round(c.booked_minutes / 60, 1) for c in per_room])
        graph.add(t("bookings.stats.used_hours"), [round(c.used_minutes / 60, 1) for c in per_room])
    else:
        hours = s.hours_used()
        graph.x_labels = [f"{h:02d}" for h in hours]
        for d in WEEKDAYS:
            graph.add(_weekday_name(d), [round(s.at(d, h) / 60, 1) for h in hours])
    return svg_response(*finish_chart(graph))
