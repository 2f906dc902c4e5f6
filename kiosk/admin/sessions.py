"""Rooms checked in now, and freeing one with a reason.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from sqlalchemy import select

from .. import clock
from ..errors import error_response
from ..extensions import db
from ..i18n import t
from ..models import Room, RoomSession
from ..render import render
from ..rooms import service
from ..rooms.access import admin_actor
from ..rooms.service import RoomError
from .blueprint import bp, room_or_403, the_admin
from .forms import ForceEndForm


@bp.get("/sessions")
def sessions():
    return _sessions_page()


def _sessions_page(form=None, status=200, room_id=None):
    """The open sessions; ``form`` is the refused form of the room ``room_id``, shown again."""
    admin = the_admin()
    query = (select(RoomSession, Room).join(Room, Room.id == RoomSession.room_id)
             .where(RoomSession.ended_at.is_(None)).order_by(RoomSession.started_at))
    if not admin.is_global:
        query = query.where(Room.unit_id == admin.unit_id)
    now = clock.now()
    rows = [service.state_of(room, session, now) for session, room in db.session.execute(query).all()]
    return render("admin/sessions.html", rows=rows, form=form, form_room=room_id, blank=ForceEndForm(formdata=None),
                  status=status)


@bp.post("/rooms/<int:room_id>/force-end")
def force_end(room_id: int):
    """Free a room whatever its state, with a reason (for the log; erased after the retention days)."""
    admin = the_admin()
    room = room_or_403(room_id)
    form = ForceEndForm()
    if not form.validate():
        return _sessions_page(form, 400, room.id)
    reason = form.reason.data
    open_now = service.open_session(room.id)
    if open_now is None or open_now.id != form.session.data:
        db.session.rollback()
        return error_response(409, "admin.sessions.changed")
    try:
        service.force_end(room.id, admin_actor(admin), reason)
    except RoomError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.key)
    flash(t("admin.sessions.ended", room=room.name), "status")
    return redirect(url_for("admin.sessions"), code=303)
