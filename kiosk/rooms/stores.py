"""Checklists and the no-show timer inside a room session.

At a desk, checklist ticks and the no-show timer live in the browser's session
(kiosk/checklists/ticks.py, kiosk/guides/noshow.py). Opened on a room's door
tablet while the room is taken, they belong to the room session instead: the
ticks and the procedure's answers are kept for the unit's statistics (without
patient data) and survive a reload or another tablet. Both stores go through
the room state machine, so every change is locked, versioned and logged.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, request

from ..checklists.ticks import use_ticks
from ..guides.noshow import NoShowRecord, use_no_show
from . import pairing, service
from .service import Actor


class RoomTicks:
    """Checklist ticks of the room's open session."""

    scope = "room"

    def __init__(self, room_id: int, actor: Actor):
        self.room_id, self.actor = room_id, actor

    def marks(self, checklist_key: str) -> dict[str, str]:
        session = service.open_session(self.room_id)
        return {item: state for (c, item), state in service.marks(session).items() if c == checklist_key}

    def set(self, checklist_key: str, item_key: str, state: str | None) -> None:
        service.tick(self.room_id, self.actor, checklist_key, item_key, on=state is not None,
                     state=state or "done")

    def reset(self, checklist_key: str) -> None:
        service.reset_ticks(self.room_id, self.actor, checklist_key)


class RoomNoShow:
    """The no-show procedure kept on the room's open session."""

    scope = "room"

    def __init__(self, room_id: int, actor: Actor):
        self.room_id, self.actor = room_id, actor

    def load(self) -> NoShowRecord:
        session = service.open_session(self.room_id)
        if session is None:
            return NoShowRecord()
        return NoShowRecord(session.no_show_booked_at, session.no_show_outcome, session.no_show_result)

    def start(self, booked_at: datetime) -> None:
        service.record_no_show(self.room_id, self.actor, booked_at=booked_at)

    def record_choice(self, choice: str, outcome: str | None = None) -> None:
        service.record_no_show(self.room_id, self.actor, choice=choice, result=outcome)

    def record_outcome(self, outcome: str) -> None:
        service.record_no_show(self.room_id, self.actor, result=outcome)

    def reset(self) -> None:
        service.record_no_show(self.room_id, self.actor, reset=True)


def room_in_use() -> tuple[int, Actor] | None:
    """The room of the door tablet making this request, if the room is taken."""
    tablet = pairing.current_tablet()
    if tablet is None or tablet.kind != "door" or tablet.revoked_at is not None or tablet.room_id is None:
        return None
    if service.open_session(tablet.room_id) is None:
        return None
    return tablet.room_id, Actor(f"tablet:{tablet.id}", tablet_id=tablet.id, address=(request.remote_addr or "")[:64])


def init_app(app: Flask) -> None:
    @app.before_request
    def _room_stores():
        if request.blueprint not in ("checklists", "guides") or not request.cookies.get(pairing.COOKIE):
            return
        found = room_in_use()
        if found is not None:
            use_ticks(RoomTicks(*found))
            use_no_show(RoomNoShow(*found))
