"""Reporting a fault from the door and from the room's console (issue 15).

One form in ``rooms/_fault_notice.html``: the kinds are its submit buttons, so
a report is two taps (open the control, tap the kind), the short text is
optional. A plain POST (303 back to the panel) that htmx upgrades to a panel
swap, like every other room action. The routes sit on the rooms blueprint
(``rooms.fault``, ``rooms.console_fault``) beside the actions they resemble.
"""

from __future__ import annotations

from flask import abort, request

from ..errors import error_response
from . import faults, views

bp = views.bp


def _report(slug: str, who, source: str, panel, target: str):
    room = views._room_or_404(slug)
    refused_or_sent = views._take_step(slug, room.id, who(room), target, _report_fault, (source,), {})
    return refused_or_sent if refused_or_sent is not None else panel(slug)


def _report_fault(room_id: int, actor, source: str) -> None:
    faults.report(room_id, actor, request.form.get("kind"), request.form.get("text"), source)


@bp.post("/rooms/<slug>/fault")
def fault(slug: str):
    """Report broken equipment from the door tablet of the room."""
    return _report(slug, lambda room: views._actor(views._door_tablet(room)), "door", views.door_panel,
                   "rooms.door_panel")


@bp.post("/rooms/<slug>/console/fault")
def console_fault(slug: str):
    """Report broken equipment from the room's console (a visit's console may do so while its visit runs)."""
    def who(room):
        console = views._current_console(room)
        if views._console_ended(console, views.service.open_session(room.id)):
            abort(error_response(409, "console.ended"))
        return console.actor

    return _report(slug, who, "console", views.console_page, "rooms.console_page")
