"""The one clock of the kiosk.

Every reading of "now" goes through :func:`now`, so that tests (and a browser
test against a live server in the same process) can move time without
patching modules one by one.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

_lock = threading.Lock()
_offset = timedelta(0)
_frozen: datetime | None = None


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
