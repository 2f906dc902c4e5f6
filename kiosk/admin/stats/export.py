"""The statistics as CSV for Excel: one row per week and room."""

from __future__ import annotations

from flask import current_app

from ...database import begin_write
from ...events import record
from ...extensions import db
from ...i18n import current_lang, t
from ...rooms import service
from .. import csvfile
from ..blueprint import address, bp, the_admin
from ..stats import CHECKLIST_RESULTS, VISIT_OUTCOMES, Cell, Stats, compute, median, outcome_label, week_label
from .page import stats_request_or_400


def to_csv(stats: Stats, t, skip_reasons, lang: str) -> bytes:
    """One row per week and room, then a total row; UTF-8 with a BOM so Excel
    reads å, ä, ö. The outcome columns and the checklist columns each add up to
    the visits column (one outcome per visit), as the page's tables do.

    Swedish Excel expects ';' between cells and a decimal comma."""
    decimal = (lambda x: str(x).replace(".", ",")) if lang == "sv" else str
    header = [t("admin.csv.week"), t("admin.csv.room"), t("admin.csv.sessions"), t("admin.csv.meetings")]
    header += [outcome_label(o, t) for o in VISIT_OUTCOMES]
    header += [t(f"admin.stats.checklist.{c}") for c in CHECKLIST_RESULTS]
    header += [t("admin.csv.skip", reason=t(f"rooms.skip.reason.{r}")) for r in skip_reasons]
    header += [t("admin.csv.overruns"), t("admin.csv.median")]
    rows = [header]

    def row(week: str, room: str, cell: Cell) -> list:
        m = median(cell.minutes)
        values = [week, room, cell.sessions, cell.meetings]
        values += [cell.outcomes[o] for o in VISIT_OUTCOMES]
        values += [cell.checklists[c] for c in CHECKLIST_RESULTS]
        values += [cell.skip_reasons[r] for r in skip_reasons]
        return values + [cell.overruns, decimal(m) if m is not None else ""]

    for week in stats.weeks:
        for room in stats.rooms:
            rows.append(row(week_label(week, t), room.name, stats.cells.get((week, room.id), Cell())))
    rows.append(row(t("admin.stats.total"), "", stats.total()))
    return "".join(csvfile.csv_stream(rows, lang)).encode("utf-8")


@bp.get("/stats.csv")
def stats_csv():
    """The statistics as CSV (one row per week and room), for Excel."""
    admin = the_admin()
    _units, unit, start, end = stats_request_or_400()
    result = compute(unit, start, end)
    return csv_download(admin, unit, start, end, to_csv(result, t, service.SKIP_REASONS, current_lang()),
                        t("admin.csv.filename"))


def csv_download(admin, unit, start, end, body: bytes, name: str, **event):
    """A statistics CSV as a download named after the unit and dates; the export is recorded."""
    begin_write()
    record("stats-export", admin.label, address=address(), unit_id=unit.id, start=start.isoformat(),
           end=end.isoformat(), **event)
    db.session.commit()
    response = current_app.response_class(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    filename = f"{name}-{unit.slug}-{start.isoformat()}-{end.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


