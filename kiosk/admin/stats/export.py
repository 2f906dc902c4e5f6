"""The statistics as CSV for Excel: one row per week and room."""

from __future__ import annotations

from flask import current_app

from ...database import begin_write
from ...errors import error_response
from ...events import record
from ...extensions import db
from ...i18n import current_lang, t
from ...rooms import service
from ...validate import FieldError
from .. import csvfile
from ..blueprint import address, bp, the_admin
from ..stats import CHECKLIST_RESULTS, END_REASONS, OUTCOMES, Cell, Stats, compute, median
from .page import stats_request


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
    return "".join(csvfile.csv_stream(rows, lang)).encode("utf-8")


@bp.get("/stats.csv")
def stats_csv():
    """The statistics as CSV (one row per week and room), for Excel."""
    admin = the_admin()
    try:
        _units, unit, start, end = stats_request()
    except FieldError as exc:
        return error_response(400, exc.key, **exc.slots)
    result = compute(unit, start, end)
    body = to_csv(result, t, service.SKIP_REASONS, current_lang())
    begin_write()
    record("stats-export", admin.label, address=address(), unit_id=unit.id, start=start.isoformat(),
           end=end.isoformat())
    db.session.commit()
    response = current_app.response_class(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    filename = f"{t('admin.csv.filename')}-{unit.slug}-{start.isoformat()}-{end.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


