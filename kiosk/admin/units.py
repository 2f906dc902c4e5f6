"""Units and their rooms: create, rename, move, take out of use.

A change that shows on a door or a board (a room's name, a unit's hours ...)
runs in the rooms' write unit (kiosk/room_write.py), so their next poll
renders it.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from sqlalchemy import func, select

from .. import clock, hours, validate
from ..accounts import global_required
from ..database import begin_write
from ..events import Actor, record
from ..extensions import db
from ..i18n import t
from ..models import Room, Tablet, Unit
from ..render import render
from ..room_write import room_write, rooms_write
from ..validate import FieldError
from .blueprint import address, bp, room_or_403, the_admin, unit_or_403, visible_rooms, visible_units
from .forms import ActiveForm, RoomEditForm, RoomForm, UnitEditForm, UnitForm
from .tablets import tablet_online


def _free_slug(form, model) -> str | None:
    """The slug typed, if it is free (else a refusal on the form and None), or
    one made from the name (made free with -2, -3 ...)."""
    slug = form.slug.data
    if slug:
        if db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
            form.refuse(FieldError("slug", "admin.field.slug_taken"))
            return None
        return slug
    base = validate.slugify(form.name.data) or "rum"
    slug, n = base, 1
    while db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
        n += 1
        slug = f"{base[:validate.SLUG_MAX - 4]}-{n}"
    return slug


def _to_change(find, row_id: int):
    """Who is changing which unit or room (``find`` also checks that they may),
    after taking SQLite's write lock: these handlers read, then write."""
    begin_write()
    return the_admin(), find(row_id)


def _changes(row, **fields) -> dict:
    """The fields that differ on a unit or room, for the event log (a new name
    also records the old one, as ``old_name``); nothing is set yet."""
    changes = {}
    for field, value in fields.items():
        old = getattr(row, field)
        if value != old:
            if field == "name":
                changes["old_name"] = old
            changes[field] = value
    return changes


def _apply(row, changes: dict) -> None:
    """Set what :func:`_changes` found on the row."""
    for field, value in changes.items():
        if field != "old_name":
            setattr(row, field, value)


@bp.get("/units")
@global_required
def units():
    return _units_page()


def _units_page(form=None, status=200):
    admin = the_admin()
    counts = dict(db.session.execute(select(Room.unit_id, func.count()).where(Room.active.is_(True))
                                     .group_by(Room.unit_id)).all())
    return render("admin/units.html", units=visible_units(admin), counts=counts,
                  form=form or UnitForm(formdata=None), status=status)


@bp.post("/units")
@global_required
def unit_create():
    begin_write()  # read, then write: take SQLite's write lock first
    admin = the_admin()
    form = UnitForm()
    slug = _free_slug(form, Unit) if form.validate() else None
    if slug is None:
        return _units_page(form, 400)
    name = form.name.data
    unit = Unit(name=name, slug=slug, created_at=clock.now())
    db.session.add(unit)
    db.session.flush()
    record("unit-create", admin.label, address=address(), unit_id=unit.id, name=name, slug=slug)
    db.session.commit()
    flash(t("admin.units.created", name=name), "status")
    return redirect(url_for("admin.units"), code=303)


@bp.get("/units/<int:unit_id>")
@global_required
def unit_edit(unit_id: int):
    unit = unit_or_403(unit_id)
    form = UnitEditForm(formdata=None, data={"name": unit.name, "show_clinician": "1" if unit.show_clinician else "0",
                                             "door_sign_english": "1" if unit.door_sign_english else "0",
                                             "phone": unit.phone, "letter_name": unit.letter_name,
                                             **hours.for_form(unit.opening_hours)})
    return render("admin/unit.html", unit=unit, form=form, hour_days=hours.DAYS)


@bp.post("/units/<int:unit_id>")
@global_required
def unit_update(unit_id: int):
    admin, unit = _to_change(unit_or_403, unit_id)
    form = UnitEditForm()
    if not form.validate():
        return render("admin/unit.html", unit=unit, form=form, status=400, hour_days=hours.DAYS)
    changes = _changes(unit, name=form.name.data, show_clinician=form.show_clinician.data == "1",
                       door_sign_english=form.door_sign_english.data == "1",
                       phone=form.phone.data, letter_name=form.letter_name.data)
    opening_hours = form.opening_hours
    if opening_hours != (unit.opening_hours or None):
        changes.update(opening_hours=opening_hours or "")
    if changes:
        # The boards and doors of the unit show the change at their next poll.
        with rooms_write(room.id for room in unit.rooms):
            _apply(unit, changes)
            if "opening_hours" in changes:
                unit.opening_hours = opening_hours
            record("unit-update", admin.label, address=address(), unit_id=unit.id, **changes)
    flash(t("admin.saved"), "status")
    return redirect(url_for("admin.unit_edit", unit_id=unit.id), code=303)


