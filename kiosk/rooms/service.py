# Over 400 lines: every transition of the state machine, under the same lock, in one place.
"""The room state machine: the only place a room's state changes.

    free ──check_in──► preparing ──start_meeting──► meeting ──end_meeting──► wrapup ──finish──► free
                          │  (checklist complete,        │ extend              │
                          │   or skipped with a reason)  │                     │
                          └──cancel──► free              └── release (automatic after MAX_SESSION_HOURS,
                                                             or an admin's force_end) ──► free

Every entry point (door tablet, console, board, admin, CLI, the automatic
release) calls these functions. Each runs in the room's write unit
(kiosk/room_write.py: the room locked, ``room.version`` bumped, the event
committed with the change) entered through :func:`transition`, which first
releases a session past the maximum length. A database rule (one open
session per room) backs the lock: two clinicians tapping at once cannot both
win.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from .. import clock, names
from ..bookings import day as bookings_day
from ..bookings import service as bookings
from ..bookings.day import open_session  # the room's open session: one query for rooms and bookings
from ..content.schema import VISIT_OUTCOMES
from ..events import Actor
from ..extensions import db
from ..models import ChecklistTick, Room, RoomSession
from ..room_write import RoomWrite, room_write

FREE, PREPARING, MEETING, WRAPUP = "free", "preparing", "meeting", "wrapup"
STATES = (FREE, PREPARING, MEETING, WRAPUP)
SKIP_REASONS = ("checked-at-desk", "urgent", "checked-earlier-today")
OUTCOMES = VISIT_OUTCOMES
MEETING_MINUTES = (15, 30, 45, 60)
TICK_STATES = ("done", "na")  # ticked, or "does not apply"
NAME_MAX = 80


class RoomError(Exception):
    """A transition that cannot be made; ``key`` names the UI message."""

    status = 409

    def __init__(self, key: str, state: str = ""):
        super().__init__(key)
        self.key = key
        self.state = state


class RoomTaken(RoomError):
    """Someone else checked in first."""


class BadInput(RoomError):
    status = 400


@dataclass(frozen=True)
class RoomState:
    """What a door or board shows about a room at one moment."""

    room: Room
    session: RoomSession | None
    state: str
    overrun: bool
    now: datetime

    @property
    def version(self) -> str:
        """Changes whenever what is shown changes (overrun starts by time alone)."""
        return panel_version(self.room.version, self.overrun)

    @property
    def elapsed_since(self) -> datetime | None:
        s = self.session
        if s is None:
            return None
        # Each state counts its own time: wrap-up from the meeting's end, not from check-in.
        if self.state == MEETING:
            return s.meeting_started_at
        if self.state == WRAPUP and s.meeting_ended_at is not None:
            return s.meeting_ended_at
        return s.started_at


# ---- reading ----------------------------------------------------------------


def is_overrun(state: str | None, expected_end: datetime | None, now: datetime) -> bool:
    """A meeting past its expected end (the door keeps saying do not disturb)."""
    return state == MEETING and expected_end is not None and now > expected_end


def panel_version(room_version: int, overrun: bool, content_version: str | None = None) -> str:
    """What a door poll compares: the room's version, the overrun flag and,
    for the door, the content version (one definition for view and fast path)."""
    version = f"{room_version}.{int(overrun)}"
    return f"{version}.{content_version}" if content_version is not None else version


def state_of(room: Room, session: RoomSession | None, now: datetime | None = None) -> RoomState:
    now = now or clock.now()
    state = session.state if session else FREE
    overrun = is_overrun(state, session.expected_end if session else None, now)
    return RoomState(room=room, session=session, state=state, overrun=overrun, now=now)


def max_session() -> timedelta:
    return timedelta(hours=float(current_app.config["MAX_SESSION_HOURS"]))


def is_expired(session: RoomSession | None, now: datetime) -> bool:
    """An open session past the maximum length is released automatically."""
    return session is not None and now >= session.started_at + max_session()


def readiness_keys() -> set[tuple[str, str]]:
    """The (checklist, item) pairs of the door's readiness checklist."""
    content = current_app.extensions["kiosk_content"].get(current_app.config["DEFAULT_LANGUAGE"])
    return {(c.key, i.key) for c, i in content.readiness_items()}


def marks(session: RoomSession | None) -> dict[tuple[str, str], str]:
    """Every marked item of the session: (checklist, item) → "done" or "na"."""
    if session is None:
        return {}
    rows = db.session.execute(
        select(ChecklistTick.checklist_key, ChecklistTick.item_key, ChecklistTick.state)
        .where(ChecklistTick.session_id == session.id)
    )
    return {(c, i): state for c, i, state in rows}


