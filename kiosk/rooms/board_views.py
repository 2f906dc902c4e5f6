"""The reception board: every video room of the unit, live, with its day; one
room's day from reception (book, move, cancel, check in).

A board tablet sees its own unit; an administrator the unit named by ?unit=
(rooms/access.py decides). The board polls like the door: 204 while nothing
changed, else the new board.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from flask import abort, current_app, g, redirect, request, url_for
from sqlalchemy import select

from .. import clock, hours, validate
from ..bookings import day as bookings_day
from ..bookings import views_support as booking_views
from ..errors import error_response
from ..extensions import db
from ..forms import CheckInForm
from ..models import Event, Room, RoomSession, Tablet, Unit
from ..render import is_htmx, render, unchanged
from . import access, booking_forms, console, faults, offline, pairing, service
from .panel import check_in_with_code, console_context, minutes_field
from .service import Actor, BadInput, RoomError

BOARD = "rooms/board.html"
BOARD_ROOM = "rooms/board_room.html"


def _natural(room: Room):
    """Videorum 2 before Videorum 10."""
    # The split puts the runs of ASCII digits at the odd places.
    parts = re.split(r"([0-9]+)", room.name)
    return [int(part) if i % 2 else part.casefold() for i, part in enumerate(parts)], room.id


def _board_rows(unit: Unit):
    """Every active room of the unit with its state, its door tablet's health and
    whether a console runs its visit (what the board's version covers). The same
    statements for 4 rooms as for 24: each kind of row is read for the whole unit."""
    now = clock.now()
    rooms = sorted(db.session.scalars(select(Room).where(Room.unit_id == unit.id, Room.active.is_(True))).all(),
                   key=_natural)
    sessions = {s.room_id: s for s in db.session.scalars(select(RoomSession).join(Room).where(
        Room.unit_id == unit.id, RoomSession.ended_at.is_(None)))}
    doors = db.session.scalars(select(Tablet).where(Tablet.unit_id == unit.id, Tablet.kind == "door",
                                                    Tablet.revoked_at.is_(None))).all()
    # A door that answered within the last three poll intervals is never flagged:
    # an action at the door (its events) counts as an answer as much as a poll does.
    answered = set(db.session.scalars(select(Event.tablet_id).where(
        Event.tablet_id.in_([t.id for t in doors] or [-1]), Event.at >= now - 3 * _poll_interval())).all())
    door_health: dict[int, bool] = {}
    for t in doors:
        alive = pairing.heard_recently(t.last_seen_at, now) or t.id in answered
        door_health[t.room_id] = door_health.get(t.room_id, False) or alive
    # Only a room in use has a console to show.
    consoles = console.console_rooms(sessions.keys())
    bound = console.bound_sessions(s.id for s in sessions.values())
    rows = []
    for room in rooms:
        session = sessions.get(room.id)
        rows.append({"rs": service.state_of(room, session, now), "has_door": room.id in door_health,
                     "door_alive": door_health.get(room.id, False),
                     "console": session is not None and (room.id in consoles or session.id in bound)})
    return rows


def _add_days(rows, unit: Unit) -> None:
    """What a render shows beside each room's state: its readiness count, its day
    and the day's timeline (every room's at once: the same statements for any number)."""
    states = [r["rs"] for r in rows]
    ticked = service.ticks_of(rs.session.id for rs in states if rs.session is not None)
    days = (bookings_day.days_of({rs.room.id: rs.session for rs in states}, states[0].now, unit.opening_hours)
            if states else {})
    for row, rs in zip(rows, states):
        done, total = console.readiness_progress(rs.session, ticked.get(rs.session.id) if rs.session else set())
        day = days[rs.room.id]
        row.update(readiness_done=done, readiness_total=total, day=day, timeline=booking_views.timeline(day, rs.session))


def _poll_interval() -> timedelta:
    return timedelta(seconds=int(current_app.config["POLL_SECONDS"]))


def _board_night(unit: Unit, rows) -> hours.Night | None:
    """The board sleeps outside the unit's hours while no room is in use."""
    return hours.night(unit.opening_hours, any(r["rs"].session is not None for r in rows), clock.now())


