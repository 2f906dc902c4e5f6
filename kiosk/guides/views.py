"""Guided procedures from the content files.

Every guide is a page of ordered steps. The no-show guide (R26-R28) is also a
small procedure run on the server's clock: the clinician enters the booked
time, the page counts down the routine's minutes, then says to call the
patient and leads on from the answer to the voicemail and journal texts.
Its panel is one htmx component that polls itself while waiting; every form
in it also works as a plain POST (303 back to the page).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, url_for

from .. import clock
from ..content import Content
from ..content import schema as s
from ..errors import error_response
from ..i18n import content, local_time, t
from ..render import is_htmx, render, unchanged
from . import noshow
from .noshow import Flow, no_show_for_request

bp = Blueprint("guides", __name__, url_prefix="/guides")

NO_SHOW_PAGE = "guides/no_show.html"
# Browsers may fill in the clinician's own details (WCAG 1.3.5).
AUTOCOMPLETE = {"name": "name", "title": "organization-title", "clinic": "organization"}


def script_previews(c: Content, guide: s.Guide) -> dict[str, str]:
    """The guide's scripts with each slot shown as its label, e.g. [Ditt namn]."""
    previews = {}
    for step in guide.steps:
        if step.script:
            script = c.scripts[step.script]
            previews[script.key] = c.fill(script.key, {sl.key: f"[{sl.label}]" for sl in script.slots})
    return previews


@bp.get("/")
def index():
    """Every guide of the routine."""
    return render("guides/index.html", guides=list(content().guides.values()))


@bp.get("/<key>")
def guide(key: str):
    """One guide, its steps in order; the no-show guide with its live panel."""
    c = content()
    found = c.guides.get(key)
    if found is None:
        abort(404)
    if key == noshow.GUIDE_KEY:
        current = current_flow(c)
        # The waiting panel polls: "nothing changed" is the cheap 204.
        if is_htmx() and current.phase == "waiting" and request.args.get("shown") == current.token:
            return unchanged()
        return no_show_panel(c, current)
    return render("guides/guide.html", guide=found, previews=script_previews(c, found))


# ---- the no-show procedure -------------------------------------------------


def current_flow(c: Content) -> Flow:
    """Where this request's no-show procedure stands, by the server's clock."""
    return noshow.flow(c.guides[noshow.GUIDE_KEY], no_show_for_request().load(), clock.now(),
                       c.numbers["no_show_minutes"])


def _clock_text(value) -> str:
    """The time of day as every page writes it (the one time filter)."""
    return local_time(value)


def booked_time_texts(current: Flow) -> dict[str, str]:
    """The booked time as the scripts say it: spoken ("i dag kl. 14.30") for the
    voicemail, dated ("2026-11-26 kl. 14.30") for the journal note."""
    booked = current.record.booked_at
    if booked is None:
        return {}
    day = clock.local_date(booked)
    dated = t("guides.no_show.booked_on", date=day.isoformat(), time=_clock_text(booked))
    spoken = t("guides.no_show.booked_today", time=_clock_text(booked)) if day == clock.today() else dated
    return {"voicemail": spoken, "dated": dated}


def filled_scripts(c: Content, current: Flow, values: dict[str, str]) -> dict[str, str]:
    """The scripts of the steps on show, filled with what the clinician entered
    (a slot left empty shows its label) and the booked time (R28)."""
    times = booked_time_texts(current)
    filled = {}
    for step in current.steps:
        if not step.script:
            continue
        script = c.scripts[step.script]
        slots = {sl.key: f"[{sl.label}]" for sl in script.slots}
        slots.update({k: v for k, v in values.items() if v})
        if times:
            slots[noshow.BOOKED_SLOT] = times["voicemail" if script.key == "voicemail" else "dated"]
        filled[script.key] = c.fill(script.key, slots)
    return filled


def no_show_panel(c: Content, current: Flow | None = None, status: int = 200, **kwargs):
    """The no-show page, or only its panel for htmx; a 4xx panel is still swapped
    (render marks it as ours)."""
    return render(NO_SHOW_PAGE, block="panel", status=status, **no_show_context(c, current, **kwargs))


