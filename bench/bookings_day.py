"""A realistic day of bookings in every room, for the load benchmarks.

Eight bookings a room between 08:00 and 16:45 Swedish time, 30 or 45 minutes
each; those already over are released (nobody checked in), the rest booked.
Each room's ``bookings_due_at`` is set as the bookings service sets it (the
next moment the room's day changes by time alone), so an unchanged door poll
compares it with the clock and reads no booking - what the benchmark measures.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

STARTS = (time(8, 0), time(9, 0), time(10, 0), time(11, 0), time(13, 0), time(14, 0), time(15, 0), time(16, 0))
SOON = timedelta(minutes=15)
RELEASE = timedelta(minutes=10)


def seed_day(room_ids, now: datetime) -> int:
    """Insert the day's bookings of every room in ``room_ids``; return how many."""
    from sqlalchemy import insert, update

    from kiosk import clock
    from kiosk.extensions import db
    from kiosk.models import Booking, Room

    day = clock.local_date(now)
    _start, midnight = clock.day_bounds(day)
    rows, due = [], {}
    for n, room_id in enumerate(room_ids):
        moments = [midnight]
        for k, at in enumerate(STARTS):
            starts = clock.wall(day, at)
            ends = starts + timedelta(minutes=45 if (n + k) % 3 == 0 else 30)
            over = ends <= now
            rows.append({"room_id": room_id, "starts_at": starts, "ends_at": ends, "holder_name": None,
                         "holder_title": None, "source": "manual", "status": "released" if over else "booked",
                         "created_at": now, "updated_at": now, "created_by": "bench", "updated_by": "bench"})
            if not over:
                moments += [starts - SOON, starts, ends, starts + RELEASE]
        due[room_id] = min(m for m in moments if m > now)
    db.session.execute(insert(Booking), rows)
    for room_id, at in due.items():
        db.session.execute(update(Room).where(Room.id == room_id).values(bookings_due_at=at))
    return len(rows)