def outcome_so_far(session: RoomSession | None) -> str:
    """How the visit went, as far as the no-show guide recorded it ("held" when
    it recorded nothing): wrap-up's likely answer, and what its ending asks."""
    if session is None:
        return "held"
    result = {"rebooked": "technical", "no-show": "no-show", "held": "held"}.get(session.no_show_result or "")
    choice = {"technical": "technical", "no-answer": "no-show"}.get(session.no_show_outcome or "")
    return result or choice or "held"


def ticks(session: RoomSession | None) -> set[tuple[str, str]]:
    """The items that count as done: ticked, or marked "does not apply"."""
    return set(marks(session))


def ticks_of(session_ids) -> dict[int, set[tuple[str, str]]]:
    """``ticks`` of several sessions in one statement (the board's readiness counts)."""
    found: dict[int, set[tuple[str, str]]] = {sid: set() for sid in session_ids}
    if found:
        for sid, c, i in db.session.execute(select(ChecklistTick.session_id, ChecklistTick.checklist_key,
                                                   ChecklistTick.item_key).where(ChecklistTick.session_id.in_(list(found)))):
            found[sid].add((c, i))
    return found


# ---- the transitions ------------------------------------------------------------


def _release_expired(w: RoomWrite) -> None:
    """A session past the maximum length is released before anything else happens."""
    if is_expired(w.session, w.now):
        _release(w, w.session, Actor.system(), "auto-released")
        w.session = None
        db.session.flush()


@contextmanager
def transition(room_id: int) -> Iterator[RoomWrite]:
    """The room's write unit as every transition enters it: the room locked, an
    expired session released, bookings up to date (``w.session`` is the open
    session after that)."""
    with room_write(room_id, missing=RoomError("rooms.error.no_room"), settle=_release_expired) as w:
        yield w


def require(session: RoomSession | None, *states: str) -> None:
    """Refuse unless the room is in one of ``states`` (taken, or not allowed now)."""
    state = session.state if session else FREE
    if state not in states:
        key = "rooms.error.taken" if FREE in states else "rooms.error.not_allowed"
        raise RoomError(key, state)


def _clean_name(value: str | None) -> str | None:
    """The clinician's name or title by the one name rule (kiosk/names.py); None when empty."""
    try:
        return names.clean(value, NAME_MAX, required=False) or None
    except names.NameProblem as exc:
        if exc.problem == names.PERSONAL_NUMBER:
            raise BadInput("rooms.error.personal_number") from None
        raise BadInput("rooms.error.bad_name") from None


def check_in(room_id: int, actor: Actor, minutes: int | None = None,
             name: str | None = None, title: str | None = None) -> RoomSession:
    """Free → Preparing: a clinician takes the room and starts the checklist."""
    minutes = minutes or int(current_app.config["DEFAULT_MEETING_MINUTES"])
    if minutes not in MEETING_MINUTES:
        raise BadInput("rooms.error.bad_minutes")
    name, title = _clean_name(name), _clean_name(title)
    try:
        with transition(room_id) as w:
            if not w.room.active:
                raise RoomError("rooms.error.inactive")
            if w.session is not None:
                raise RoomTaken("rooms.error.taken", w.session.state)
            session = RoomSession(room_id=w.room.id, state=PREPARING, started_at=w.now, planned_minutes=minutes,
                                  clinician_name=name, clinician_title=title)
            db.session.add(session)
            db.session.flush()
            # Within a booking's window this claims it (expected end = the booking's end);
            # otherwise the check-in is ad hoc, allowed up to the next booking.
            terms = bookings.claim_on_check_in(w, session, actor)
            w.record("check-in", actor, session=session, minutes=minutes,
                     **({"booking": terms.booking.id} if terms.booking else {}))
        return session
    except IntegrityError:
        # The lock makes this rare; the unique index makes it impossible to win twice.
        raise RoomTaken("rooms.error.taken", PREPARING) from None


def checklist_keys() -> set[tuple[str, str]]:
    """Every (checklist, item) pair of the content (keys are the same in every language)."""
    content = current_app.extensions["kiosk_content"].get(current_app.config["DEFAULT_LANGUAGE"])
    return {(c.key, i.key) for c in content.checklists.values() for i in c.items}


def may_not_apply_keys() -> set[tuple[str, str]]:
    """The (checklist, item) pairs that may be marked "does not apply"."""
    content = current_app.extensions["kiosk_content"].get(current_app.config["DEFAULT_LANGUAGE"])
    return {(c.key, i.key) for c in content.checklists.values() for i in c.items if i.may_not_apply}


