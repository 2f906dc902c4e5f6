"""Opening hours of a unit, and the night screen outside them.

A unit's hours are one short text column, Monday first, one entry per weekday::

    "07:30-17:00;07:30-17:00;07:30-17:00;07:30-17:00;07:30-16:00;;"

An empty entry is a closed day; an empty or NULL column means no hours at all
(always open, never a night screen: what every unit had before). Times are
wall-clock times in Sweden: 07:30 is 07:30 in Stockholm in winter and in
summer. An opening time that does not exist (02:30 on the night the clocks go
forward) opens at the first moment after the gap.

Outside the hours a door or board shows the night screen, unless its room is
in use (preparing, meeting, wrap-up): :func:`night` decides, and
:func:`version_suffix` is the part of a panel's version that changes when the
night screen appears, disappears or its text changes (at local midnight,
"öppnar mån 07.30" becomes "öppnar 07.30"), so a poll never answers
"unchanged" across one of those moments. The module sits below the features:
the rooms views, the poll's fast path and the admin pages all use it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from . import clock, validate

log = logging.getLogger(__name__)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_LEN = 120


class HoursError(ValueError):
    """Hours that cannot be stored; ``day`` names the weekday, ``key`` the message."""

    def __init__(self, day: str, key: str):
        super().__init__(f"{day}: {key}")
        self.day = day
        self.key = key


Span = tuple[time, time]


@lru_cache(maxsize=1024)
def parse(text: str | None) -> tuple[Span | None, ...] | None:
    """The stored text as seven (opens, closes) pairs or None (closed), Monday
    first; None for no hours. Cached: the door poll's fast path calls it."""
    if not text or not text.strip(";"):
        return None
    parts = text.split(";")
    days: list[Span | None] = []
    try:
        if len(parts) != 7:
            raise ValueError("7 days needed")
        for part in parts:
            if not part:
                days.append(None)
                continue
            opens, closes = part.split("-")
            days.append((time.fromisoformat(opens), time.fromisoformat(closes)))
    except ValueError:
        # Only the admin form writes the column; a hand-edited value that cannot be read
        # must not stop every door of the unit: the unit counts as always open.
        log.warning("unreadable opening hours %r: treated as always open", text)
        return None
    return tuple(days)


def _hhmm(value: str) -> time | None:
    value = value.strip()
    if len(value) != 5 or value[2] != ":":
        return None
    hour, minute = validate.number(value[:2], 2), validate.number(value[3:], 2)
    if hour is None or minute is None or hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _iso(at: time) -> str:
    """Machine data (the stored text, <input type="time">): ISO's 07:30, never shown as such."""
    return at.isoformat(timespec="minutes")


def from_form(form) -> str | None:
    """Hours from the admin form (``opens_mon``, ``closes_mon`` ... as HH:MM, both
    empty for a closed day) as the stored text; None when every day is empty.
    Raises :class:`HoursError` for the first day that is wrong."""
    entries = []
    for day in DAYS:
        raw_open = str(form.get(f"opens_{day}", ""))[:10]
        raw_close = str(form.get(f"closes_{day}", ""))[:10]
        if not raw_open.strip() and not raw_close.strip():
            entries.append("")
            continue
        if not raw_open.strip() or not raw_close.strip():
            raise HoursError(day, "hours.error.both")
        opens, closes = _hhmm(raw_open), _hhmm(raw_close)
        if opens is None or closes is None:
            raise HoursError(day, "hours.error.format")
        if closes <= opens:
            raise HoursError(day, "hours.error.order")
        entries.append(f"{_iso(opens)}-{_iso(closes)}")
    return ";".join(entries) if any(entries) else None


def for_form(text: str | None) -> dict[str, str]:
    """The stored hours as the admin form's values (``opens_mon`` ...)."""
    days = parse(text) or (None,) * 7
    values = {}
    for day, span in zip(DAYS, days):
        values[f"opens_{day}"] = _iso(span[0]) if span else ""
        values[f"closes_{day}"] = _iso(span[1]) if span else ""
    return values


def is_open(text: str | None, now: datetime) -> bool:
    """Whether the unit is open at ``now`` (always, when it has no hours)."""
    days = parse(text)
    if days is None:
        return True
    local = clock.local(now)
    span = days[local.weekday()]
    if span is None:
        return False
    return clock.wall(local.date(), span[0]) <= now < clock.wall(local.date(), span[1])


def span_on(text: str | None, day: date) -> tuple[datetime, datetime] | None:
    """The unit's opening and closing moments (UTC) on the local ``day``; None
    when it is closed that day. Only for a unit with hours (``parse`` not None)."""
    days = parse(text)
    span = days[day.weekday()] if days is not None else None
    if span is None:
        return None
    return clock.wall(day, span[0]), clock.wall(day, span[1])


def within(text: str | None, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether the unit is open from ``starts_at`` to ``ends_at`` (always, when it
    has no hours): the one rule for what may be booked, and for which of a day
    plan's quarters are shown as closed. A booking lies within one day's hours."""
    if parse(text) is None:
        return True
    span = span_on(text, clock.local_date(starts_at))
    return span is not None and span[0] <= starts_at and ends_at <= span[1]


def next_opening(text: str | None, now: datetime) -> datetime | None:
    """When the unit opens next after ``now`` (UTC), or None (no hours, or never open)."""
    days = parse(text)
    if days is None:
        return None
    today = clock.local_date(now)
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        span = days[day.weekday()]
        if span is not None:
            opens = clock.wall(day, span[0])
            if opens > now:
                return opens
    return None


@dataclass(frozen=True)
class Night:
    """What the night screen says: when the unit opens next (None: no open day),
    and the weekday to name when that is not today or tomorrow."""

    opens_at: datetime | None
    day: str | None


def night(text: str | None, in_use: bool, now: datetime) -> Night | None:
    """The night screen at ``now``, or None when the panel shows the day: no
    hours, open hours, or a room in use (it stays awake whatever the hours)."""
    if in_use or is_open(text, now):
        return None
    opens = next_opening(text, now)
    if opens is None:
        return Night(None, None)
    local = clock.local(opens)
    far = (local.date() - clock.local_date(now)).days >= 2
    return Night(opens, DAYS[local.weekday()] if far else None)


def version_suffix(text: str | None, in_use: bool, now: datetime) -> str:
    """The night screen's part of a panel version: empty by day; by night the
    local date, so the text is rendered again at midnight ("mån" becomes
    today) and the panel changes back at the opening time."""
    if night(text, in_use, now) is None:
        return ""
    return f".n{clock.local_date(now):%Y%m%d}"