@bp.post("/units/<int:unit_id>/deactivate")
@global_required
def unit_deactivate(unit_id: int):
    """Take a unit out of use: every room of it becomes inactive (rooms keep their history)."""
    admin, unit = _to_change(unit_or_403, unit_id)
    with rooms_write(room.id for room in unit.rooms if room.active) as writes:
        for w in writes:
            w.room.active = False
        record("unit-deactivate", admin.label, address=address(), unit_id=unit.id, rooms=len(writes))
    flash(t("admin.units.deactivated", name=unit.name, n=len(writes)), "status")
    return redirect(url_for("admin.unit_edit", unit_id=unit.id), code=303)


@bp.get("/rooms")
def rooms():
    return _rooms_page()


def _rooms_page(form=None, status=200):
    admin = the_admin()
    return render("admin/rooms.html", rooms=visible_rooms(admin), units=visible_units(admin),
                  form=form or RoomForm(formdata=None), status=status)


@bp.post("/rooms")
def room_create():
    begin_write()  # read, then write: take SQLite's write lock first
    admin = the_admin()
    form = RoomForm()
    valid = form.validate()
    if not form.unit.errors:
        unit = unit_or_403(form.unit.data)  # 404 or 403 before anything else is said
    slug = _free_slug(form, Room) if valid else None
    if slug is None:
        return _rooms_page(form, 400)
    name, location = form.name.data, form.location.data
    room = Room(unit_id=unit.id, name=name, slug=slug, location=location, active=True)
    db.session.add(room)
    db.session.flush()
    record("room-create", admin.label, address=address(), unit_id=unit.id, room_id=room.id, name=name, slug=slug)
    db.session.commit()
    flash(t("admin.rooms.created", name=name), "status")
    # The next step is right there: the room's page offers to pair its door tablet.
    return redirect(url_for("admin.room_edit", room_id=room.id) + "#door-tablet", code=303)


@bp.get("/rooms/<int:room_id>")
def room_edit(room_id: int):
    room = room_or_403(room_id)
    return render("admin/room.html", room=room, form=RoomEditForm(formdata=None, obj=room),
                  doors=_door_tablets(room.id), online=tablet_online)


def _door_tablets(room_id: int) -> list[Tablet]:
    """The room's paired (not revoked) door tablets."""
    return list(db.session.scalars(select(Tablet).where(Tablet.room_id == room_id, Tablet.kind == "door",
                                                        Tablet.revoked_at.is_(None)).order_by(Tablet.id)))


@bp.post("/rooms/<int:room_id>")
def room_update(room_id: int):
    """Rename a room or change where it is; its slug (in every URL) stays."""
    admin, room = _to_change(room_or_403, room_id)
    form = RoomEditForm()
    if not form.validate():
        return render("admin/room.html", room=room, form=form, status=400,
                      doors=_door_tablets(room.id), online=tablet_online)
    changes = _changes(room, name=form.name.data, location=form.location.data)
    if changes:
        with room_write(room.id) as w:
            _apply(w.room, changes)
            w.record("room-update", Actor(admin.label, address=address()), **changes)
    flash(t("admin.saved"), "status")
    return redirect(url_for("admin.room_edit", room_id=room.id), code=303)


@bp.post("/rooms/<int:room_id>/active")
def room_active(room_id: int):
    """Deactivate (or bring back) a room: an inactive room takes no check-ins."""
    admin, room = _to_change(room_or_403, room_id)
    form = ActiveForm()
    if not form.validate():
        return form.refused()
    wanted = form.active.data == "1"
    if wanted != room.active:
        with room_write(room.id) as w:
            w.room.active = wanted
            w.record("room-activate" if wanted else "room-deactivate", Actor(admin.label, address=address()))
    flash(t("admin.rooms.activated" if wanted else "admin.rooms.deactivated", name=room.name), "status")
    return redirect(url_for("admin.room_edit", room_id=room.id), code=303)