def tick(room_id: int, actor: Actor, checklist_key: str, item_key: str, on: bool = True,
         state: str = "done") -> RoomSession:
    """Tick (or untick) a checklist item inside the room's session; ``state="na"``
    marks it "does not apply" (only items whose content allows it). While the
    room is being prepared, the last readiness item starts the meeting."""
    if (checklist_key, item_key) not in checklist_keys():
        raise BadInput("rooms.error.bad_item")
    if state not in TICK_STATES or (state == "na" and (checklist_key, item_key) not in may_not_apply_keys()):
        raise BadInput("rooms.error.bad_item")
    with transition(room_id) as w:
        session = w.session
        require(session, PREPARING, MEETING, WRAPUP)
        existing = db.session.scalar(select(ChecklistTick).where(
            ChecklistTick.session_id == session.id, ChecklistTick.checklist_key == checklist_key,
            ChecklistTick.item_key == item_key))
        if on and existing is None:
            db.session.add(ChecklistTick(session_id=session.id, checklist_key=checklist_key,
                                         item_key=item_key, state=state, ticked_at=w.now))
        elif on and existing.state != state:
            existing.state, existing.ticked_at = state, w.now
        elif not on and existing is not None:
            db.session.delete(existing)
        db.session.flush()
        if on and session.state == PREPARING and readiness_keys() <= ticks(session):
            _start(w, actor, "complete", None)
    return session


def reset_ticks(room_id: int, actor: Actor, checklist_key: str) -> None:
    """Untick every item of one checklist in the room's session."""
    with transition(room_id) as w:
        require(w.session, PREPARING, MEETING, WRAPUP)
        for row in db.session.scalars(select(ChecklistTick).where(
                ChecklistTick.session_id == w.session.id, ChecklistTick.checklist_key == checklist_key)):
            db.session.delete(row)


def start_meeting(room_id: int, actor: Actor, skip_reason: str | None = None) -> RoomSession:
    """Preparing → In meeting: the checklist is complete, or skipped with a reason."""
    with transition(room_id) as w:
        require(w.session, PREPARING)
        if skip_reason is None:
            if not readiness_keys() <= ticks(w.session):
                raise RoomError("rooms.error.checklist_incomplete", PREPARING)
            result = "complete"
        elif skip_reason in SKIP_REASONS:
            result = "skipped"
        else:
            raise BadInput("rooms.error.bad_reason")
        _start(w, actor, result, skip_reason)
    return w.session


def _start(w: RoomWrite, actor: Actor, result: str, reason: str | None) -> None:
    session = w.session
    session.state = MEETING
    session.meeting_started_at = w.now
    session.expected_end = bookings_day.expected_end_at_start(session, w.now)
    session.checklist_result = result
    session.skip_reason = reason
    w.record("start", actor, session=session, checklist=result, **({"reason": reason} if reason else {}))


def extend(room_id: int, actor: Actor, minutes: int | None = None) -> RoomSession:
    """In meeting: move the expected end later (from now if already overrun)."""
    minutes = minutes or int(current_app.config["EXTEND_MINUTES"])
    if not 1 <= minutes <= 120:
        raise BadInput("rooms.error.bad_minutes")
    with transition(room_id) as w:
        session, now = w.session, w.now
        require(session, MEETING)
        base = max(session.expected_end or now, now)
        if now > (session.expected_end or now):
            session.overran = True
        session.expected_end = base + timedelta(minutes=minutes)
        session.extended_minutes += minutes
        w.record("extend", actor, session=session, minutes=minutes)
    return session


def end_meeting(room_id: int, actor: Actor) -> RoomSession:
    """In meeting → Wrap-up (journal note, attachments, evaluation)."""
    with transition(room_id) as w:
        session, now = w.session, w.now
        require(session, MEETING)
        session.state = WRAPUP
        session.meeting_ended_at = now
        if session.expected_end:
            session.ended_early = now < session.expected_end
            session.overran = session.overran or now > session.expected_end
        w.record("end", actor, session=session, early=session.ended_early)
    return session


def cancel(room_id: int, actor: Actor, session_id: int | None = None, within: timedelta | None = None) -> None:
    """Preparing → Free: the check-in is taken back; no meeting was held.
    ``session_id``: only that check-in (a form shown before someone else
    checked in must not take theirs back); ``within``: only so soon after it
    (the board's undo), recorded as an undo."""
    with transition(room_id) as w:
        session = w.session
        if session_id is not None and (session is None or session.id != session_id):
            raise RoomError("bookings.checkin.error.gone", session.state if session else FREE)
        if session_id is not None and session.state != PREPARING:
            raise RoomError("bookings.checkin.error.started", session.state)
        require(session, PREPARING)
        if within is not None and w.now - session.started_at > within:
            raise RoomError("bookings.checkin.error.undo_late", PREPARING)
        bookings.unclaim(session, w.now, actor)
        _close(session, w.now, "cancelled")
        w.record("cancel", actor, session=session, **({"undo": True} if within is not None else {}))


