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

from flask import Flask, g, redirect, request, url_for

from ..bookings import day as bookings_day
from ..extensions import db
from ..models import Room
from ..checklists.ticks import use_ticks
from ..guides.noshow import NoShowRecord, use_no_show
from ..render import mark
from . import access, pairing, service
from .service import Actor


UNREAD = object()  # a store not given the session reads it

# The no-show guide's outcomes after which the visit is over (the patient did not join,
# or a new time was booked); "held" means the meeting goes on.
ENDS_THE_MEETING = ("no-show", "rebooked")
# The guide pages of a door and a console: their no-show panel is the room's too.
ROOM_GUIDE_PAGES = ("rooms.console_guide", "rooms.door_guide")


class RoomTicks:
    """Checklist ticks of the room's open session."""

    scope = "room"

    def __init__(self, room_id: int, actor: Actor, marked: dict[tuple[str, str], str] | None = None):
        # ``marked``: the open session's marks as a render already read them (``service.marks``).
        self.room_id, self.actor, self.marked = room_id, actor, marked

    def marks(self, checklist_key: str) -> dict[str, str]:
        marked = self.marked if self.marked is not None else service.marks(service.open_session(self.room_id))
        return {item: state for (c, item), state in marked.items() if c == checklist_key}

    def set(self, checklist_key: str, item_key: str, state: str | None) -> None:
        service.tick(self.room_id, self.actor, checklist_key, item_key, on=state is not None,
                     state=state or "done")

    def reset(self, checklist_key: str) -> None:
        service.reset_ticks(self.room_id, self.actor, checklist_key)

    def tick_url(self, checklist_key: str, item_key: str) -> str:
        """The room's one tick route, of the surface that asks (door or console)."""
        return url_for(self._endpoint("tick"), slug=self._slug(), key=checklist_key, item=item_key)

    def reset_url(self, checklist_key: str) -> str:
        return url_for(self._endpoint("checklist_reset"), slug=self._slug(), key=checklist_key)

    def _endpoint(self, name: str) -> str:
        return f"rooms.console_{name}" if access.is_console_actor(self.actor) else f"rooms.{name}"

    def _slug(self) -> str:
        return db.session.get(Room, self.room_id).slug


class RoomNoShow:
    """The no-show procedure kept on the room's open session.

    An outcome closes the loop: "did not join" or "booked
    again" ends a running meeting, so wrap-up starts with that answer chosen;
    and whoever recorded it from the door or the console is sent back to its
    panel (``home``; HX-Redirect for htmx, the redirect's target otherwise)."""

    scope = "room"

    def __init__(self, room_id: int, actor: Actor, home: str | None = None, session=UNREAD):
        # ``session``: the room's open session as a render already read it.
        self.room_id, self.actor, self.home, self.session = room_id, actor, home, session

    def load(self) -> NoShowRecord:
        session = service.open_session(self.room_id) if self.session is UNREAD else self.session
        if session is None:
            return NoShowRecord()
        booked_at = session.no_show_booked_at
        if booked_at is None:
            # The visit uses its booking: the booked start is known, not asked for.
            booking = bookings_day.claimed_booking(session.id)
            booked_at = booking.starts_at if booking is not None else None
        return NoShowRecord(booked_at, session.no_show_outcome, session.no_show_result)

    def start(self, booked_at: datetime) -> None:
        service.record_no_show(self.room_id, self.actor, booked_at=booked_at)

    def record_choice(self, choice: str, outcome: str | None = None) -> None:
        service.record_no_show(self.room_id, self.actor, choice=choice, result=outcome)

    def record_outcome(self, outcome: str) -> None:
        session = service.record_no_show(self.room_id, self.actor, result=outcome)
        if outcome in ENDS_THE_MEETING and session.state == service.MEETING:
            service.end_meeting(self.room_id, self.actor)
        if self.home:
            g.room_panel_after = self.home

    def reset(self) -> None:
        service.record_no_show(self.room_id, self.actor, reset=True)


def room_in_use() -> tuple[int, Actor] | None:
    """The room of the door tablet (or the room console) making this request, if
    the room is taken: the console's checklists and no-show guide belong to the
    room session, like the door's. A console bound to a visit that has ended
    acts on nothing."""
    found = access.door_in_use()
    if found is None:
        console = access.acting_console(service.open_session)
        found = None if console is None else (console[0], console[1].actor)
    if found is None or service.open_session(found[0]) is None:
        return None
    return found


def init_app(app: Flask) -> None:
    @app.before_request
    def _room_stores():
        if (request.blueprint not in ("checklists", "guides") and request.endpoint not in ROOM_GUIDE_PAGES) or not (
                pairing.device_token() or access.console_binding()):
            return
        found = room_in_use()
        if found is not None:
            use_ticks(RoomTicks(*found))
            use_no_show(RoomNoShow(*found, home=_panel_url(*found)))

    @app.after_request
    def _back_to_the_panel(response):
        """After a no-show outcome recorded from a door or a console, its panel."""
        home = g.pop("room_panel_after", None)
        if home is None or response.status_code >= 400:
            return response
        if request.headers.get("HX-Request"):
            return mark(response, htmx_redirect=home)
        if response.status_code in (302, 303):
            return redirect(home, 303)
        return response


def _panel_url(room_id: int, actor: Actor) -> str:
    """The door panel or the console page of the room, for the one who acts."""
    slug = db.session.get(Room, room_id).slug
    if access.is_console_actor(actor):
        return url_for("rooms.console_page", slug=slug)
    return url_for("rooms.door_panel", slug=slug)
