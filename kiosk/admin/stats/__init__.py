"""Statistics for the head of unit (R10, R11): what the video rooms were used
for, counted from room sessions - which hold no patient data.

Everything is computed in Python from one query over the unit's sessions in
the date range: a unit has a few thousand sessions a year, and one place that
counts keeps the page, the charts and the CSV in agreement.

Charts are pygal SVG documents served at their own URL and shown with
``<img alt>``: pygal writes an inline ``<style>`` (and a config ``<script>``),
which the page's CSP (``style-src 'self'``) rightly refuses. The chart
response drops the script and allows exactly its own stylesheet by hash.
"""

from __future__ import annotations

import operator
import statistics
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import ClassVar

from sqlalchemy import or_, select

from ... import clock
from ...extensions import db
from ...models import Room, RoomSession, Unit


OUTCOMES = ("held", "no-show", "technical")
END_REASONS = ("completed", "cancelled", "auto-released", "force-ended")
# Exactly one of these per visit (a check-in), so the outcome table sums to the
# visits ("Avslutade vid dörren" is one of them, never counted beside the outcomes).
VISIT_OUTCOMES = ("held", "no-show", "technical", "cancelled", "auto-released", "force-ended", "ongoing")
# One of these per visit too: a visit that never started its meeting counts as such.
CHECKLIST_RESULTS = ("complete", "skipped", "not-started")
MAX_DAYS = 366
CHARTS = ("meetings", "endings", "checklists", "length")


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_label(week: str, t) -> str:
    """"2026-W49" as people write it: "vecka 49, 2026" / "week 49, 2026"."""
    year, number = week.split("-W")
    return t("admin.stats.week_label", week=int(number), year=year)


def outcome_label(outcome: str, t) -> str:
    """The words of a visit's outcome (the wrap-up's own words where it has them)."""
    return t(f"rooms.outcome.{outcome}") if outcome in OUTCOMES else t(f"admin.stats.end.{outcome}")


def visit_outcome(session: RoomSession) -> str:
    """The one outcome of a visit: what the clinician recorded at wrap-up, else
    what the no-show procedure concluded, else how the room was freed."""
    if session.outcome in OUTCOMES:
        return session.outcome
    if session.no_show_result in ("no-show", "rebooked"):
        return "no-show"
    if session.no_show_outcome == "technical":
        return "technical"
    if session.end_reason == "completed":
        return "held" if session.meeting_started_at is not None else "cancelled"
    if session.end_reason in VISIT_OUTCOMES:
        return session.end_reason
    return "ongoing"


def weeks_between(start: date, end: date) -> list[str]:
    """Every ISO week touched by the range, in order."""
    weeks: list[str] = []
    day = start - timedelta(days=start.weekday())
    while day <= end:
        weeks.append(iso_week(max(day, start)))
        day += timedelta(days=7)
    return weeks


def sum_cells(cells: dict, total, room_id: int | None = None, period: str | None = None):
    """Add up the cells (keyed by period and room id) of one room and/or one period into
    ``total``, an empty cell: every field of the cell, counts, counters and lists alike."""
    for (p, r), cell in cells.items():
        if (room_id is None or r == room_id) and (period is None or p == period):
            for f in fields(total):
                setattr(total, f.name, operator.iadd(getattr(total, f.name), getattr(cell, f.name)))
    return total


@dataclass
class Cell:
    """The counts of one room in one week (a CSV row)."""

    # Visits (check-ins); meetings = visits whose meeting was held.
    sessions: int = 0
    meetings: int = 0
    outcomes: Counter = field(default_factory=Counter)
    end_reasons: Counter = field(default_factory=Counter)
    checklists: Counter = field(default_factory=Counter)
    skip_reasons: Counter = field(default_factory=Counter)
    overruns: int = 0
    # Lengths of held meetings only: a no-show's wait or a failed call is no meeting.
    minutes: list[float] = field(default_factory=list)


@dataclass
class RoomTable:
    """A unit's rooms over a range of dates: the base of each statistics table,
    whose cells are keyed by (period, room id)."""

    unit: Unit
    start: date
    end: date
    rooms: list[Room]

    # Each subclass names its cell class (an empty cell is all zeros) and has
    # the field ``cells``: (period, room id) -> cell.
    cell_type: ClassVar[type]

    def cell(self, period: str, room_id: int):
        """One room in one period (a week or a month), zeros where nothing happened."""
        return self.cells.get((period, room_id)) or self.cell_type()

    def total(self, room_id: int | None = None, period: str | None = None):
        """The counts summed over rooms and/or periods."""
        return sum_cells(self.cells, self.cell_type(), room_id, period)


@dataclass
class Stats(RoomTable):
    weeks: list[str]
    cells: dict[tuple[str, int], Cell]
    cell_type = Cell

    def meetings(self, week: str, room_id: int) -> int:
        cell = self.cells.get((week, room_id))
        return cell.meetings if cell else 0

    def visits(self, week: str, room_id: int) -> int:
        cell = self.cells.get((week, room_id))
        return cell.sessions if cell else 0


def median(minutes: list[float]) -> float | None:
    return round(statistics.median(minutes), 1) if minutes else None


def compute(unit: Unit, start: date, end: date) -> Stats:
    """Count the unit's room sessions that started between start and end (local dates, inclusive)."""
    since, until = clock.day_bounds(start, end)
    rows = db.session.execute(
        select(RoomSession, Room.id).join(Room, Room.id == RoomSession.room_id)
        .where(Room.unit_id == unit.id, RoomSession.started_at >= since, RoomSession.started_at < until)
        .order_by(RoomSession.started_at)).all()
    used = {room_id for _s, room_id in rows}
    rooms = db.session.scalars(select(Room).where(Room.unit_id == unit.id, or_(Room.active.is_(True), Room.id.in_(used)))
                               .order_by(Room.name, Room.id)).all()
    cells: dict[tuple[str, int], Cell] = {}
    for session, room_id in rows:
        week = iso_week(clock.local_date(session.started_at))
        cell = cells.setdefault((week, room_id), Cell())
        cell.sessions += 1
        outcome = visit_outcome(session)
        cell.outcomes[outcome] += 1
        if outcome == "held":
            cell.meetings += 1
        if session.end_reason:
            cell.end_reasons[session.end_reason] += 1
        started = session.meeting_started_at is not None and session.checklist_result in ("complete", "skipped")
        cell.checklists[session.checklist_result if started else "not-started"] += 1
        if started and session.skip_reason:
            cell.skip_reasons[session.skip_reason] += 1
        if session.overran:
            cell.overruns += 1
        if outcome == "held" and session.meeting_started_at and session.meeting_ended_at:
            cell.minutes.append((session.meeting_ended_at - session.meeting_started_at).total_seconds() / 60)
    return Stats(unit=unit, start=start, end=end, rooms=list(rooms), weeks=weeks_between(start, end), cells=cells)