def finish(room_id: int, actor: Actor, outcome: str) -> None:
    """Wrap-up → Free, recording how the visit went (no patient data)."""
    if outcome not in OUTCOMES:
        raise BadInput("rooms.error.bad_outcome")
    with transition(room_id) as w:
        session = w.session
        require(session, WRAPUP)
        session.outcome = outcome
        _close(session, w.now, "completed")
        w.record("finish", actor, session=session, outcome=outcome)


NO_SHOW_CHOICES = ("joined", "technical", "no-answer")
NO_SHOW_RESULTS = ("held", "rebooked", "no-show")


def record_no_show(room_id: int, actor: Actor, *, booked_at: datetime | None = None,
                   choice: str | None = None, result: str | None = None, reset: bool = False) -> RoomSession:
    """The no-show procedure (R26-R28) kept on the room session: the booked
    start (starting the timer afresh), the answer at the call step, and how it
    ended. No patient data."""
    if choice is not None and choice not in NO_SHOW_CHOICES:
        raise BadInput("rooms.error.bad_outcome")
    if result is not None and result not in NO_SHOW_RESULTS:
        raise BadInput("rooms.error.bad_outcome")
    with transition(room_id) as w:
        session = w.session
        require(session, PREPARING, MEETING, WRAPUP)
        if reset or booked_at is not None:
            session.no_show_booked_at = booked_at
            session.no_show_outcome = None
            session.no_show_result = None
        if choice is not None:
            session.no_show_outcome = choice
            session.no_show_result = None
        if result is not None:
            session.no_show_result = result
        detail = {k: v for k, v in (("choice", choice), ("result", result)) if v}
        w.record("no-show", actor, session=session, **detail)
    return session


def force_end(room_id: int, actor: Actor, reason: str) -> None:
    """An administrator frees a room whatever its state (the reason is logged)."""
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 200:
        raise BadInput("rooms.error.bad_reason")
    with transition(room_id) as w:
        if w.session is None:
            raise RoomError("rooms.error.already_free", FREE)
        _release(w, w.session, actor, "force-ended", reason=reason)


def release_if_expired(room_id: int) -> bool:
    """Release the room's session if it passed the maximum length, and bring its
    bookings up to date if their day changed by time (an unclaimed booking to
    release, one about to start); True if it wrote."""
    now = clock.now()
    session = open_session(room_id)
    due = db.session.scalar(select(Room.bookings_due_at).where(Room.id == room_id))
    if not _settle_due(session, due, now):
        return False
    _settle(room_id)
    return True


def settled_session(room: Room) -> RoomSession | None:
    """The room's open session once what is due is released (``release_if_expired``
    for a room already read: its row says whether its day is due, so when
    nothing is, this is one read; the session is read again only after a write)."""
    session = open_session(room.id)
    if not _settle_due(session, room.bookings_due_at, clock.now()):
        return session
    _settle(room.id)
    return open_session(room.id)


def _settle_due(session: RoomSession | None, bookings_due: datetime | None, now: datetime) -> bool:
    return is_expired(session, now) or bookings_day.is_due(bookings_due, now)


def _settle(room_id: int) -> None:
    db.session.rollback()  # end the read; the write unit re-reads under the write lock
    with transition(room_id):
        pass  # entering releases what is due; leaving recomputes the next moment


def rooms_due(now: datetime, *where) -> list[int]:
    """The rooms (narrowed by ``where`` on Room) whose open session passed the
    maximum length or whose day changed by time, in one statement, by id."""
    return list(db.session.scalars(select(Room.id).outerjoin(RoomSession, and_(
        RoomSession.room_id == Room.id, RoomSession.ended_at.is_(None))).where(
        or_(RoomSession.started_at <= now - max_session(), Room.bookings_due_at <= now), *where)
        .order_by(Room.id)).all())


def release_all_expired() -> int:
    """Release every expired session and every unclaimed booking due (the CLI
    and a periodic job call this)."""
    return sum(release_if_expired(rid) for rid in rooms_due(clock.now()))


def _close(session: RoomSession, now: datetime, reason: str) -> None:
    session.state = "closed"
    session.ended_at = now
    session.end_reason = reason


def _release(w: RoomWrite, session: RoomSession, actor: Actor, end_reason: str, **detail) -> None:
    # An automatic release counts from the moment the maximum was reached,
    # not from when somebody happened to look, so statistics stay true.
    now = w.now
    at = min(now, session.started_at + max_session()) if end_reason == "auto-released" else now
    previous = session.state
    if previous == MEETING and session.expected_end and at > session.expected_end:
        session.overran = True
    _close(session, at, end_reason)
    w.record(end_reason, actor, session=session, previous_state=previous, **detail)
