"""The room console: the computer inside the room (or a phone) runs the visit.

Two ways to become a room's console, without staff logins:

- *per visit*: after check-in the door shows a short code (and a QR code);
  claiming it at ``/console`` binds the browser to that room session only. The
  code works once, expires after ``CONSOLE_CODE_MINUTES``, claims are limited
  per address, and the binding ends with the session;
- *permanently*: a tablet of kind ``console`` paired like a door
  (``flask --app kiosk pair --console SLUG``); it follows whatever session
  the room has.

The door decides who runs the visit: a new code (or "Koppla bort konsolen",
which is a new code asked for on purpose) ends every earlier binding of the
visit, and the disconnected browser is told so on its next poll or action.
While a console runs the visit a passer-by at the door can only knock: the
console shows a quiet notice with the time until the clinician clears it.

Creating and claiming a code, disconnecting, knocking and clearing a knock
change what the door, board or console show, so each runs under the room's
lock, bumps its version and writes an event, like every transition of the
state machine.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Response, current_app, request
from sqlalchemy import func, select

from ..extensions import db
from ..errors import KeyedError
from ..models import ConsoleCode, RoomSession, Tablet
from .. import ratelimit
from . import access, pairing, service
from .service import Actor

CODE_LENGTH = 6


class ClaimError(KeyedError):
    """A console code or claim refused; ``key`` names the message."""


def format_code(code: str) -> str:
    return f"{code[:3]}-{code[3:]}"


def code_minutes() -> int:
    return int(current_app.config["CONSOLE_CODE_MINUTES"])


def has_console_tablet(room_id: int) -> bool:
    """A computer in the room is paired as its console (it needs no code)."""
    return room_id in console_rooms([room_id])


def console_rooms(room_ids) -> set[int]:
    """Which of these rooms have a computer paired as their console, in one statement."""
    ids = list(room_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(Tablet.room_id).where(
        Tablet.room_id.in_(ids), Tablet.kind == "console", Tablet.revoked_at.is_(None))).all())


def binding(session: RoomSession | None) -> ConsoleCode | None:
    """The claimed code that binds a browser to this session as its console
    now (not disconnected), if any."""
    return codes(session)[0]


def codes(session: RoomSession | None) -> tuple[ConsoleCode | None, ConsoleCode | None]:
    """The session's binding (``binding``) and its newest unused code
    (``shown_code``), from one read of its codes (a visit has a few)."""
    if session is None:
        return None, None
    rows = db.session.scalars(select(ConsoleCode).where(ConsoleCode.session_id == session.id)
                              .order_by(ConsoleCode.id.desc())).all()
    return next((c for c in rows if _binds(c)), None), next((c for c in rows if c.used_at is None), None)


def bound_sessions(session_ids) -> set[int]:
    """Which of these sessions have a browser bound as their console (``claimed``), in one statement."""
    ids = list(session_ids)
    if not ids:
        return set()
    return {c.session_id for c in db.session.scalars(select(ConsoleCode).where(ConsoleCode.session_id.in_(ids)))
            if _binds(c)}


def _binds(code: ConsoleCode) -> bool:
    """A code binds its browser from its claim until the door disconnects it."""
    return code.used_at is not None and code.disconnected_at is None


def claimed(session: RoomSession | None) -> bool:
    """A browser is bound to this session as its console."""
    return binding(session) is not None


def attached(room_id: int, session: RoomSession | None) -> bool:
    """A console runs the room's visit: the room's paired computer, or a browser
    bound to the open session. The door then offers a passer-by only the sign,
    the knock and (confirmed) disconnecting the console."""
    return has_console_tablet(room_id) or claimed(session)


def shown_code(session: RoomSession | None) -> ConsoleCode | None:
    """The newest unused code of the session (the door shows it, or says it expired)."""
    return codes(session)[1]


def new_code(room_id: int, actor: Actor, kind: str = "console-code") -> str:
    """A fresh code for the room's open session: older unused codes stop
    working and every browser bound to the session is disconnected (whoever
    holds the door's new code runs the visit)."""
    with service.transition(room_id) as w:
        room, session, now = w.room, w.session, w.now
        service.require(session, service.PREPARING, service.MEETING, service.WRAPUP)
        for old in db.session.scalars(select(ConsoleCode).where(ConsoleCode.session_id == session.id)):
            if old.used_at is None:
                old.expires_at = min(old.expires_at, now)
            elif old.disconnected_at is None:
                old.disconnected_at = now
        code = "".join(secrets.choice(pairing.ALPHABET) for _ in range(CODE_LENGTH))
        db.session.add(ConsoleCode(room_id=room.id, session_id=session.id, code=code, created_at=now,
                                   expires_at=now + timedelta(minutes=code_minutes())))
        w.record(kind, actor, session=session)
    return code


def disconnect(room_id: int, actor: Actor) -> str:
    """The door's confirmed "Koppla bort konsolen": the bound browser is
    disconnected and a new code is shown for the clinician to claim."""
    return new_code(room_id, actor, kind="console-disconnect")


def knock(room_id: int, actor: Actor) -> None:
    """Someone waits at the door: a quiet notice on the console, with the time.
    A knock already waiting is kept (one notice, the first knock's time)."""
    with service.transition(room_id) as w:
        session = w.session
        service.require(session, service.PREPARING, service.MEETING, service.WRAPUP)
        if not attached(w.room.id, session):
            raise service.RoomError("console.knock.no_console")
        if session.knock_at is not None:
            return
        session.knock_at = w.now
        w.record("knock", actor, session=session)


def clear_knock(room_id: int, actor: Actor) -> None:
    """The clinician has seen the knock (one tap on the console)."""
    with service.transition(room_id) as w:
        session = w.session
        if session is None or session.knock_at is None:
            return
        session.knock_at = None
        w.record("knock-seen", actor, session=session)


def claim(raw_code: str, address: str) -> tuple[ConsoleCode, str]:
    """Use a code: bind a new console token to its session; returns the row and
    the token. Refused claims of a visit's codes count against the visit's
    budget (CONSOLE_CLAIM_FAILURES_PER_VISIT) besides the address's limit: past
    it the visit's claims are refused (429) until the door shows a new code."""
    code = pairing.normalise_code(raw_code)
    if len(code) != CODE_LENGTH or any(ch not in pairing.ALPHABET for ch in code):
        raise ClaimError("console.error.format")
    row = db.session.scalar(select(ConsoleCode).where(ConsoleCode.code == code)
                            .order_by(ConsoleCode.id.desc()).limit(1))
    if row is None:
        raise ClaimError("console.error.unknown")
    found, visit = row.room_id, _visit_key(row.session_id)
    if ratelimit.over(ratelimit.CONSOLE_CLAIM_VISIT, visit):
        db.session.rollback()
        raise ClaimError("console.error.visit_limited", 429)
    db.session.rollback()  # end the read; the room's lock re-reads below
    try:
        return _claim(found, code, address)
    except ClaimError:
        ratelimit.hit(ratelimit.CONSOLE_CLAIM_VISIT, visit)
        raise


def _visit_key(session_id: int) -> str:
    """A visit's claim budget: its session and the newest code the door showed for it."""
    newest = db.session.scalar(select(func.max(ConsoleCode.id)).where(ConsoleCode.session_id == session_id))
    return f"{session_id}:{newest}"


def _claim(found: int, code: str, address: str) -> tuple[ConsoleCode, str]:
    """The claim under the room's lock (room ``found``): the code must be unused, of the open visit, alive."""
    with service.transition(found) as w:
        session, now = w.session, w.now
        row = db.session.scalar(select(ConsoleCode).where(ConsoleCode.code == code)
                                .order_by(ConsoleCode.id.desc()).limit(1))
        if row.used_at is not None:
            raise ClaimError("console.error.used")
        if session is None or row.session_id != session.id:
            raise ClaimError("console.error.ended")
        if now >= row.expires_at:
            raise ClaimError("console.error.expired")
        token = secrets.token_urlsafe(32)
        row.used_at, row.token_hash = now, pairing.token_hash(token)
        w.record("console-claim", access.code_actor(row.id, address), session=session)
    return row, token


def set_cookie(response: Response, token: str) -> None:
    """The console token: HttpOnly, SameSite=Strict; it cannot outlive a session anyway."""
    hours = float(current_app.config["MAX_SESSION_HOURS"])
    response.set_cookie(pairing.cookie_name(access.CONSOLE_COOKIE, request.is_secure), token, max_age=int(hours * 3600), httponly=True,
                        samesite="Strict", secure=request.is_secure, path="/")


def drop_cookie(response: Response) -> None:
    """Forget a binding that is over (the visit ended, or the door disconnected it)."""
    response.delete_cookie(pairing.cookie_name(access.CONSOLE_COOKIE, request.is_secure), path="/", secure=request.is_secure,
                           httponly=True, samesite="Strict")


def readiness_progress(session: RoomSession | None, ticked: set[tuple[str, str]] | None = None) -> tuple[int, int]:
    """(done, total) of the readiness checklist, for the door and the board
    (``ticked``: the session's ticks, when the caller has read them)."""
    keys = service.readiness_keys()
    return len(keys & (service.ticks(session) if ticked is None else ticked)), len(keys)
