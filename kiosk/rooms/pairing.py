"""Binding a tablet to its room (door) or unit (board) with a one-time code.

The code is shown once (CLI or admin page), is valid for a few minutes and
works once. Pairing gives the browser a long random device token in an
HttpOnly, SameSite=Strict cookie; the database keeps only its SHA-256. The
device cookie and the console's are protected as the session cookie is:
``__Host-`` and Secure over https, and a request that carries two copies of
one (a planted one among them) is trusted with neither.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Response, current_app, g, request
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from werkzeug.http import dump_cookie, parse_cookie

from .. import clock
from ..database import begin_write
from ..errors import KeyedError
from ..extensions import db
from ..events import record
from ..models import PairingCode, Room, Tablet, Unit

COOKIE = "kiosk_device"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the most a browser keeps; renewed while in use
# Letters and digits that cannot be mistaken for one another on a tablet.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
# What a paired device is: a room's door tablet, a unit's reception board, or
# the computer inside a room paired as its console.
KINDS = ("door", "board", "console")
ROOM_KINDS = ("door", "console")
# A tablet's last-seen time is written at most this often (a poll writes nothing else).
LAST_SEEN_EVERY = timedelta(seconds=60)


class PairingError(KeyedError):
    """A pairing code refused; ``key`` names the message."""


def token_hash(value: str) -> str:
    """What the database keeps of a device token or a one-time code: its SHA-256."""
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_code(raw: str) -> str:
    """Accept the code however it was typed: any case, with spaces or dashes."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def new_code(kind: str, unit: Unit, room: Room | None, actor: str, address: str = "") -> str:
    """Create a one-time pairing code; returns it (only its hash is stored)."""
    if kind not in KINDS or (kind in ROOM_KINDS) != (room is not None):
        raise ValueError("a door or console code needs a room, a board code a unit only")
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    unit_id, room_id = unit.id, room.id if room else None
    begin_write()
    now = clock.now()
    minutes = int(current_app.config["PAIRING_CODE_MINUTES"])
    db.session.add(PairingCode(code_hash=token_hash(code), kind=kind, unit_id=unit_id, room_id=room_id,
                               created_at=now, expires_at=now + timedelta(minutes=minutes)))
    record("pairing-code", actor, address=address, unit_id=unit_id, room_id=room_id, at=now, device=kind)
    db.session.commit()
    return code


def redeem(raw_code: str, address: str) -> tuple[Tablet, str]:
    """Use a code: create the tablet and return it with its new device token."""
    code = normalise_code(raw_code)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        raise PairingError("pair.error.format")
    begin_write()
    now = clock.now()
    pc = db.session.scalar(select(PairingCode).where(PairingCode.code_hash == token_hash(code)).with_for_update())
    if pc is None:
        db.session.rollback()
        raise PairingError("pair.error.unknown")
    if pc.used_at is not None:
        db.session.rollback()
        raise PairingError("pair.error.used")
    if now >= pc.expires_at:
        db.session.rollback()
        raise PairingError("pair.error.expired")
    token = secrets.token_urlsafe(32)
    tablet = Tablet(kind=pc.kind, unit_id=pc.unit_id, room_id=pc.room_id, token_hash=token_hash(token),
                    paired_at=now, last_seen_at=now)
    db.session.add(tablet)
    db.session.flush()
    pc.used_at = now
    pc.tablet_id = tablet.id
    record("pair", f"tablet:{tablet.id}", address=address, unit_id=pc.unit_id, room_id=pc.room_id,
           tablet_id=tablet.id, at=now, device=pc.kind)
    db.session.commit()
    return tablet, token


def _cookie_attributes(secure: bool) -> dict:
    """The device cookie's attributes, for the Flask response and the fast path alike."""
    return {"max_age": COOKIE_MAX_AGE, "httponly": True, "samesite": "Strict", "secure": secure, "path": "/"}


def cookie_name(name: str, secure: bool) -> str:
    """A device or console cookie's name: ``__Host-`` over https, as the session
    cookie's (``security.host_cookie_name``); the fast path has no request to ask."""
    return f"__Host-{name}" if secure else name


def one_cookie(cookies, name: str, secure: bool) -> str | None:
    """The value of the one cookie ``name`` (its ``__Host-`` name over https);
    None when it is missing, empty or sent twice."""
    values = cookies.getlist(cookie_name(name, secure))
    return values[0] if len(values) == 1 and values[0] else None


def device_token() -> str | None:
    """This request's device token, if it carries exactly one."""
    return one_cookie(request.cookies, COOKIE, request.is_secure)


def device_token_in(cookie_header: str, secure: bool) -> str | None:
    """The device token of a raw Cookie header (the fast path, before Flask)."""
    return one_cookie(parse_cookie(cookie_header), COOKIE, secure)


def set_device_cookie(response: Response, token: str) -> None:
    response.set_cookie(cookie_name(COOKIE, request.is_secure), token, **_cookie_attributes(request.is_secure))


def device_cookie_header(token: str, secure: bool) -> str:
    """The Set-Cookie value renewing the device cookie, for answers built before Flask."""
    return dump_cookie(cookie_name(COOKIE, secure), token, **_cookie_attributes(secure))


def current_tablet() -> Tablet | None:
    """The paired tablet this request comes from (revoked ones included), once per request."""
    if "tablet" not in g:
        token = device_token()
        # With its unit (a board's is its whole page): one statement, not two.
        g.tablet = db.session.scalar(select(Tablet).options(joinedload(Tablet.unit, innerjoin=True))
                                     .where(Tablet.token_hash == token_hash(token))) if token else None
    return g.tablet


def heard_recently(last_seen, now) -> bool:
    """Whether a tablet counts as answering (the board's door health, admin's
    online/offline): last-seen is written at most once per LAST_SEEN_EVERY and a
    tablet polls every POLL_SECONDS, so it may miss three polls beyond that minute."""
    window = LAST_SEEN_EVERY + 3 * timedelta(seconds=int(current_app.config["POLL_SECONDS"]))
    return last_seen is not None and now - last_seen <= window


def seen_long_ago(last_seen, now) -> bool:
    """True when last-seen is due a write (or lies in the future: the clock went back)."""
    return last_seen is None or not timedelta(0) <= now - last_seen < LAST_SEEN_EVERY


def touch(tablet: Tablet) -> bool:
    """Record that the tablet is alive, at most once a minute; True if written."""
    now = clock.now()
    if not seen_long_ago(tablet.last_seen_at, now):
        return False
    tablet_id = tablet.id
    begin_write()  # the poll has read: a plain write could meet a newer snapshot (SQLite)
    db.session.execute(update(Tablet).where(Tablet.id == tablet_id).values(last_seen_at=now))
    db.session.commit()
    return True


def revoke(tablet_id: int, actor: str, address: str = "") -> Tablet:
    begin_write()
    tablet = db.session.get(Tablet, tablet_id)
    if tablet is None:
        raise PairingError("pair.error.unknown")
    if tablet.revoked_at is None:
        now = clock.now()
        tablet.revoked_at = now
        record("revoke", actor, address=address, unit_id=tablet.unit_id, room_id=tablet.room_id,
               tablet_id=tablet.id, at=now)
        db.session.commit()
    return tablet


def pairing_url(code: str) -> str:
    base = (current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/pair?code={format_code(code)}"
