"""The room console: the computer inside the room (or a phone) runs the visit.

Two ways to become a room's console, without staff logins:

- *per visit*: after check-in the door shows a short code (and a QR code);
  claiming it at ``/console`` binds the browser to that room session only. The
  code works once, expires after ``CONSOLE_CODE_MINUTES``, claims are limited
  per address, and the binding ends with the session;
- *permanently*: a tablet of kind ``console`` paired like a door
  (``flask --app kiosk pair --console SLUG``); it follows whatever session
  the room has.

Creating and claiming a code change what the door and board show, so both
run under the room's lock, bump its version and write an event, like every
transition of the state machine.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Response, current_app, request
from sqlalchemy import select

from ..extensions import db
from ..errors import KeyedError
from ..models import ConsoleCode, RoomSession, Tablet
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
    return db.session.scalar(select(Tablet.id).where(
        Tablet.room_id == room_id, Tablet.kind == "console", Tablet.revoked_at.is_(None)).limit(1)) is not None


def claimed(session: RoomSession | None) -> bool:
    """A browser has claimed this session's console code."""
    if session is None:
        return False
    return db.session.scalar(select(ConsoleCode.id).where(
        ConsoleCode.session_id == session.id, ConsoleCode.used_at.is_not(None)).limit(1)) is not None


def shown_code(session: RoomSession | None) -> ConsoleCode | None:
    """The newest unused code of the session (the door shows it, or says it expired)."""
    if session is None:
        return None
    return db.session.scalar(select(ConsoleCode).where(
        ConsoleCode.session_id == session.id, ConsoleCode.used_at.is_(None)).order_by(ConsoleCode.id.desc()).limit(1))


def new_code(room_id: int, actor: Actor) -> str:
    """A fresh code for the room's open session; older unused codes stop working."""
    with service.transition(room_id) as w:
        room, session, now = w.room, w.session, w.now
        service.require(session, service.PREPARING, service.MEETING, service.WRAPUP)
        for old in db.session.scalars(select(ConsoleCode).where(ConsoleCode.session_id == session.id,
                                                                ConsoleCode.used_at.is_(None))):
            old.expires_at = min(old.expires_at, now)
        code = "".join(secrets.choice(pairing.ALPHABET) for _ in range(CODE_LENGTH))
        db.session.add(ConsoleCode(room_id=room.id, session_id=session.id, code=code, created_at=now,
                                   expires_at=now + timedelta(minutes=code_minutes())))
        w.record("console-code", actor, session=session)
    return code


def claim(raw_code: str, address: str) -> tuple[ConsoleCode, str]:
    """Use a code: bind a new console token to its session; returns the row and the token."""
    code = pairing.normalise_code(raw_code)
    if len(code) != CODE_LENGTH or any(ch not in pairing.ALPHABET for ch in code):
        raise ClaimError("console.error.format")
    found = db.session.scalar(select(ConsoleCode.room_id).where(ConsoleCode.code == code)
                              .order_by(ConsoleCode.id.desc()).limit(1))
    if found is None:
        raise ClaimError("console.error.unknown")
    db.session.rollback()  # end the read; the room's lock re-reads below
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
    response.set_cookie(access.CONSOLE_COOKIE, token, max_age=int(hours * 3600), httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/")


def readiness_progress(session: RoomSession | None) -> tuple[int, int]:
    """(done, total) of the readiness checklist, for the door and the board."""
    keys = service.readiness_keys()
    return len(keys & service.ticks(session)), len(keys)
