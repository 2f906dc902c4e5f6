"""Who is asking: a room's door tablet, its console, a unit's board, an
administrator or a staff page, and the ``Actor`` each acts as.

Every surface finds its room and its visitor here, so the rules are stated
once: a door tablet acts only on its own room; a console is either a tablet
paired as the room's console (it follows whatever visit the room has) or a
browser bound to one visit by the door's code (until the visit ends or the
door disconnects it: then it is told so and acts on nothing); a board is a board tablet or
an administrator who may see the unit. A revoked tablet gets the revoked page
(its poll is told to reload into it), anyone else a 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g, redirect, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import validate
from ..accounts import current_admin, may_see_unit
from ..errors import error_response
from ..events import client_address
from ..extensions import db
from ..models import AdminUser, ConsoleCode, Room, RoomSession, Tablet, Unit
from ..render import render
from . import pairing
from .service import Actor

# The event log's label of each kind of paired device ("tablet:12" is a door).
DEVICE_LABELS = {"door": "tablet", "console": "console", "board": "board"}
STAFF_PAGE = "staff-page"
# A browser bound to one visit by the door's code carries its token here.
CONSOLE_COOKIE = "kiosk_console"


@dataclass(frozen=True)
class Console:
    """Who is acting from a console: a paired console tablet (``session_id``
    None: any session of its room) or a browser bound to one session."""

    actor: Actor
    session_id: int | None


# ---- actors -------------------------------------------------------------------


def device_actor(tablet: Tablet) -> Actor:
    """A paired door, console or board tablet."""
    return Actor(f"{DEVICE_LABELS[tablet.kind]}:{tablet.id}", tablet_id=tablet.id, address=client_address())


def code_actor(code_id: int, address: str | None = None) -> Actor:
    """A browser bound to one visit by the console code ``code_id``."""
    return Actor(f"console-code:{code_id}", address=client_address() if address is None else address)


def admin_actor(admin: AdminUser) -> Actor:
    return Actor(admin.label, address=client_address())


def staff_actor() -> Actor:
    """A staff page: no login, so the address is all the event log knows."""
    return Actor(STAFF_PAGE, address=client_address())


def is_console_actor(actor: Actor) -> bool:
    return actor.label.startswith("console")


def is_board_actor(label: str) -> bool:
    """Whether an event's actor acted from the reception board: a board tablet, or
    an administrator (whose only way to check a clinician in is the board)."""
    return label.startswith((f"{DEVICE_LABELS['board']}:", "admin:"))


# ---- rooms and door tablets -------------------------------------------------------


def room_or_404(slug: str) -> Room:
    # Every surface shows something of the room's unit (its hours, whether the
    # clinician's name shows): read with the room, not a statement later.
    room = db.session.scalar(select(Room).options(joinedload(Room.unit, innerjoin=True)).where(Room.slug == slug))
    if room is None:
        abort(404)
    return room


def revoked_response():
    """The revoked page; a panel's poll is told to reload into it (HX-Refresh)."""
    return render("rooms/revoked.html", status=403, refresh=True, fragment="revoked")


def door_tablet(room: Room) -> Tablet:
    """The door tablet of this room, or a 403 (unpaired, revoked, another room's)."""
    tablet = pairing.current_tablet()
    if tablet is None or tablet.kind != "door" or tablet.room_id != room.id:
        abort(403)
    if tablet.revoked_at is not None:
        abort(revoked_response())
    return tablet


def live_tablet(kind: str) -> Tablet | None:
    """The tablet making this request, if it is paired as ``kind`` and not
    revoked (a door or console: of a room)."""
    tablet = pairing.current_tablet()
    if tablet is None or tablet.kind != kind or tablet.revoked_at is not None:
        return None
    if kind in pairing.ROOM_KINDS and not tablet.room_id:
        return None
    return tablet


def door_room() -> Room | None:
    """The room of the live door tablet making this request, if any."""
    tablet = live_tablet("door")
    return None if tablet is None else tablet.room


def door_in_use() -> tuple[int, Actor] | None:
    """The room of the live door tablet making this request, and the tablet as actor."""
    tablet = live_tablet("door")
    return None if tablet is None else (tablet.room_id, device_actor(tablet))


# ---- consoles ------------------------------------------------------------------


