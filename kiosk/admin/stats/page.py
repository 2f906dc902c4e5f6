"""The statistics page, and the request (unit, dates) its CSV and charts share."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, request

from ... import clock
from ...errors import error_response
from ...i18n import t
from ...render import render
from ...rooms import service
from ...validate import FieldError
from ..blueprint import bp, the_admin, unit_or_403, visible_units
from ..forms import StatsFilterForm
from ..stats import CHARTS, END_REASONS, MAX_DAYS, OUTCOMES, VISIT_OUTCOMES, compute, median, outcome_label, week_label


def stats_request_or_400():
    """The units seen, and the unit and period asked for (the last four weeks
    of the first unit unless the query string says otherwise); 400 with the
    first refusal, 403 or 404 for a unit that cannot be seen."""
    admin = the_admin()
    units = visible_units(admin)
    if not units:
        abort(error_response(400, "admin.stats.no_units"))
    form = StatsFilterForm(formdata=request.args)
    valid = form.validate()
    if not form.unit.errors:
        unit = unit_or_403(form.unit.data) if form.unit.data is not None else units[0]
    if valid:
        end = form.end.data or clock.today()
        start = form.start.data or end - timedelta(days=27)
        if start > end:
            form.refuse(FieldError("to", "admin.field.range"))
        elif (end - start).days >= MAX_DAYS:
            form.refuse(FieldError("to", "admin.stats.too_long", days=MAX_DAYS))
    if form.messages():
        abort(form.refused())
    return units, unit, start, end


def _stats_args(unit, start, end) -> dict:
    return {"unit": unit.id, "from": start.isoformat(), "to": end.isoformat()}


def stats_page(title: str, template: str, compute, **extra):
    """A statistics page: the unit and dates asked for, counted by compute(unit, start, end);
    a page that says so when the admin sees no unit."""
    if not visible_units(the_admin()):
        return render("admin/empty.html", title=t(title), text=t("admin.stats.no_units"))
    units, unit, start, end = stats_request_or_400()
    result = compute(unit, start, end)
    return render(template, units=units, unit=unit, start=start, end=end, s=result, total=result.total(),
                  args=_stats_args(unit, start, end), **extra)


@bp.get("/stats")
def stats():
    """Video meetings per room and week, how they ended, checklists, overruns, median length."""
    return stats_page("admin.stats.title", "admin/stats.html", compute, charts=CHARTS, outcomes=OUTCOMES,
                      end_reasons=END_REASONS, skip_reasons=service.SKIP_REASONS, visit_outcomes=VISIT_OUTCOMES,
                      outcome_label=lambda o: outcome_label(o, t), week_label=lambda w: week_label(w, t),
                      median=median, number=_number)


def _number(value: float) -> str:
    """One decimal in the page's language: 30,5 in Swedish, 30.5 in English."""
    from flask_babel import format_decimal

    return format_decimal(value, format="0.0")


