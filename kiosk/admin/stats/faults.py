"""Statistics of room health: faults per room and kind per month,
the time to fix them, and failed device checks - each chart with its table,
and a CSV for Excel like the room statistics. Its own page
(``/admin/stats/faults``) on the same unit and date choice as ``/admin/stats``
(``stats_request``); the charts are made and served as the room charts are.

Counted from the fault and device-check tables, which hold no patient data.
A fault counts in the month it was reported; its time to fix, once fixed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import abort
from sqlalchemy import or_, select

from ... import clock
from ...extensions import db
from ...i18n import current_lang, t
from ...models import FAULT_KINDS, DeviceCheck, Room, RoomFault, Unit
from .. import csvfile
from ..blueprint import bp, the_admin
from . import RoomTable, median
from .charts import chart_options, finish_chart, svg_response
from .export import csv_download
from .page import _number, stats_page, stats_request_or_400

FAULT_CHARTS = ("per-room", "per-kind", "fix-time", "failed-checks")


def months_between(start: date, end: date) -> list[str]:
    """Every month (YYYY-MM) the range touches, in order."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass
class FaultCell:
    """One room in one month."""

    reported: int = 0
    kinds: Counter = field(default_factory=Counter)
    fixed: int = 0
    hours: list[float] = field(default_factory=list)
    checks: int = 0
    failed_checks: int = 0


@dataclass
class FaultStats(RoomTable):
    months: list[str]
    cells: dict[tuple[str, int], FaultCell]

    cell_type = FaultCell


median_hours = median  # hours to fix, rounded as the meetings' minutes are


def compute_faults(unit: Unit, start: date, end: date) -> FaultStats:
    """Count the unit's faults reported and device checks run between start and end (local dates, inclusive)."""
    since, until = clock.day_bounds(start, end)
    faults = db.session.execute(
        select(RoomFault, Room.id).join(Room, Room.id == RoomFault.room_id)
        .where(Room.unit_id == unit.id, RoomFault.reported_at >= since, RoomFault.reported_at < until)).all()
    checks = db.session.execute(
        select(DeviceCheck, Room.id).join(Room, Room.id == DeviceCheck.room_id)
        .where(Room.unit_id == unit.id, DeviceCheck.at >= since, DeviceCheck.at < until)).all()
    used = {room_id for _f, room_id in faults} | {room_id for _c, room_id in checks}
    rooms = db.session.scalars(select(Room).where(Room.unit_id == unit.id, or_(Room.active.is_(True),
                                                                                Room.id.in_(used)))
                               .order_by(Room.name, Room.id)).all()

    def month_of(moment: datetime) -> str:
        return clock.local(moment).strftime("%Y-%m")

    cells: dict[tuple[str, int], FaultCell] = {}
    for fault, room_id in faults:
        cell = cells.setdefault((month_of(fault.reported_at), room_id), FaultCell())
        cell.reported += 1
        cell.kinds[fault.kind] += 1
        if fault.fixed_at is not None:
            cell.fixed += 1
            cell.hours.append((fault.fixed_at - fault.reported_at).total_seconds() / 3600)
    for check, room_id in checks:
        cell = cells.setdefault((month_of(check.at), room_id), FaultCell())
        cell.checks += 1
        if not check.ok and "fail" in (check.camera, check.microphone, check.sound):
            cell.failed_checks += 1
    return FaultStats(unit=unit, start=start, end=end, rooms=list(rooms), months=months_between(start, end),
                      cells=cells)


@bp.get("/stats/faults")
def stats_faults():
    """Faults per room and kind per month, time to fix, failed device checks."""
    return stats_page("admin.faults.stats.title", "admin/stats_faults.html", compute_faults, kinds=FAULT_KINDS,
                      median_hours=median_hours, number=_number)


def faults_csv_rows(stats: FaultStats, t, lang: str) -> list[list]:
    """One row per month and room: reported (and by kind), fixed, median hours to fix, checks, failed checks."""
    decimal = (lambda x: str(x).replace(".", ",")) if lang == "sv" else str
    header = [t("admin.faults.stats.month"), t("admin.csv.room"), t("admin.faults.stats.reported")]
    header += [t(f"faults.kind.{k}") for k in FAULT_KINDS]
    header += [t("admin.faults.stats.fixed"), t("admin.faults.stats.hours"), t("admin.faults.stats.checks"),
               t("admin.faults.stats.failed")]
    rows = [header]
    for month in stats.months:
        for room in stats.rooms:
            cell = stats.cell(month, room.id)
            m = median_hours(cell.hours)
            rows.append([month, room.name, cell.reported, *[cell.kinds[k] for k in FAULT_KINDS], cell.fixed,
                         decimal(m) if m is not None else "", cell.checks, cell.failed_checks])
    return rows


@bp.get("/stats/faults.csv")
def stats_faults_csv():
    """The room-health statistics as CSV (one row per month and room), for Excel."""
    admin = the_admin()
    _units, unit, start, end = stats_request_or_400()
    lang = current_lang()
    body = "".join(csvfile.csv_stream(faults_csv_rows(compute_faults(unit, start, end), t, lang), lang))
    return csv_download(admin, unit, start, end, body.encode("utf-8"), t("admin.faults.stats.filename"),
                        what="faults")


def fault_chart_svg(name: str, stats: FaultStats, t) -> tuple[bytes, str]:
    """One room-health chart as strict SVG, and the CSP source of its stylesheet."""
    import pygal

    chart = pygal.Bar(**chart_options())
    if name == "per-room":
        chart.x_labels = stats.months
        for room in stats.rooms:
            chart.add(room.name, [stats.cell(m, room.id).reported for m in stats.months])
    elif name == "per-kind":
        chart.x_labels = stats.months
        for kind in FAULT_KINDS:
            chart.add(t(f"faults.kind.{kind}"), [stats.total(period=m).kinds[kind] for m in stats.months])
    elif name == "fix-time":
        chart.x_labels = [room.name for room in stats.rooms]
        chart.add(t("admin.faults.stats.hours"), [median_hours(stats.total(room_id=r.id).hours) or 0
                                                  for r in stats.rooms])
        chart.show_legend = False
    elif name == "failed-checks":
        chart.x_labels = stats.months
        for room in stats.rooms:
            chart.add(room.name, [stats.cell(m, room.id).failed_checks for m in stats.months])
    else:
        raise KeyError(name)
    return finish_chart(chart)


@bp.get("/stats/faults/<chart>.svg")
def stats_faults_chart(chart: str):
    """One room-health chart as an SVG document of its own (its stylesheet allowed by hash)."""
    if chart not in FAULT_CHARTS:
        abort(404)
    _units, unit, start, end = stats_request_or_400()
    return svg_response(*fault_chart_svg(chart, compute_faults(unit, start, end), t))