def _board_version(rows, unit: Unit) -> str:
    parts = [f"{r['rs'].room.id}:{r['rs'].version}:{int(r['door_alive'])}:{int(r['has_door'])}:{int(r['console'])}"
             for r in rows]
    parts.append(current_app.extensions["kiosk_content"].version)
    # The night screen's part.
    parts.append(hours.version_suffix(unit.opening_hours, any(r["rs"].session is not None for r in rows),
                                      clock.now()))
    # The timelines' now-line and the next free slots move with the clock: every 5 minutes.
    now = clock.now()
    parts.append(now.strftime("%Y%m%d%H") + str(now.minute // 5))
    parts.append(request.args.get("free", ""))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _release_due(unit: Unit) -> None:
    """Bring the unit's rooms up to date: expired sessions, and bookings whose day
    changed by time (an unclaimed booking to release, one about to start)."""
    for room_id in service.rooms_due(clock.now(), Room.unit_id == unit.id):
        service.release_if_expired(room_id)


def _free_filter() -> int | None:
    """The board's filter "free now for at least N minutes" (?free=30), or None."""
    raw = request.args.get("free", "")[:4]
    if not raw:
        return None
    minutes = validate.number(raw, 4)
    if minutes not in bookings_day.SLOT_MINUTES:
        abort(error_response(400, "bookings.error.bad_length"))
    return minutes


def _board_size(count: int) -> str:
    """How dense the board's cards are: every room fits one screen."""
    return "s" if count <= 4 else "m" if count <= 12 else "l" if count <= 24 else "xl"


def board():
    """The reception board: every video room of the unit, live, with its day."""
    unit = access.board_unit()
    free = _free_filter()
    _release_due(unit)
    return _board_page(unit, free, _board_rows(unit))


def board_poll():
    unit = access.board_unit()
    free = _free_filter()
    tablet = g.get("board_tablet")
    now = clock.now()
    if tablet is not None and pairing.seen_long_ago(tablet.last_seen_at, now):
        pairing.touch(tablet)
        g.renew_device_cookie = True
    rows = _board_rows(unit)
    due = any(service.is_expired(r["rs"].session, r["rs"].now) or bookings_day.is_due(r["rs"].room.bookings_due_at, now)
              for r in rows)
    if not due and request.args.get("v") == _board_version(rows, unit):
        return unchanged(fragment="board", no_store=True)
    if due:
        _release_due(unit)
        rows = _board_rows(unit)
    # Rows read for the version are rendered as they are unless a write came between.
    return _board_page(unit, free, rows)


def _board_page(unit: Unit, free: int | None, rows):
    """The board over ``rows`` (``_board_rows``), with each room's day and open faults."""
    _add_days(rows, unit)
    version = _board_version(rows, unit)
    shown = [r for r in rows if free is None or r["day"].free_now_for(free)]
    found = faults.open_faults_by_room(r["rs"].room.id for r in shown)
    for row in shown:
        row["open_faults"] = found.get(row["rs"].room.id, [])
    poll_url = url_for("rooms.board_poll", v=version, unit=g.get("board_admin_unit"), free=free)
    night = {"night": _board_night(unit, rows), "night_name": unit.name,
             "manifest_url": url_for("rooms.board_manifest") if g.get("board_tablet") else None}
    response = render(BOARD, block="panel", fragment="board", no_store=True, unit=unit, rows=shown, all_rows=rows,
                      free=free, size=_board_size(len(rows)), slot_minutes=bookings_day.SLOT_MINUTES,
                      poll_url=poll_url, board_unit=g.get("board_admin_unit"), **night)
    # A board tablet's page may be kept for a start without the server (an admin's view never).
    return offline.keep_offline(response) if g.get("board_tablet") and not is_htmx() else response


# ---- one room's day from reception -------------------------------------------------


def _room_page(room: Room, status: int = 200, error: str | None = None, slots=None, form=None,
               notice: str | None = None):
    session = service.open_session(room.id)
    state = service.state_of(room, session)
    day = bookings_day.day_of(room.id, state.now, session, session_known=True,
                              opening_hours=room.unit.opening_hours)
    board_unit = g.get("board_admin_unit")
    context = {
        "surface": "board-room", "room": room, "rs": state, "day": day,
        "timeline": booking_views.timeline(day, session), "plan": booking_forms.plan_of(room, state.now),
        "move_rooms": booking_forms.move_rooms(room),
        "terms": bookings_day.check_in_terms(room.id, state.now) if session is None else None,
        "board_unit": board_unit, "show_clinician": True,
        # The board's own actions (rooms/_actions.html) keep an administrator's ?unit=.
        "action_args": {"unit": board_unit} if board_unit else {},
        "meeting_minutes": service.MEETING_MINUTES, "slot_minutes": bookings_day.SLOT_MINUTES,
        "default_minutes": int(current_app.config["DEFAULT_MEETING_MINUTES"]),
        "error": error, "error_slots": slots or {}, "form": form or {}, "notice": notice,
        "today": clock.local_date(state.now).isoformat(),
        **_check_in_context(room, session, state.now),
    }
    return render(BOARD_ROOM, block="panel", status=status, fragment="board-room", no_store=True, **context)


def _check_in_context(room: Room, session: RoomSession | None, now) -> dict:
    """What the room's page says of an open check-in: whether the board made it
    (then it may undo it for CHECK_IN_UNDO_SECONDS, and cancel it while the
    room is prepared) and, in a room without a door tablet, the console code the
    door would have shown (nobody else shows it there)."""
    if session is None:
        return {"board_check_in": False, "undo_until": None, "has_door": True}
    made_here = access.is_board_actor(_check_in_actor(session.id, room.id) or "")
    undo_until = session.started_at + _undo_window()
    has_door = _has_door(room.id)
    context = {"board_check_in": made_here, "has_door": has_door,
               "undo_until": undo_until if made_here and session.state == service.PREPARING and now < undo_until
               else None}
    if not has_door:
        context.update(console_context(room, session, set(service.marks(session))))
    return context


def _has_door(room_id: int) -> bool:
    """The room has a door tablet (paired, not revoked): the door shows the console code."""
    return db.session.scalar(select(Tablet.id).where(Tablet.room_id == room_id, Tablet.kind == "door",
                                                     Tablet.revoked_at.is_(None)).limit(1)) is not None


def _check_in_actor(session_id: int, room_id: int) -> str | None:
    """Who checked the room's session in, as the event log names them (None: no such check-in here)."""
    return db.session.scalar(select(Event.actor).where(Event.session_id == session_id, Event.room_id == room_id,
                                                       Event.kind == "check-in").order_by(Event.id).limit(1))


def _undo_window() -> timedelta:
    return timedelta(seconds=float(current_app.config["CHECK_IN_UNDO_SECONDS"]))


def board_room(slug: str):
    """One room's day on the board: its bookings, book, move, cancel, check in."""
    _unit, room = access.board_room(slug)
    service.release_if_expired(room.id)
    return _room_page(room)


def _after_change(room: Room):
    url = url_for("rooms.board_room", slug=room.slug, unit=g.get("board_admin_unit"))
    return booking_forms.after_change(room, url, _room_page)


def _booking_action(slug: str, change):
    """Reception books (a holder's name and title are optional; never a patient), moves, cancels."""
    _unit, room = access.board_room(slug)
    return booking_forms.act(room, access.board_actor(), change,
                             lambda **refused: _room_page(access.room_or_404(slug), **refused), _after_change)


def book(slug: str):
    return _booking_action(slug, booking_forms.create)


def move_booking(slug: str, booking_id: int):
    return _booking_action(slug, booking_forms.move(booking_id))


def cancel_booking(slug: str, booking_id: int):
    return _booking_action(slug, booking_forms.cancel(booking_id))


def check_in(slug: str):
    """Reception checks a clinician into a free room (claiming the booking in its
    window); the door follows within a poll and shows the console code."""
    def check_in_here(room: Room, actor: Actor):
        form = CheckInForm()
        try:
            minutes = minutes_field(form)
        except RoomError as exc:
            raise BadInput(exc.key) from None
        check_in_with_code(room.id, actor, form, minutes)
    return _booking_action(slug, check_in_here)


# ---- the board's own check-in: undo, cancel, the console code of a room without a door ----


class NotOurs(RoomError):
    """A check-in made at the door or a console: the board leaves it to them."""

    status = 403


def _check_in_step(slug: str, step, notice: str | None = None):
    """One step on the check-in this page shows: refused beside the check-in
    (announced, with the focus; nothing written), else the page again."""
    _unit, room = access.board_room(slug)
    actor = access.board_actor()
    try:
        step(room, actor)
    except RoomError as exc:
        db.session.rollback()
        g.refused_booking = "check-in"
        return _room_page(access.room_or_404(slug), status=exc.status, error=exc.key)
    if not is_htmx():
        return redirect(url_for("rooms.board_room", slug=room.slug, unit=g.get("board_admin_unit")), code=303)
    db.session.expire_all()
    return _room_page(db.session.get(Room, room.id), notice=notice)


def _shown_session() -> int:
    """The check-in the form was shown for (its hidden field), or a 400."""
    session_id = validate.number(request.form.get("session", "").strip(), 9)
    if session_id is None:
        raise BadInput("bookings.checkin.error.bad_session")
    return session_id


def _take_back(within: bool):
    def step(room: Room, actor: Actor) -> None:
        session_id = _shown_session()
        # Who checked in never changes, so it is read before the room's lock; the
        # state machine checks under the lock that this check-in is still the room's.
        made_by = _check_in_actor(session_id, room.id)
        if made_by is None:
            raise RoomError("bookings.checkin.error.gone")
        if not access.is_board_actor(made_by):
            raise NotOurs("bookings.checkin.error.not_ours")
        service.cancel(room.id, actor, session_id=session_id, within=_undo_window() if within else None)
    return step


def undo_check_in(slug: str):
    """Undo the board's check-in within CHECK_IN_UNDO_SECONDS: one tap, nothing asked."""
    return _check_in_step(slug, _take_back(within=True), notice="bookings.checkin.undone")


def cancel_check_in(slug: str):
    """Cancel the board's check-in (asked first) while the room is still prepared."""
    return _check_in_step(slug, _take_back(within=False), notice="bookings.checkin.cancelled")


def console_code(slug: str):
    """A new console code for a room without a door tablet, whose visit nobody
    else can hand to the computer in the room."""
    def step(room: Room, actor: Actor) -> None:
        if _has_door(room.id):
            raise RoomError("bookings.checkin.error.has_door")
        session = service.open_session(room.id)
        if session is not None and console.attached(room.id, session):
            raise RoomError("bookings.checkin.error.console_attached", session.state)
        console.new_code(room.id, actor)
    return _check_in_step(slug, step)
