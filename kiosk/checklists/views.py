"""Checklists from the content files: read, tick, reset.

Ticking is an htmx POST that answers with the item and, out of band, the
progress; without JavaScript the same form POST answers 303 back to the page.
Where the ticks are kept is :func:`ticks.ticks_for_request`'s business.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for

from ..content import schema as s
from ..errors import error_response
from ..i18n import content
from ..render import is_htmx, render
from .ticks import DONE, NA, NO, TICK_VALUES, TickStore, ticks_for_request

bp = Blueprint("checklists", __name__, url_prefix="/checklists")

PAGE = "checklists/checklist.html"
# The ticking part of the page, shared with any screen that shows a checklist
# (the door tablet's readiness check): its blocks are the htmx fragments.
COMPONENT = "checklists/_checklist.html"


def checklist_or_404(key: str) -> s.Checklist:
    """The checklist of the user's language, or 404."""
    checklist = content().checklists.get(key)
    if checklist is None:
        abort(404)
    return checklist


def item_or_404(checklist: s.Checklist, item_key: str) -> s.ChecklistItem:
    """The item of the checklist, or 404."""
    for item in checklist.items:
        if item.key == item_key:
            return item
    abort(404)


def marked_items(checklist: s.Checklist, store: TickStore) -> dict[str, str]:
    """The marked items that still exist in the content, item key → "done" | "na" | "no"
    (a stale key counts nothing, nor does "na" on an item that must apply, nor
    "no" on an item that is not a question)."""
    items = {i.key: i for i in checklist.items}
    return {key: state for key, state in store.marks(checklist.key).items()
            if key in items and (state == DONE or (state == NA and items[key].may_not_apply)
                                 or (state == NO and items[key].question))}


def checklist_context(checklist: s.Checklist, store: TickStore | None = None, compact: bool = False) -> dict:
    """What the checklist component needs to render (``compact``: its items
    without their help and sources)."""
    store = store or ticks_for_request()
    marks = marked_items(checklist, store)
    return {"checklist": checklist, "marks": marks, "tick_scope": store.scope, "compact": compact,
            "progress": checklist.progress(marks), "tick_url": store.tick_url, "reset_url": store.reset_url}


def refused_mark(entry: s.ChecklistItem, wanted: str | None):
    """The answer to a mark the item cannot take ("does not apply" on an item
    that always applies, "no" on one that is not a question), else None."""
    if wanted == NA and not entry.may_not_apply:
        return error_response(400, "checklists.errors.always_applies")
    if wanted == NO and not entry.question:
        return error_response(400, "checklists.errors.not_a_question")
    return None


@bp.get("/")
def index():
    """Every checklist of the routine, with how far this browser has come."""
    store = ticks_for_request()
    rows = [(c, c.progress(marked_items(c, store))) for c in content().checklists.values()]
    return render("checklists/index.html", rows=rows, tick_scope=store.scope)


@bp.get("/<key>")
def checklist(key: str):
    """One checklist: its items to tick, their help and the requirements they serve."""
    found = checklist_or_404(key)
    return render(PAGE, block="checklist", component=COMPONENT, **checklist_context(found))


@bp.post("/<key>/items/<item>")
def tick(key: str, item: str):
    """Tick, untick, mark "does not apply" or answer a question no
    (form field ``ticked`` = 1, 0, na or no)."""
    found = checklist_or_404(key)
    entry = item_or_404(found, item)
    raw = request.form.get("ticked", "")
    if raw not in TICK_VALUES:
        return error_response(400, "checklists.errors.bad_value")
    refused = refused_mark(entry, TICK_VALUES[raw])
    if refused is not None:
        return refused
    store = ticks_for_request()
    if store.tick_url(found.key, entry.key) != request.path:
        # A store ticked elsewhere (a room session's, on the room's own route in
        # rooms/blueprint.py, where its door or console is asked who it is): a form
        # from before is sent there, the POST kept.
        return redirect(store.tick_url(found.key, entry.key), 307)
    store.set(found.key, entry.key, TICK_VALUES[raw])
    if not is_htmx():
        return redirect(url_for(".checklist", key=found.key) + f"#item-{found.key}-{entry.key}", 303)
    return render(PAGE, block="item", oob=("progress",), component=COMPONENT, item=entry,
                  **checklist_context(found, store))


@bp.post("/<key>/reset")
def reset(key: str):
    """Untick every item of the checklist (in this browser, or this room)."""
    found = checklist_or_404(key)
    store = ticks_for_request()
    if store.reset_url(found.key) != request.path:
        return redirect(store.reset_url(found.key), 307)
    store.reset(found.key)
    if not is_htmx():
        return redirect(url_for(".checklist", key=found.key), 303)
    return render(PAGE, block="checklist", component=COMPONENT, **checklist_context(found, store))
