"""The room's write unit: every change to what a room's door and board show.

    with room_write(room_id) as w:      # the room locked, its bookings up to date
        ...change rows...
        w.record("kind", actor)          # the event, in the same transaction
    # here: the bookings-due time set, room.version bumped once, committed

On entry it starts a write transaction that holds the room (BEGIN IMMEDIATE
on SQLite, SELECT ... FOR UPDATE on PostgreSQL), reads the room's open
session and releases unclaimed bookings that are due. On a normal exit it
sets ``room.bookings_due_at`` (the next moment the room's day changes by time
alone, which the door poll compares with the clock), bumps ``room.version``
(what door and board polls compare) and commits the change with its events.
On an exception it rolls everything back. The state machine, bookings, feeds,
faults, the console and admin all write through it; nobody bumps the version
by hand.

It sits below every feature that writes a room and above ``bookings.day``
(which it asks when the day changes): the bookings' write side uses it, so it
cannot live in the rooms package without a circle rooms -> bookings -> rooms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select

from . import clock
from .bookings import day
from .database import begin_write
from .events import Actor, record
from .extensions import db
from .models import Booking, Event, Room, RoomSession


class RoomWrite:
    """One room inside a write unit: the locked row, the moment the unit
    started, and the room's open session (None when free)."""

    def __init__(self, room: Room, now: datetime):
        self.room = room
        self.now = now
        self.session: RoomSession | None = day.open_session(room.id)

    def record(self, kind: str, actor: Actor, *, session: RoomSession | None = None, **detail) -> Event:
        """Add an event about this room (and ``session``) to the unit's transaction."""
        return record(kind, actor.label, address=actor.address, unit_id=self.room.unit_id, room_id=self.room.id,
                      session_id=session.id if session is not None else None, tablet_id=actor.tablet_id,
                      at=self.now, **detail)

    def release_due_bookings(self) -> int:
        """Release the room's unclaimed bookings whose grace has run out; how many.
        While a meeting holds the room none is released: the grace counts from
        when it ends."""
        if self.session is not None:
            return 0
        released = 0
        system = Actor.system()
        waiting = list(db.session.scalars(select(Booking).where(
            Booking.room_id == self.room.id, Booking.status == "booked",
            Booking.starts_at <= self.now - day.release_after())))
        for b, due in zip(waiting, day.releases_at(self.room.id, waiting)):
            if self.now >= due:
                b.status, b.updated_at, b.updated_by = "released", self.now, system.label
                self.record("booking-release", system, **booking_detail(b), unclaimed=True, due=due.isoformat())
                released += 1
        db.session.flush()
        return released

    def _finish(self) -> None:
        db.session.flush()
        # A session's end can start an unclaimed booking's grace: recompute when the day next changes.
        self.room.bookings_due_at = day.next_change(self.room.id, self.now)
        self.room.version += 1


def booking_detail(booking: Booking) -> dict:
    """What an event about a booking records of it."""
    return {"booking": booking.id, "start": booking.starts_at.isoformat(), "end": booking.ends_at.isoformat(),
            "source": booking.source}


@contextmanager
def _transaction() -> Iterator[None]:
    """Commit on a normal exit, roll back on any exception (and re-raise it)."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _lock(room_ids: Iterable[int], missing: Exception | None) -> list[RoomWrite]:
    """Take the write lock and the rooms' rows, in id order (two units never wait on each other in a circle)."""
    wanted = sorted(set(room_ids))
    begin_write()
    rooms = list(db.session.scalars(select(Room).where(Room.id.in_(wanted)).order_by(Room.id).with_for_update()))
    if len(rooms) != len(wanted):
        raise missing or LookupError(f"no room {sorted(set(wanted) - {r.id for r in rooms})}")
    now = clock.now()
    return [RoomWrite(room, now) for room in rooms]


@contextmanager
def room_write(room_id: int, *, missing: Exception | None = None,
               settle: Callable[[RoomWrite], None] | None = None) -> Iterator[RoomWrite]:
    """The write unit of one room (see the module's docstring). ``missing`` is
    raised when the room does not exist; ``settle`` runs after the lock and
    before the bookings are brought up to date (the state machine releases an
    expired session there, so a booking it overran is released at once)."""
    with _transaction():
        (write,) = _lock([room_id], missing)
        if settle is not None:
            settle(write)
        write.release_due_bookings()
        yield write
        write._finish()


@contextmanager
def rooms_write(room_ids: Iterable[int], *, missing: Exception | None = None) -> Iterator[list[RoomWrite]]:
    """One write unit over several rooms (a change to their unit shows on every
    door and board of it; a booking moved from one room to another): each
    locked, brought up to date and bumped once, in id order. ``missing`` is
    raised when a room does not exist."""
    with _transaction():
        writes = _lock(room_ids, missing)
        for write in writes:
            write.release_due_bookings()
        yield writes
        for write in writes:
            write._finish()
