"""Room health: broken equipment reported in a room, and device checks kept per room.

A fault is reported from the door, the room's console or the device check:
a kind from a fixed list and an optional short text by the name rule (no
patient data). While it is open the door and the board say so ("Fel anmält:
kamera (sedan tis 09.12)") without blocking check-in, and the readiness
checklist reminds whoever checks in. An administrator or the unit's manager
marks it fixed with a note. Reporting and fixing run in the room's write unit
(kiosk/room_write.py): an event each, and ``room.version`` bumped, so the
door's and the board's next poll re-render.

A device check run on a room's console (or by an administrator who chose the
room) stores only its outcome: camera, microphone and sound each ok, failed
or untested.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import func, select

from .. import clock, names
from ..database import begin_write
from ..events import Actor, record
from ..extensions import db
from ..models import DEVICE_RESULTS, FAULT_KINDS, FAULT_SOURCES, DeviceCheck, Room, RoomFault
from ..room_write import RoomWrite, room_write
from .service import BadInput, RoomError

TEXT_MAX = 140
NOTE_MAX = 200
# A room may have at most this many open faults; more is someone leaning on the button.
OPEN_MAX = 20


def clean_kind(raw: str | None) -> str:
    """A kind from the fixed list, or BadInput."""
    if raw not in FAULT_KINDS:
        raise BadInput("faults.error.kind")
    return raw


def clean_text(raw: str | None, max_len: int = TEXT_MAX, key: str = "faults.error.text") -> str | None:
    """The optional short text by the one name rule (kiosk/names.py); None when empty."""
    if raw is not None and len(raw) > 4 * max_len:
        raise BadInput(key)
    try:
        return names.clean(raw, max_len, required=False) or None
    except names.NameProblem as exc:
        if exc.problem == names.PERSONAL_NUMBER:
            raise BadInput("faults.error.personal_number") from None
        raise BadInput(key) from None


def _write(room_id: int) -> AbstractContextManager[RoomWrite]:
    """The room's write unit (the room locked, as the state machine locks it)."""
    return room_write(room_id, missing=RoomError("rooms.error.no_room"))


def report(room_id: int, actor: Actor, kind: str | None, text: str | None, source: str) -> RoomFault:
    """Record a fault for the room; the door and the board show it from their next poll."""
    kind = clean_kind(kind)
    text = clean_text(text)
    if source not in FAULT_SOURCES:
        raise BadInput("faults.error.kind")
    with _write(room_id) as w:
        if len(open_faults(w.room.id)) >= OPEN_MAX:
            raise RoomError("faults.error.too_many")
        fault = RoomFault(room_id=w.room.id, kind=kind, text=text, source=source, reported_at=w.now,
                          reported_by=actor.label)
        db.session.add(fault)
        db.session.flush()
        w.record("fault-report", actor, fault=fault.id, what=kind, source=source)
    return fault


