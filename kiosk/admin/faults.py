"""Room health in admin: open faults per room, marking one fixed
with a note, and each room's device checks (the last one, the last good one,
and the rooms whose last check failed). A unit manager sees the unit's rooms.
"""

from __future__ import annotations

from flask import flash, redirect, url_for

from ..errors import error_response
from ..extensions import db
from ..i18n import t
from ..models import RoomFault
from ..render import render
from ..rooms import faults
from ..rooms.access import admin_actor
from ..rooms.service import BadInput, RoomError
from .blueprint import bp, room_or_403, the_admin, visible_rooms
from .forms import FaultFixForm


@bp.get("/faults")
def faults_page():
    return _page()


def _page(form=None, fault_id=None, status=200):
    """The room health page; ``form`` is the refused note of fault ``fault_id``, shown again."""
    admin = the_admin()
    rooms = visible_rooms(admin)
    open_by_room = faults.open_faults_by_room(r.id for r in rooms)
    history = faults.check_history([r for r in rooms if r.active])
    return render("admin/faults.html", rooms=rooms, open_by_room=open_by_room, history=history,
                  failing=[h for h in history if h.failing], form=form, form_fault=fault_id,
                  blank=FaultFixForm(formdata=None), status=status)


@bp.post("/faults/<int:fault_id>/fix")
def fault_fix(fault_id: int):
    """Mark a fault fixed, with an optional note of what was done."""
    admin = the_admin()
    fault = db.session.get(RoomFault, fault_id)
    if fault is None:
        return error_response(404, "faults.error.unknown")
    room = room_or_403(fault.room_id)
    form = FaultFixForm()
    try:
        faults.fix(fault.id, admin_actor(admin), form.note.data)
    except BadInput as exc:
        db.session.rollback()
        form.refuse(exc, "note")
        return _page(form, fault.id, 400)
    except RoomError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.key)
    flash(t("admin.faults.fixed", room=room.name), "status")
    return redirect(url_for("admin.faults_page"), code=303)
