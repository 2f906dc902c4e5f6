"""The admin blueprint and what every admin view shares: the guard that sends
a browser without a session to the login page, no-store caching, the
templates' helpers, and who may see which unit and room.

Every page works as plain HTML forms (POST, then 303 back with a message).
Every view checks who is asking: ``the_admin()`` for any administrator, then
``unit_or_403`` / ``room_or_403`` for the unit the object belongs to, or
``global_required`` for what only a global administrator may do. Every change
is written to the event log with who, what and from which address.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, request
from sqlalchemy import select

from .. import accounts as auth
from .. import clock
from ..accounts import current_admin
from ..errors import error_response
from ..events import client_address
from ..extensions import db
from ..models import AdminUser, Room, Unit
from ..render import mark


bp = Blueprint("admin", __name__, url_prefix="/admin")

# Views a browser without a session may reach.
OPEN = {"admin.login", "admin.session_status", "admin.session_extend"}


@bp.before_request
def _require_admin():
    if request.endpoint in OPEN:
        return None
    if current_admin() is None:
        return auth.login_redirect()
    return None


@bp.after_request
def _no_store(response):
    """Admin pages show who did what: never kept by a browser or proxy cache."""
    return mark(response, no_store=True)


@bp.context_processor
def _admin_context():
    """Admin templates' helpers. ``current_admin`` only reads what the request's
    check already found: a template never writes to the database."""
    return {"current_admin": lambda: g.get("admin"), "admin_deadlines": auth.current_deadlines,
            "admin_now": clock.now,
            "unit_options": lambda units: [(u.id, u.name) for u in units],
            "room_options": lambda rooms: [(r.id, f"{r.name} ({r.unit.name})") for r in rooms]}


def the_admin() -> AdminUser:
    """The administrator of this request (the blueprint's guard has made sure there is one)."""
    admin = current_admin()
    if admin is None:  # the before_request hook makes this unreachable
        abort(403)
    return admin


def address() -> str:
    return client_address()


def visible_units(admin: AdminUser) -> list[Unit]:
    query = select(Unit).order_by(Unit.name, Unit.id)
    if not admin.is_global:
        query = query.where(Unit.id == admin.unit_id)
    return list(db.session.scalars(query))


def visible_rooms(admin: AdminUser, active_only: bool = False) -> list[Room]:
    query = select(Room).join(Unit).order_by(Unit.name, Room.name, Room.id)
    if not admin.is_global:
        query = query.where(Room.unit_id == admin.unit_id)
    if active_only:
        query = query.where(Room.active.is_(True))
    return list(db.session.scalars(query))


def unit_or_403(unit_id: int | None) -> Unit:
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None:
        abort(404)
    if not auth.may_see_unit(the_admin(), unit.id):
        abort(error_response(403, "admin.error.other_unit"))
    return unit


def room_or_403(room_id: int) -> Room:
    room = db.session.get(Room, room_id)
    if room is None:
        abort(404)
    if not auth.may_see_unit(the_admin(), room.unit_id):
        abort(error_response(403, "admin.error.other_unit"))
    return room
