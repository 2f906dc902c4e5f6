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

import base64
import csv
import hashlib
import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from xml.sax.saxutils import unescape
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import or_, select

from ..extensions import db
from ..models import Room, RoomSession, Unit

OUTCOMES = ("held", "no-show", "technical")
END_REASONS = ("completed", "cancelled", "auto-released", "force-ended")
CHECKLIST_RESULTS = ("complete", "skipped")
MAX_DAYS = 366
CHARTS = ("meetings", "endings", "checklists", "length")


def tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weeks_between(start: date, end: date) -> list[str]:
    """Every ISO week touched by the range, in order."""
    weeks: list[str] = []
    day = start - timedelta(days=start.weekday())
    while day <= end:
        weeks.append(iso_week(max(day, start)))
        day += timedelta(days=7)
    return weeks


@dataclass
class Cell:
    """The counts of one room in one week (a CSV row)."""

    sessions: int = 0
    meetings: int = 0
    outcomes: Counter = field(default_factory=Counter)
    end_reasons: Counter = field(default_factory=Counter)
    checklists: Counter = field(default_factory=Counter)
    skip_reasons: Counter = field(default_factory=Counter)
    overruns: int = 0
    minutes: list[float] = field(default_factory=list)


@dataclass
class Stats:
    unit: Unit
    start: date
    end: date
    rooms: list[Room]
    weeks: list[str]
    cells: dict[tuple[str, int], Cell]

    def total(self, room_id: int | None = None, week: str | None = None) -> Cell:
        """The counts summed over rooms and/or weeks."""
        total = Cell()
        for (w, r), cell in self.cells.items():
            if (room_id is None or r == room_id) and (week is None or w == week):
                total.sessions += cell.sessions
                total.meetings += cell.meetings
                total.outcomes += cell.outcomes
                total.end_reasons += cell.end_reasons
                total.checklists += cell.checklists
                total.skip_reasons += cell.skip_reasons
                total.overruns += cell.overruns
                total.minutes += cell.minutes
        return total

    def meetings(self, week: str, room_id: int) -> int:
        cell = self.cells.get((week, room_id))
        return cell.meetings if cell else 0


def median(minutes: list[float]) -> float | None:
    return round(statistics.median(minutes), 1) if minutes else None


def compute(unit: Unit, start: date, end: date) -> Stats:
    """Count the unit's room sessions that started between start and end (local dates, inclusive)."""
    zone = tz()
    since = datetime.combine(start, time(0), zone)
    until = datetime.combine(end + timedelta(days=1), time(0), zone)
    rows = db.session.execute(
        select(RoomSession, Room.id).join(Room, Room.id == RoomSession.room_id)
        .where(Room.unit_id == unit.id, RoomSession.started_at >= since, RoomSession.started_at < until)
        .order_by(RoomSession.started_at)).all()
    used = {room_id for _s, room_id in rows}
    rooms = db.session.scalars(select(Room).where(Room.unit_id == unit.id, or_(Room.active.is_(True), Room.id.in_(used)))
                               .order_by(Room.name, Room.id)).all()
    cells: dict[tuple[str, int], Cell] = {}
    for session, room_id in rows:
        week = iso_week(session.started_at.astimezone(zone).date())
        cell = cells.setdefault((week, room_id), Cell())
        cell.sessions += 1
        if session.meeting_started_at is not None:
            cell.meetings += 1
        if session.outcome:
            cell.outcomes[session.outcome] += 1
        if session.end_reason:
            cell.end_reasons[session.end_reason] += 1
        if session.checklist_result:
            cell.checklists[session.checklist_result] += 1
        if session.skip_reason:
            cell.skip_reasons[session.skip_reason] += 1
        if session.overran:
            cell.overruns += 1
        if session.meeting_started_at and session.meeting_ended_at:
            cell.minutes.append((session.meeting_ended_at - session.meeting_started_at).total_seconds() / 60)
    return Stats(unit=unit, start=start, end=end, rooms=list(rooms), weeks=weeks_between(start, end), cells=cells)


# ---- CSV ------------------------------------------------------------------------------------


def csv_stream(rows, lang: str):
    """CSV text for Excel, row by row (for a response that streams): UTF-8 with
    a BOM; in Swedish ';' between cells (Swedish Excel's list separator). Every
    text cell goes through :func:`_cell_text`, so none runs as a formula."""
    delimiter = ";" if lang == "sv" else ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    yield "\ufeff"
    for row in rows:
        writer.writerow([_cell_text(v) for v in row])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def _cell_text(value) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def to_csv(stats: Stats, t, skip_reasons, lang: str) -> bytes:
    """One row per week and room; UTF-8 with a BOM so Excel reads å, ä, ö.

    Swedish Excel expects ';' between cells and a decimal comma."""
    decimal = (lambda x: str(x).replace(".", ",")) if lang == "sv" else str
    header = [t("admin.csv.week"), t("admin.csv.room"), t("admin.csv.sessions"), t("admin.csv.meetings")]
    header += [t(f"rooms.outcome.{o}") for o in OUTCOMES]
    header += [t(f"admin.stats.end.{r}") for r in END_REASONS]
    header += [t("admin.stats.checklist.complete"), t("admin.stats.checklist.skipped")]
    header += [t("admin.csv.skip", reason=t(f"rooms.skip.reason.{r}")) for r in skip_reasons]
    header += [t("admin.csv.overruns"), t("admin.csv.median")]
    rows = [header]
    for week in stats.weeks:
        for room in stats.rooms:
            cell = stats.cells.get((week, room.id), Cell())
            m = median(cell.minutes)
            row = [week, room.name, cell.sessions, cell.meetings]
            row += [cell.outcomes[o] for o in OUTCOMES]
            row += [cell.end_reasons[r] for r in END_REASONS]
            row += [cell.checklists[c] for c in CHECKLIST_RESULTS]
            row += [cell.skip_reasons[r] for r in skip_reasons]
            row += [cell.overruns, decimal(m) if m is not None else ""]
            rows.append(row)
    return "".join(csv_stream(rows, lang)).encode("utf-8")


