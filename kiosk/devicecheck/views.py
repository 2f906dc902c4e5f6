"""The device check: camera, microphone and sound, tested in the browser.

Beyond the routine (R21 asks for a function test at the first call): a
clinician can try the headset and camera before the patient waits. All the
testing happens in devices.js with the browser's media APIs; no picture or
sound leaves the browser. This page alone may use the camera and microphone.

Run on a room's console (a computer paired as the console, or a browser
bound to the visit by the door's code), or by an administrator who chooses
the room, the check's outcome (camera, microphone, sound: ok, failed or not
tested) can be saved for the room, and a fault reported from here.
devices.js only fills in the form's hidden fields; the person sends it.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for

from sqlalchemy import select

from .. import ratelimit
from ..accounts import current_admin
from ..errors import error_response
from ..extensions import db
from ..i18n import content, t
from ..models import Room
from ..render import render
from ..rooms import access, faults, service
from ..rooms.service import Actor, RoomError
from ..security import allow_media_devices

bp = Blueprint("devicecheck", __name__, url_prefix="/check")

# The contact shown when something fails (R21: call VGR IT).
IT_CONTACT = "vgr-it"


def _console_room() -> tuple[Room, Actor] | None:
    """This browser as a room's console: a console tablet, or a visit's console while the visit runs."""
    found = access.acting_console(service.open_session)
    if found is None:
        return None
    room_id, who = found
    return db.session.get(Room, room_id), who.actor


def _admin_rooms() -> list[Room]:
    """The active rooms an administrator may choose (none for anyone else)."""
    admin = current_admin()
    if admin is None:
        return []
    query = select(Room).where(Room.active.is_(True)).order_by(Room.name, Room.id)
    if not admin.is_global:
        query = query.where(Room.unit_id == admin.unit_id)
    return list(db.session.scalars(query))


def _target() -> tuple[Room, Actor]:
    """The room a POST is for, and who sends it; 400 without a room, 403 for one
    not theirs, 429 for a console over its write limit (nothing written)."""
    own = _console_room()
    if own is not None:
        room, actor = own
        asked = request.form.get("room", "").strip()
        if asked and asked != str(room.id):
            abort(error_response(403))
        if not ratelimit.allow(ratelimit.CONSOLE_WRITE, actor.label):
            abort(error_response(429, "console.error.limited"))
        return room, actor
    return access.admin_room(request.form.get("room", ""))


@bp.get("/devices")
def devices():
    """The check page; the Permissions-Policy lets it ask for camera and microphone."""
    allow_media_devices()
    own = _console_room()
    rooms = [] if own else _admin_rooms()
    chosen = request.args.get("room", "")
    return render("devicecheck/devices.html", it_contact=content().contacts[IT_CONTACT],
                  console_room=own[0] if own else None, rooms=rooms, chosen=chosen)


@bp.post("/devices/result")
def save_result():
    """Save the check's outcome for the room (no media; ok / fail / untested per part)."""
    room, actor = _target()
    try:
        outcome = faults.clean_outcome(request.form.get("camera"), request.form.get("microphone"),
                                       request.form.get("sound"))
        faults.record_check(room.id, actor, outcome)
    except RoomError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.key)
    flash(t("faults.devices.saved", room=room.name), "status")
    return redirect(url_for("devicecheck.devices", room=room.id), code=303)


@bp.post("/devices/fault")
def report_fault():
    """Report a fault for the room from the device check (two taps, like the door)."""
    room, actor = _target()
    try:
        faults.report(room.id, actor, request.form.get("kind"), request.form.get("text"), "devicecheck")
    except RoomError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.key)
    flash(t("faults.devices.report_saved", room=room.name), "status")
    return redirect(url_for("devicecheck.devices", room=room.id), code=303)
