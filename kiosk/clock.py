"""The one clock of the kiosk, and Sweden's day.

Every reading of "now" goes through :func:`now`, so that tests (and a browser
test against a live server in the same process) can move time without
patching modules one by one.

Times are stored and compared in UTC; people live by the wall clock of the
unit's time zone (``BABEL_DEFAULT_TIMEZONE``, Europe/Stockholm unless
configured). What depends on it - the zone, today's date, where a day starts
and ends (23 hours in March, 25 in October), the moment a wall clock shows a
time - is answered here and nowhere else: a UTC instant's ``.date()`` is
yesterday in Sweden between 23.00 and 24.00 UTC.
"""

from __future__ import annotations

import os
import threading
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/Stockholm"

_lock = threading.Lock()
# For benchmarks and tests of live servers only, never in production: every
# process started with KIOSK_CLOCK_OFFSET_SECONDS reads the machine's time moved
# by that many seconds, so all workers of all instances agree on one moved clock
# (bench/load.py's 08.00 herd sets it on the gunicorn instances).
OFFSET_ENV = "KIOSK_CLOCK_OFFSET_SECONDS"


def _offset_from_env() -> timedelta:
    raw = os.environ.get(OFFSET_ENV, "").strip()
    try:
        return timedelta(seconds=float(raw or 0))
    except ValueError:
        raise ValueError(f"{OFFSET_ENV} must be a number of seconds, not {raw!r}") from None


_offset = _offset_from_env()
_frozen: datetime | None = None
# One zone for the process: the door poll's fast path asks outside any Flask
# app context, and must agree with the view behind it.
_zone = ZoneInfo(DEFAULT_ZONE)


def now() -> datetime:
    """Return the current time as an aware UTC datetime (moved or frozen in tests)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(timezone.utc) + _offset


def freeze(at: datetime) -> None:
    """Stop the clock at ``at`` (aware); tests advance it with :func:`advance`."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    with _lock:
        _frozen = at.astimezone(timezone.utc)


def advance(delta: timedelta) -> None:
    """Move the clock forward (or back) by ``delta``, frozen or running."""
    global _frozen, _offset
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
        else:
            _offset = _offset + delta


def reset() -> None:
    """Let the clock run with the real time again."""
    global _frozen, _offset
    with _lock:
        _frozen = None
        _offset = timedelta(0)


# ---- Sweden's day ----------------------------------------------------------------


def use_zone(name: str) -> None:
    """Set the zone of the wall clock (the configuration does, at start-up);
    an unknown name stops start-up with ZoneInfoNotFoundError."""
    global _zone
    _zone = ZoneInfo(name)


def zone() -> ZoneInfo:
    """The unit's time zone."""
    return _zone


def local(at: datetime) -> datetime:
    """An aware instant as the wall clock shows it."""
    return at.astimezone(_zone)


def local_date(at: datetime) -> date:
    """The date of an aware instant on the wall clock (not its UTC date)."""
    return at.astimezone(_zone).date()


def today() -> date:
    """Today's date on the wall clock, from the one clock."""
    return local_date(now())


def day_bounds(day: date, last: date | None = None) -> tuple[datetime, datetime]:
    """When the local day (or the days from ``day`` to ``last``, inclusive)
    starts and ends, in UTC: a day is 23 hours in March, 25 in October."""
    start = datetime.combine(day, time(0), _zone)
    end = datetime.combine((last or day) + timedelta(days=1), time(0), _zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def wall(day: date, at: time) -> datetime:
    """The moment (UTC) the wall clock shows ``at`` on ``day``. An hour that
    occurs twice (02:30 on the autumn night) is its first occurrence; a time
    that does not occur (02:30 on the spring night) is taken with the offset
    before the change, so it lands just after the gap (03:30)."""
    return datetime.combine(day, at.replace(tzinfo=None), _zone).replace(fold=0).astimezone(timezone.utc)


def shows(day: date, at: time) -> bool:
    """Whether the wall clock shows ``at`` on ``day`` at all (not in the spring gap)."""
    naive = datetime.combine(day, at.replace(tzinfo=None))
    return local(wall(day, at)).replace(tzinfo=None) == naive