# ---- charts -------------------------------------------------------------------------------------

# The kiosk's own colours (contrast at least 3:1 against white, WCAG 1.4.11).
COLOURS = ("#00509e", "#a1001c", "#1d6b32", "#7a4d00", "#2c3e91", "#5c2d91", "#006d6f", "#4a4a4a")


def _style():
    from pygal.style import Style

    return Style(background="#ffffff", plot_background="#ffffff", foreground="#111111",
                 foreground_strong="#111111", foreground_subtle="#767676", colors=COLOURS,
                 font_family="system-ui, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif",
                 label_font_size=16, major_label_font_size=16, legend_font_size=16, value_font_size=16,
                 title_font_size=18, opacity=1, opacity_hover=1, transition="0s")


def _ticks(highest: float) -> list[int]:
    """Whole numbers for the value axis (counts and minutes), about eight of them."""
    top = max(1, int(highest + 0.999))
    step = max(1, -(-top // 8))
    return list(range(0, top + step, step))


def chart_svg(name: str, stats: Stats, t, skip_reasons) -> tuple[bytes, str]:
    """Render chart ``name``; returns the SVG and the CSP hash source of its stylesheet."""
    import pygal

    from pygal.config import Config

    # No script (it would only drive tooltips); the tooltip, which pygal hides
    # with a style attribute the CSP refuses, is hidden by the stylesheet instead.
    css = [*Config.css.value, "inline:.tooltip{display:none}"]
    common = dict(style=_style(), js=[], css=css, disable_xml_declaration=False, width=720, height=420,
                  print_values=False, show_legend=True, legend_at_bottom=True, legend_box_size=16,
                  x_label_rotation=0, truncate_legend=40, truncate_label=-1)
    if name == "meetings":
        chart = pygal.Bar(**common)
        chart.x_labels = stats.weeks
        for room in stats.rooms:
            chart.add(room.name, [stats.meetings(w, room.id) for w in stats.weeks])
    elif name == "endings":
        # One bar per way of ending, named on the axis (no legend to match colours
        # with); pygal draws horizontal bars bottom-up, so the lists are reversed
        # to read in the table's order.
        total = stats.total()
        labels = ([t(f"rooms.outcome.{o}") for o in OUTCOMES]
                  + [t(f"admin.stats.end.{r}") for r in END_REASONS[1:]] + [t("admin.stats.overruns")])
        values = ([total.outcomes[o] for o in OUTCOMES] + [total.end_reasons[r] for r in END_REASONS[1:]]
                  + [total.overruns])
        chart = pygal.HorizontalBar(**common)
        chart.x_labels = labels[::-1]
        chart.add(t("admin.stats.count"), values[::-1])
    elif name == "checklists":
        total = stats.total()
        labels = [t("admin.stats.checklist.complete")] + [t(f"rooms.skip.reason.{r}") for r in skip_reasons]
        values = [total.checklists["complete"]] + [total.skip_reasons[r] for r in skip_reasons]
        chart = pygal.HorizontalBar(**common)
        chart.x_labels = labels[::-1]
        chart.add(t("admin.stats.count"), values[::-1])
    elif name == "length":
        chart = pygal.Bar(**common)
        chart.x_labels = [room.name for room in stats.rooms]
        chart.add(t("admin.stats.median_minutes"), [median(stats.total(room_id=room.id).minutes) or 0
                                                     for room in stats.rooms])
    else:
        raise KeyError(name)
    chart.show_legend = name == "meetings"
    highest = max((v or 0 for serie in chart.raw_series for v in serie[0]), default=0)
    chart.y_labels = _ticks(highest)
    svg = chart.render(is_unicode=True)
    return _strict_svg(svg)


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S)
_STYLE_ATTR = re.compile(r'\sstyle="[^"]*"')


def _strict_svg(svg: str) -> tuple[bytes, str]:
    """Drop pygal's scripts and style attributes; hash its one stylesheet for the CSP."""
    svg = _SCRIPT.sub("", svg)
    svg = _STYLE_ATTR.sub("", svg)
    # The browser hashes the stylesheet as parsed: "&gt;" in the XML is ">" to it.
    digests = [base64.b64encode(hashlib.sha256(unescape(m.group(1)).encode("utf-8")).digest()).decode()
               for m in _STYLE.finditer(svg)]
    sources = " ".join(f"'sha256-{d}'" for d in digests) or "'none'"
    return svg.encode("utf-8"), sources
