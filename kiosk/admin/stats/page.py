"""The statistics page, and the request (unit, dates) its CSV and charts share."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, request

from ... import clock, validate
from ...errors import error_response
from ...i18n import t
from ...render import render
from ...rooms import service
from ...validate import FieldError
from ..blueprint import bp, the_admin, unit_or_403, visible_units
from ..stats import CHARTS, END_REASONS, MAX_DAYS, OUTCOMES, VISIT_OUTCOMES, compute, median, outcome_label, tz, week_label


def stats_request():
    """The unit and date range asked for; a FieldError or 403 when they cannot be used."""
    admin = the_admin()
    units = visible_units(admin)
    if not units:
        raise FieldError("unit", "admin.stats.no_units")
    today = clock.now().astimezone(tz()).date()
    raw_unit = request.args.get("unit")
    unit_id = validate.record_id("unit", raw_unit, required=False)
    unit = unit_or_403(unit_id) if unit_id is not None else units[0]
    end = validate.day("to", request.args.get("to"), default=today)
    start = validate.day("from", request.args.get("from"), default=end - timedelta(days=27))
    if start > end:
        raise FieldError("to", "admin.field.range")
    if (end - start).days >= MAX_DAYS:
        raise FieldError("to", "admin.stats.too_long", days=MAX_DAYS)
    return units, unit, start, end


def stats_request_or_400():
    """stats_request, its FieldError answered with 400 and the field's message."""
    try:
        return stats_request()
    except FieldError as exc:
        abort(error_response(400, exc.key, **exc.slots))


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


