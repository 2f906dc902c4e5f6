"""The staff's read-only overview of the rooms ("Rumsöversikt", issue 12).

The reception board is for a paired board tablet or a logged-in administrator;
staff at a desk are neither, and the menu's "Rumsöversikt" led them to
"Ingen behörighet". They get this page instead: every active room of every unit
with its state in word, colour and icon - exactly what each room's door tablet
already shows in the corridor, and nothing more (no door-tablet health, no
checklist progress, no clinician). It only reads: an expired session is shown
as free here and released by the board's or door's next poll, as before.
An administrator also gets a link to each unit's live board.
"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from .. import clock
from ..accounts import current_admin, may_see_unit
from ..extensions import db
from ..models import Room, RoomSession, Unit
from ..render import render
from . import service

bp = Blueprint("overview", __name__)


def unit_rows() -> list[tuple[Unit, list[service.RoomState], bool]]:
    """(unit, its active rooms' states, may this visitor open its board) for
    every unit with an active room, by name."""
    now = clock.now()
    rooms = db.session.scalars(select(Room).join(Unit).where(Room.active.is_(True))
                               .order_by(Unit.name, Room.name, Room.id)).all()
    open_sessions = {s.room_id: s for s in db.session.scalars(
        select(RoomSession).where(RoomSession.ended_at.is_(None)))}
    admin = current_admin()
    by_unit: dict[int, tuple[Unit, list[service.RoomState], bool]] = {}
    for room in rooms:
        session = open_sessions.get(room.id)
        if service.is_expired(session, now):
            session = None
        entry = by_unit.setdefault(room.unit_id, (room.unit, [], admin is not None and may_see_unit(admin, room.unit_id)))
        entry[1].append(service.state_of(room, session, now))
    return list(by_unit.values())


@bp.get("/rooms")
def index():
    """Every unit's rooms and their states, for anyone at a staff page (read-only)."""
    return render("rooms/overview.html", units=unit_rows(), now=clock.now())
