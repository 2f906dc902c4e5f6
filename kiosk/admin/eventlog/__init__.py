"""The event log: its filter (room, kind, dates) and query, shared by the
page (page.py) and the CSV download (export.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import abort, request
from sqlalchemy import select

from ... import clock
from ...errors import error_response
from ...extensions import db
from ...models import AdminUser, Event, Room
from ...validate import FieldError
from ..blueprint import visible_rooms
from ..forms import EventFilterForm


@dataclass(frozen=True)
class EventFilter:
    """The event log's filter, checked: the page and the CSV share it."""

    rooms: list[Room]
    room_id: int | None
    kind: str
    start: date
    end: date

    def args(self) -> dict[str, str]:
        return {"room": str(self.room_id or ""), "kind": self.kind, "from": self.start.isoformat(),
                "to": self.end.isoformat()}


def event_filter(admin: AdminUser, form_class=EventFilterForm) -> tuple[EventFilter, EventFilterForm]:
    """Room, kind and dates from the query string (the last 30 days unless it
    says otherwise), and the form read (400 with the first refusal; 403 for a
    room of another unit, 400 for one that does not exist)."""
    rooms = visible_rooms(admin)
    form = form_class(formdata=request.args)
    if form.validate():
        today = clock.today()
        start = form.start.data or today - timedelta(days=30)
        end = form.end.data or today
        if start > end:
            form.refuse(FieldError("to", "admin.field.range"))
    if form.messages():
        abort(form.refused())
    room_id = form.room.data
    if room_id is not None and room_id not in {r.id for r in rooms}:
        abort(error_response(400 if db.session.get(Room, room_id) is None else 403, "admin.error.other_unit"))
    return EventFilter(rooms, room_id, form.kind.data, start, end), form


def event_query(admin: AdminUser, f: EventFilter):
    since, until = clock.day_bounds(f.start, f.end)
    query = select(Event).where(Event.at >= since, Event.at < until)
    if not admin.is_global:
        query = query.where(Event.unit_id == admin.unit_id)
    if f.room_id is not None:
        query = query.where(Event.room_id == f.room_id)
    if f.kind:
        query = query.where(Event.kind == f.kind)
    return query