def console_binding() -> ConsoleCode | None:
    """The claimed code this browser's console cookie belongs to, if any (a
    disconnected one included: the browser is told so). Two copies of the
    cookie mean one was planted, and neither is trusted."""
    token = pairing.one_cookie(request.cookies, CONSOLE_COOKIE, request.is_secure)
    if token is None:
        return None
    return db.session.scalar(select(ConsoleCode).where(ConsoleCode.token_hash == pairing.token_hash(token)))


def disconnected_response():
    """The page that tells a disconnected console so (and lets it claim a new
    code); a panel's poll or action is told to reload into it (HX-Refresh)."""
    return render("rooms/console_disconnected.html", status=403, refresh=True, fragment="disconnected",
                  code="", error=None)


def request_console() -> tuple[int, Console] | None:
    """The room and the console this request comes from, if it comes from one:
    a paired console tablet (not revoked) or a browser bound by a claimed code
    that the door has not disconnected."""
    tablet = live_tablet("console")
    if tablet is not None:
        return tablet.room_id, Console(device_actor(tablet), None)
    bound = console_binding()
    if bound is not None and bound.disconnected_at is None:
        return bound.room_id, Console(code_actor(bound.id), bound.session_id)
    return None


def current_console(room: Room) -> Console:
    """This browser as the console of ``room``, or a 403 (not a console, another room's)."""
    tablet = pairing.current_tablet()
    if tablet is not None and tablet.kind == "console" and tablet.room_id == room.id:
        if tablet.revoked_at is not None:
            abort(revoked_response())
        return Console(device_actor(tablet), None)
    bound = console_binding()
    if bound is not None and bound.room_id == room.id:
        if bound.disconnected_at is not None:
            abort(disconnected_response())
        return Console(code_actor(bound.id), bound.session_id)
    abort(403)


def console_ended(who: Console, session: RoomSession | None) -> bool:
    """A console bound to one visit whose session is over: it may do nothing more."""
    return who.session_id is not None and (session is None or session.id != who.session_id)


def acting_console(open_session) -> tuple[int, Console] | None:
    """This browser as a console that may still act: a console tablet, or a
    browser bound to a visit while that visit is the room's open session
    (``open_session(room_id)`` finds it)."""
    found = request_console()
    if found is None:
        return None
    room_id, who = found
    if who.session_id is not None and console_ended(who, open_session(room_id)):
        return None
    return found


# ---- the reception board ----------------------------------------------------------


def board_unit() -> Unit:
    """The unit whose board this is: a board tablet's own, or for an administrator
    the unit named by ?unit= (a unit manager's own unit by default)."""
    tablet = pairing.current_tablet()
    if tablet is not None and tablet.kind == "board":
        if tablet.revoked_at is not None:
            abort(revoked_response())
        g.board_tablet = tablet
        return tablet.unit

    admin = current_admin()
    if admin is None:
        if tablet is not None and tablet.revoked_at is not None:
            abort(revoked_response())
        abort(403)
    slug = request.args.get("unit", "")[:60]
    if slug:
        unit = db.session.scalar(select(Unit).where(Unit.slug == slug))
        if unit is None:
            abort(404)
    elif admin.unit_id is not None:
        unit = db.session.get(Unit, admin.unit_id)
    else:
        abort(redirect(url_for("admin.units"), code=303))  # a global admin picks a unit there
    if not may_see_unit(admin, unit.id):
        abort(403)
    g.board_admin_unit = unit.slug
    return unit


def board_room(slug: str) -> tuple[Unit, Room]:
    """A room of this board's unit; another unit's room is a 403."""
    unit = board_unit()
    room = room_or_404(slug)
    if room.unit_id != unit.id:
        abort(403)
    return unit, room


def board_actor() -> Actor:
    """The board tablet, or the administrator looking at the board (after ``board_unit``)."""
    tablet = g.get("board_tablet")
    if tablet is not None:
        return device_actor(tablet)
    return admin_actor(current_admin())


# ---- an administrator choosing a room (the device check) -------------------------


def admin_room(raw_id: str) -> tuple[Room, Actor]:
    """The room an administrator names by id: 403 without a login or for another
    unit's room, 400 for a malformed id, 404 for an unknown one."""
    admin = current_admin()
    if admin is None:
        abort(error_response(403))
    room_id = validate.number(raw_id.strip(), 9)
    if room_id is None:
        abort(error_response(400, "faults.devices.error.room"))
    room = db.session.get(Room, room_id)
    if room is None:
        abort(error_response(404))
    if not may_see_unit(admin, room.unit_id):
        abort(error_response(403, "admin.error.other_unit"))
    return room, admin_actor(admin)
