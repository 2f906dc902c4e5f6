"""Rooms checked in now, and freeing one with a reason.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from sqlalchemy import select

from .. import clock, validate
from ..errors import error_response
from ..extensions import db
from ..i18n import t
from ..models import Room, RoomSession
from ..render import render
from ..rooms import service
from ..rooms.service import Actor, RoomError
from ..validate import FieldError
from .blueprint import address, bp, room_or_403, the_admin


@bp.get("/sessions")
def sessions():
    return _sessions_page()


def _sessions_page(errors=None, status=200, values=None):
    admin = the_admin()
    query = (select(RoomSession, Room).join(Room, Room.id == RoomSession.room_id)
             .where(RoomSession.ended_at.is_(None)).order_by(RoomSession.started_at))
    if not admin.is_global:
        query = query.where(Room.unit_id == admin.unit_id)
    now = clock.now()
    rows = [service.state_of(room, session, now) for session, room in db.session.execute(query).all()]
    return render("admin/sessions.html", rows=rows, errors=errors or {}, values=values or {}, status=status)


@bp.post("/rooms/<int:room_id>/force-end")
def force_end(room_id: int):
    """Free a room whatever its state, with a reason (for the log; erased after the retention days)."""
    admin = the_admin()
    room = room_or_403(room_id)
    values = {"reason": request.form.get("reason", "")[:1000], "room": str(room.id)}
    try:
        reason = validate.text("reason", values["reason"], max_len=validate.REASON_MAX)
        session_id = validate.record_id("session", request.form.get("session"))
    except FieldError as exc:
        return _sessions_page({f"{room.id}-{exc.field}": t(exc.key, **exc.slots)}, 400, values)
    open_now = service.open_session(room.id)
    if open_now is None or open_now.id != session_id:
        db.session.rollback()
        return error_response(409, "admin.sessions.changed")
    try:
        service.force_end(room.id, Actor(admin.label, address=address()), reason)
    except RoomError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.key)
    flash(t("admin.sessions.ended", room=room.name), "status")
    return redirect(url_for("admin.sessions"), code=303)
