"""Ticking a room session's checklists: one view for every checklist of a
visit (the readiness list on a door or console panel, the checklists the
console shows, a checklist page opened on a door tablet), on one route per
surface because who is asking differs (a door tablet, or the room's console).

Who may tick is the surface's rule: the door changes nothing of a visit a
console runs (409), a console nothing of a visit that is over (409). The tick
itself is the room session's tick store (rooms/stores.py), so it is locked,
versioned and recorded like every transition, and the door follows the console.

The answer is htmx's by what the form swaps (its HX-Target): a panel (the
readiness list, where the last tick starts the meeting) gets the panel, an
item gets the item and, out of band, the checklist's progress; a plain form
post goes back to the panel (303).
"""

from __future__ import annotations

from flask import request

from ..checklists.ticks import TICK_VALUES
from ..checklists.views import COMPONENT, PAGE
from ..i18n import content
from ..render import render
from . import console_views, door_views, service
from .panel import room_checklist_context
from .service import BadInput
from .stores import RoomTicks

# Who is asking, per surface: each answers a change to the visit its own way.
SURFACES = {"door": door_views.visit_step, "console": console_views.visit_step}


def tick(slug: str, key: str, item: str, surface: str):
    """Tick, untick or mark "does not apply" (form field ``ticked`` = 1, 0 or
    na: the checklists' one protocol) one item of the room session's checklist."""
    def mark(room_id: int, actor) -> None:
        # Checked after the caller, so a stranger learns nothing about the input.
        raw = request.form.get("ticked", "")
        if raw not in TICK_VALUES:
            raise BadInput("checklists.errors.bad_value")
        RoomTicks(room_id, actor).set(key[:40], item[:60], TICK_VALUES[raw])

    def answer(room, actor):
        if request.headers.get("HX-Target") == f"{surface}-panel":
            return None
        context = room_checklist_context(key, service.open_session(room.id), RoomTicks(room.id, actor))
        entry = next((i for i in context["checklist"].items if i.key == item), None) if context else None
        if entry is None:  # the visit moved on, and the item is no longer asked: the panel says where it is
            return None
        return render(PAGE, block="item", oob=("progress",), component=COMPONENT, item=entry, **context)

    return SURFACES[surface](slug, mark, answer)


def reset(slug: str, key: str, surface: str):
    """Unmark every item of one of the room session's checklists."""
    def unmark(room_id: int, actor) -> None:
        if key not in content().checklists:
            raise BadInput("rooms.error.bad_item")
        RoomTicks(room_id, actor).reset(key)

    def answer(room, actor):
        context = room_checklist_context(key, service.open_session(room.id), RoomTicks(room.id, actor))
        return render(PAGE, block="checklist", component=COMPONENT, **context)

    return SURFACES[surface](slug, unmark, answer)