def no_show_context(c: Content, current: Flow | None = None, *,
                    values: dict[str, str] | None = None, slot_errors: dict[str, str] | None = None,
                    start_error: str | None = None, booked_value: str = "") -> dict:
    """What the no-show panel (block "panel" of guides/no_show.html) needs; the
    room console renders the same panel inside its own page."""
    current = current or current_flow(c)
    values = values or {}
    minutes = c.numbers["no_show_minutes"]
    slots = noshow.script_slots(c)
    labels = {sl.key: sl.label for sl in slots}
    limits = {sl.key: sl.max_length for sl in slots}
    context = {
        "guide": c.guides[noshow.GUIDE_KEY],
        "flow": current,
        "minutes": minutes,
        "poll_seconds": int(current_app.config["POLL_SECONDS"]),
        "scope": no_show_for_request().scope,
        "booked_text": _clock_text(current.record.booked_at) if current.record.booked_at else "",
        "due_text": _clock_text(current.due_at) if current.due_at else "",
        "slots": slots,
        "autocomplete": AUTOCOMPLETE,
        "values": values,
        "slot_errors": {k: t(v, label=labels[k], max=limits[k]) for k, v in (slot_errors or {}).items()},
        # Bad input fills nothing: the form shows it back, the texts do not.
        "filled": filled_scripts(c, current, {} if slot_errors else values),
        "previews": script_previews(c, c.guides[noshow.GUIDE_KEY]),
        "start_error": start_error,
        "booked_value": booked_value,
    }
    return context


def _back(anchor: str = "no-show-panel"):
    """After a change: the panel again for htmx, else 303 back to the page."""
    if is_htmx():
        return no_show_panel(content())
    return redirect(url_for(".guide", key=noshow.GUIDE_KEY) + f"#{anchor}", 303)


@bp.post("/no-show/start")
def no_show_start():
    """Start the countdown from the booked time (HH:MM today) or from now."""
    c = content()
    now = clock.now()
    if request.form.get("now"):
        booked = now
    else:
        raw = request.form.get("booked_time", "").strip()
        booked = noshow.parse_booked_time(raw, clock.local_date(now))
        if booked is None:
            message = (t("guides.no_show.errors.time_invalid", value=raw[:10]) if raw
                       else t("guides.no_show.errors.time_missing"))
            return no_show_panel(c, status=400, start_error=message)
    no_show_for_request().start(booked)
    return _back()


@bp.post("/no-show/choose")
def no_show_choose():
    """Record what happened: the answer at the call step, or an outcome."""
    c = content()
    current = current_flow(c)
    step_key = request.form.get("step", "")
    choice = noshow.find_choice(current, step_key, request.form.get("choice", ""))
    if choice is None:
        too_early = current.phase in ("start", "waiting") and step_key == noshow.CALL_STEP
        key = "guides.no_show.errors.too_early" if too_early else "guides.no_show.errors.bad_choice"
        return error_response(400, key, minutes=c.numbers["no_show_minutes"])
    store = no_show_for_request()
    # One tap, one write (and one event in a room): an answer that also ends
    # the procedure is recorded with its outcome at once.
    if step_key == noshow.CALL_STEP and current.record.choice != choice.key:
        store.record_choice(choice.key, choice.outcome)
    elif choice.outcome:
        store.record_outcome(choice.outcome)
    if is_htmx():
        # Keep what the clinician typed for the scripts on screen (never stored).
        values, errors = noshow.read_slots(c, request.form)
        return no_show_panel(c, values={} if errors else values)
    anchor = f"now-{choice.next}" if choice.next and not choice.outcome else "no-show-panel"
    return redirect(url_for(".guide", key=noshow.GUIDE_KEY) + f"#{anchor}", 303)


@bp.post("/no-show/script")
def no_show_script():
    """Fill the voicemail and journal texts with name, title and clinic.

    Nothing is stored (the scripts say so): the answer is the filled page."""
    c = content()
    current = current_flow(c)
    if not any(step.script for step in current.steps):
        return error_response(400, "guides.no_show.errors.bad_choice")
    values, errors = noshow.read_slots(c, request.form)
    if errors:
        return no_show_panel(c, current, status=400, values=values, slot_errors=errors)
    return no_show_panel(c, current, values=values)


@bp.post("/no-show/reset")
def no_show_reset():
    """Forget the booked time and the answers: start again."""
    no_show_for_request().reset()
    return _back()
