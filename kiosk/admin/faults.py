"""Room health in admin (issue 15): open faults per room, marking one fixed
with a note, and each room's device checks (the last one, the last good one,
and the rooms whose last check failed). A unit manager sees the unit's rooms.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from ..errors import error_response
from ..extensions import db
from ..i18n import t
from ..models import RoomFault
from ..render import render
from ..rooms import faults
from ..rooms.service import Actor, BadInput, RoomError
from .blueprint import address, bp, room_or_403, the_admin, visible_rooms


@bp.get("/faults")
def faults_page():
    return _page()


def _page(errors=None, values=None, status=200):
    admin = the_admin()
    rooms = visible_rooms(admin)
    open_by_room = faults.open_faults_by_room(r.id for r in rooms)
    history = faults.check_history([r for r in rooms if r.active])
    return render("admin/faults.html", rooms=rooms, open_by_room=open_by_room, history=history,
                  failing=[h for h in history if h.failing], errors=errors or {}, values=values or {},
                  status=status)


@bp.post("/faults/<int:fault_id>/fix")
def fault_fix(fault_id: int):
    """Mark a fault fixed, with an optional note of what was done."""
    admin = the_admin()
    fault = db.session.get(RoomFault, fault_id)
    if fault is None:
        return error_response(404, "faults.error.unknown")
    room = room_or_403(fault.room_id)
    note = request.form.get("note", "")[:1000]
    try:
        faults.fix(fault.id, Actor(admin.label, address=address()), note)
    except BadInput as exc:
        db.session.rollback()
        return _page({f"{fault_id}-note": t(exc.key)}, {"fault": str(fault_id), "note": note}, 400)
    except RoomError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.key)
    flash(t("admin.faults.fixed", room=room.name), "status")
    return redirect(url_for("admin.faults_page"), code=303)
