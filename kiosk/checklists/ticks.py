"""Where checklist ticks are kept.

A checklist opened at a desk keeps its ticks in that browser's session only:
nothing is shared and nothing reaches the database. Inside a room session the
ticks belong to the room session instead. The views never know which: they ask
:func:`ticks_for_request` for "the store of this request", and room code that
wants its own store installs it with :func:`use_ticks` (for example in a
``before_request`` that recognises a paired door tablet).
"""

from __future__ import annotations

from typing import Protocol

from flask import g, session

SESSION_KEY = "checklist_ticks"


class TickStore(Protocol):
    """The three things a checklist page needs from a place that keeps ticks."""

    # "browser" or "room": tells the page whom the ticks belong to.
    scope: str

    def ticked(self, checklist_key: str) -> set[str]:
        """The item keys ticked in this checklist."""
        ...

    def set(self, checklist_key: str, item_key: str, on: bool) -> None:
        """Tick (on) or untick one item; doing it twice changes nothing."""
        ...

    def reset(self, checklist_key: str) -> None:
        """Untick every item of this checklist."""
        ...


class BrowserTicks:
    """Ticks in the Flask session cookie of one browser (standalone use).

    The keys are checked by the caller against the content; this only stores
    them, so a stale key left from an older content version does no harm (the
    page counts only the items that exist).
    """

    scope = "browser"

    def __init__(self, store=None):
        self._session = session if store is None else store

    def _all(self) -> dict[str, list[str]]:
        value = self._session.get(SESSION_KEY)
        return value if isinstance(value, dict) else {}

    def ticked(self, checklist_key: str) -> set[str]:
        return set(self._all().get(checklist_key, ()))

    def set(self, checklist_key: str, item_key: str, on: bool) -> None:
        current = self.ticked(checklist_key)
        changed = (current | {item_key}) if on else (current - {item_key})
        self._save(checklist_key, changed)

    def reset(self, checklist_key: str) -> None:
        self._save(checklist_key, set())

    def _save(self, checklist_key: str, keys: set[str]) -> None:
        # A new dict each time: the session notices assignment, not mutation.
        everything = dict(self._all())
        if keys:
            everything[checklist_key] = sorted(keys)
        else:
            everything.pop(checklist_key, None)
        self._session[SESSION_KEY] = everything


def use_ticks(store: TickStore) -> None:
    """Make ``store`` the tick store of this request (the room session's, say)."""
    g.tick_store = store


def ticks_for_request() -> TickStore:
    """The tick store of this request: one installed by :func:`use_ticks`, else
    the browser's own session."""
    store = g.get("tick_store")
    if store is None:
        store = g.tick_store = BrowserTicks()
    return store