def fix(fault_id: int, actor: Actor, note: str | None) -> RoomFault:
    """Mark an open fault fixed with a note (what was done); 409 if it already was."""
    note = clean_text(note, NOTE_MAX, "faults.error.note")
    fault = db.session.get(RoomFault, fault_id)
    if fault is None:
        raise RoomError("faults.error.unknown")
    with _write(fault.room_id) as w:
        db.session.refresh(fault)
        if fault.fixed_at is not None:
            raise RoomError("faults.error.already_fixed")
        fault.fixed_at, fault.fixed_by, fault.fix_note = w.now, actor.label, note
        w.record("fault-fix", actor, fault=fault.id, what=fault.kind,
                 minutes=int((w.now - fault.reported_at).total_seconds() // 60))
    return fault


def open_faults(room_id: int) -> list[RoomFault]:
    """The room's open faults, oldest first."""
    return list(db.session.scalars(select(RoomFault).where(RoomFault.room_id == room_id,
                                                          RoomFault.fixed_at.is_(None))
                                   .order_by(RoomFault.reported_at, RoomFault.id)))


def open_faults_by_room(room_ids) -> dict[int, list[RoomFault]]:
    """Open faults of several rooms at once (the board, the admin list)."""
    ids = list(room_ids)
    out: dict[int, list[RoomFault]] = {}
    if not ids:
        return out
    for fault in db.session.scalars(select(RoomFault).where(RoomFault.room_id.in_(ids), RoomFault.fixed_at.is_(None))
                                    .order_by(RoomFault.reported_at, RoomFault.id)):
        out.setdefault(fault.room_id, []).append(fault)
    return out


# ---- device checks ----------------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    camera: str
    microphone: str
    sound: str

    @property
    def ok(self) -> bool:
        return self.camera == self.microphone == self.sound == "ok"

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(part for part in ("camera", "microphone", "sound") if getattr(self, part) == "fail")


def clean_outcome(camera: str | None, microphone: str | None, sound: str | None) -> CheckOutcome:
    """Three results from ok / fail / untested, at least one of them tested."""
    parts = (camera, microphone, sound)
    if any(p not in DEVICE_RESULTS for p in parts) or all(p == "untested" for p in parts):
        raise BadInput("faults.devices.error.outcome")
    return CheckOutcome(camera, microphone, sound)  # type: ignore[arg-type]


# A room records at most one device-check result in this time: the last check
# is what admin shows, and a flood of saves must not overwrite it by the second.
CHECK_EVERY = timedelta(minutes=1)


class CheckTooSoon(RoomError):
    status = 429


def record_check(room_id: int, actor: Actor, outcome: CheckOutcome) -> DeviceCheck:
    """Store one device check's outcome for the room (no media: only ok / fail /
    untested); refused within CHECK_EVERY of the room's last one."""
    begin_write()
    room = db.session.get(Room, room_id)
    if room is None:
        raise RoomError("rooms.error.no_room")
    now = clock.now()
    last = db.session.scalar(select(func.max(DeviceCheck.at)).where(DeviceCheck.room_id == room.id))
    if last is not None and timedelta(0) <= now - last < CHECK_EVERY:
        raise CheckTooSoon("console.error.check_too_soon")
    check = DeviceCheck(room_id=room.id, at=now, camera=outcome.camera, microphone=outcome.microphone,
                        sound=outcome.sound, ok=outcome.ok, actor=actor.label)
    db.session.add(check)
    db.session.flush()
    record("device-check", actor.label, address=actor.address, unit_id=room.unit_id, room_id=room.id,
           tablet_id=actor.tablet_id, at=now, check=check.id, camera=outcome.camera,
           microphone=outcome.microphone, sound=outcome.sound)
    db.session.commit()
    return check


@dataclass
class CheckHistory:
    """What admin shows per room: the last check, and the last good one."""

    room: Room
    last: DeviceCheck | None
    last_good: DeviceCheck | None

    @property
    def failing(self) -> bool:
        return self.last is not None and not self.last.ok


def check_history(rooms: list[Room]) -> list[CheckHistory]:
    """The last check and the last good check of each room (two grouped queries)."""
    ids = [r.id for r in rooms]
    if not ids:
        return []

    def latest(*conditions) -> dict[int, DeviceCheck]:
        newest = (select(DeviceCheck.room_id, func.max(DeviceCheck.id).label("id"))
                  .where(DeviceCheck.room_id.in_(ids), *conditions).group_by(DeviceCheck.room_id).subquery())
        rows = db.session.scalars(select(DeviceCheck).join(newest, DeviceCheck.id == newest.c.id))
        return {c.room_id: c for c in rows}

    last, good = latest(), latest(DeviceCheck.ok.is_(True))
    return [CheckHistory(room, last.get(room.id), good.get(room.id)) for room in rooms]


# ---- what templates show -----------------------------------------------------------


def since_label(at: datetime, now: datetime | None = None) -> str:
    """"tis 09.12" within the last six days, else "3 nov. 09.12" (the language's time pattern)."""
    from flask_babel import format_datetime

    from ..i18n import time_pattern

    now = now or clock.now()
    day = "EEE" if now - at < timedelta(days=6) else "d MMM"
    return format_datetime(at, f"{day} {time_pattern()}")


def init_app(app: Flask) -> None:
    """Template helpers (read only): when a fault was reported, the kinds, the text's length."""
    app.context_processor(lambda: {"fault_since": since_label,
                                   "fault_kinds": FAULT_KINDS, "fault_text_max": TEXT_MAX})
