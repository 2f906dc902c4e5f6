"""The door panel: a paired door tablet's home, its poll, and the visit's steps
taken at the door (check in, start, extend, end, finish, a fault report, the
room's guides; its checklist ticks go through rooms/checklist_views.py).

The door decides who runs the visit. While a console runs it, a tap at the
door can change nothing of the visit: the door offers the sign, a knock (a
quiet notice on the console) and, confirmed, "Koppla bort konsolen" (a new
code, which ends the console's binding); every other step is refused. A room
with no console keeps every control on the door.

Views stay thin: find the room and the tablet, call the service, render.
Polls answer 204 when nothing changed; the fast path (rooms/fastpoll.py)
usually answers them before Flask.
"""

from __future__ import annotations

from flask import abort, current_app, g, redirect, request, url_for

from .. import clock
from ..errors import error_response
from ..extensions import db
from ..forms import CheckInForm
from ..models import Tablet
from ..render import is_htmx, render, unchanged
from . import access, console, offline, pairing, poll, service
from .panel import (MEETING_STEPS, check_in_with_code, day_and_faults, door_context, fault_step, minutes_field,
                    redeem_code, requested_step, room_guide, state_name, take_step)
from .service import RoomError

DOOR = "rooms/door.html"
PANEL = "rooms.door_panel"


def pair():
    """Bind this browser to a room or unit with a one-time code."""
    if request.method == "GET":
        return render("rooms/pair.html", code=request.values.get("code", "")[:40], error=None)
    redeemed, refusal = redeem_code("rooms/pair.html", pairing.redeem, pairing.PairingError)
    if refusal is not None:
        return refusal
    tablet, token = redeemed
    target = {"door": "rooms.door", "board": "rooms.board", "console": "rooms.console_home"}[tablet.kind]
    response = redirect(url_for(target), code=303)
    pairing.set_device_cookie(response, token)
    return response


def door():
    """A paired door tablet's home: its own room's panel."""
    tablet = pairing.current_tablet()
    if tablet is None:
        return redirect(url_for("rooms.pair"), code=303)
    if tablet.revoked_at is not None:
        return access.revoked_response()
    if tablet.kind == "board":
        return redirect(url_for("rooms.board"), code=303)
    if tablet.kind == "console":
        return redirect(url_for("rooms.console_home"), code=303)
    return redirect(url_for(PANEL, slug=tablet.room.slug), code=303)


def door_panel(slug: str):
    """The door panel: the room's state, the sign, and what can be done next."""
    room = access.room_or_404(slug)
    access.door_tablet(room)
    return _panel_page(room)


def _panel_page(room):
    """The door panel of ``room`` for its live door tablet (the caller has checked)."""
    session = service.settled_session(room)
    g.renew_device_cookie = True
    response = render(DOOR, block="panel", fragment="door", no_store=True, **_context(room, session))
    # A full page may be kept by the service worker for a start without the server.
    return response if is_htmx() else offline.keep_offline(response)


def door_poll(slug: str):
    """204 when the panel is current; else the new panel. Usually answered by
    the fast path before Flask; this view answers whatever reaches it."""
    token = pairing.device_token()
    if not token:
        abort(403)
    row = db.session.execute(poll.QUERY, {"slug": slug, "token": pairing.token_hash(token)}).first()
    verdict = poll.decide(row, request.args.get("v"), clock.now(), current_app.extensions["kiosk_content"].version,
                          service.max_session())
    if verdict.answer == poll.UNKNOWN:
        return door_panel(slug)  # unknown token, or no such room: the full path says which
    if verdict.answer == poll.FORBIDDEN:
        abort(403)
    if verdict.answer == poll.REVOKED:
        return access.revoked_response()
    if verdict.last_seen_due:
        pairing.touch(db.session.get(Tablet, verdict.tablet_id))
        g.renew_device_cookie = True
    if verdict.answer == poll.UNCHANGED:
        return unchanged(fragment="door", no_store=True)
    # The poll's row has shown that this is the room's live door tablet (decide refused any other).
    return _panel_page(access.room_or_404(slug))


def _context(room, session):
    """The door panel's context: what it shows of the room (``session``: its open
    session), its day, and its open faults (not in a meeting, when the sign fills the door)."""
    context = door_context(room, session, with_manifest=True)
    return {**context, **day_and_faults(context["rs"], with_faults=context["rs"].state != service.MEETING)}


def _door_action(slug: str, action, answer=None):
    """Run one transition for the door tablet of room ``slug`` and answer it
    with the panel (or, for htmx, what ``answer(room, actor)`` gives, when it gives one)."""
    room = access.room_or_404(slug)
    tablet = access.door_tablet(room)
    before = state_name(room)
    actor = access.device_actor(tablet)
    refused_or_sent = take_step(slug, room.id, actor, PANEL, action)
    if refused_or_sent is not None:
        return refused_or_sent
    answered = None if answer is None else answer(access.room_or_404(slug), actor)
    if answered is not None:
        return answered
    room = access.room_or_404(slug)
    context = _context(room, service.open_session(room.id))
    return render(DOOR, block="panel", fragment="door", no_store=True,
                  focus_heading=context["rs"].state != before, **context)


def check_in(slug: str):
    form = CheckInForm()
    try:
        minutes = minutes_field(form)
    except RoomError as exc:
        return error_response(400, exc.key)
    return _door_action(slug, lambda room_id, actor: check_in_with_code(room_id, actor, form, minutes))


# The door's steps beyond the meeting's: start after the readiness list, and a
# new code for the visit's console (the last one expired).
DOOR_STEPS = {**MEETING_STEPS, "start": service.start_meeting, "console-code": console.new_code}
# What the door may still do while a console runs the visit.
WHILE_CONSOLE = {"console-code": console.new_code, "console-disconnect": console.disconnect,
                 "knock": console.knock}


def step(slug: str):
    """One step of the visit at the door; the rule's last segment names it."""
    name = request.url_rule.rule.rpartition("/")[2]
    room = access.room_or_404(slug)
    access.door_tablet(room)
    if console.attached(room.id, service.open_session(room.id)):
        if name not in WHILE_CONSOLE:
            return error_response(409, "console.door.run_from_console")
        return _door_action(slug, WHILE_CONSOLE[name])
    if name not in DOOR_STEPS:  # a knock or a disconnect with no console to reach
        return error_response(409, "console.knock.no_console")
    return _door_action(slug, DOOR_STEPS[name])


def visit_step(slug: str, action, answer=None):
    """A change to the visit itself from the door (a tick of its checklists):
    refused while a console runs the visit, as every such step is."""
    room = access.room_or_404(slug)
    access.door_tablet(room)
    if console.attached(room.id, service.open_session(room.id)):
        return error_response(409, "console.door.run_from_console")
    return _door_action(slug, action, answer)


def fault(slug: str):
    """Report broken equipment from the door tablet of the room."""
    room = access.room_or_404(slug)
    actor = access.device_actor(access.door_tablet(room))
    refused_or_sent = take_step(slug, room.id, actor, PANEL, fault_step("door"))
    return refused_or_sent if refused_or_sent is not None else door_panel(slug)


def door_guide(slug: str, key: str):
    """A guide opened from the door: the kiosk view, never a staff page; it
    returns to the panel by itself after DOOR_GUIDE_IDLE_SECONDS without a touch."""
    room = access.room_or_404(slug)
    access.door_tablet(room)
    return room_guide(room, key, "door")
