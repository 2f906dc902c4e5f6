"""The door poll's one decision: is the panel this tablet shows still current?

Two callers ask it: the WSGI fast path (``fastpoll.py``, before Flask, on a
raw DB-API connection) and the Flask view (the authority, which also renders
every other answer). Both run :data:`QUERY` and hand its row to
:func:`decide`, so the join, the checks and the version rule exist once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, bindparam, select

from .. import hours
from ..models import Room, RoomSession, Tablet, Unit
from ..bookings import day as bookings_day
from . import pairing, service

# One indexed read: the tablet by its token hash (unique index), the room by
# its slug, and the room's open session (the partial unique index).
QUERY = (
    select(Tablet.id, Tablet.kind, Tablet.room_id, Tablet.revoked_at, Tablet.last_seen_at,
           Room.id, Room.version, RoomSession.state, RoomSession.expected_end, RoomSession.started_at,
           Room.bookings_due_at, Unit.opening_hours)  # the unit's hours (night screen)
    .select_from(Tablet)
    .join(Room, Room.slug == bindparam("slug"))
    .join(Unit, Unit.id == Room.unit_id)
    .outerjoin(RoomSession, and_(RoomSession.room_id == Room.id, RoomSession.ended_at.is_(None)))
    .where(Tablet.token_hash == bindparam("token"))
)

UNCHANGED, CHANGED, UNKNOWN, FORBIDDEN, REVOKED = "unchanged", "changed", "unknown", "forbidden", "revoked"


@dataclass(frozen=True)
class Verdict:
    """What the poll should answer, and whether the tablet's last-seen time is due."""

    answer: str
    tablet_id: int | None = None
    last_seen_due: bool = False


def as_utc(value) -> datetime | None:
    """The ORM gives aware datetimes; raw DB-API rows give naive UTC (psycopg)
    or ISO text (sqlite3). One rule for all three."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def decide(row, asked: str | None, now: datetime, content_version: str, max_session: timedelta) -> Verdict:
    """Judge one row of :data:`QUERY` (or None) against the version the tablet shows."""
    if row is None:
        return Verdict(UNKNOWN)  # unknown token or room: the view's full answer says which
    (tablet_id, kind, tablet_room, revoked, last_seen, room_id, version, state, expected_end, started,
     bookings_due, opening_hours) = row
    if kind != "door" or tablet_room != room_id:
        return Verdict(FORBIDDEN, tablet_id)
    if revoked is not None:
        return Verdict(REVOKED, tablet_id)
    due = pairing.seen_long_ago(as_utc(last_seen), now)
    started = as_utc(started)
    if started is not None and now >= started + max_session:
        return Verdict(CHANGED, tablet_id, due)  # the view releases the expired session
    if bookings_day.is_due(as_utc(bookings_due), now):
        return Verdict(CHANGED, tablet_id, due)  # a booking moment passed: the view writes it once and renders
    current = service.panel_version(version, service.is_overrun(state, as_utc(expected_end), now), content_version)
    # The night screen comes and goes by time alone (opening, closing, midnight):
    # its part of the version makes a poll across such a moment answer "changed".
    current += hours.version_suffix(opening_hours, state is not None, now)
    return Verdict(UNCHANGED if asked == current else CHANGED, tablet_id, due)
