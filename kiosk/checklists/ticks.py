"""Where checklist ticks are kept.

A checklist opened at a desk keeps its ticks in that browser's session only:
nothing is shared and nothing reaches the database. Inside a room session the
ticks belong to the room session instead. The views never know which: they ask
:func:`ticks_for_request` for "the store of this request", and room code that
wants its own store installs it with :func:`use_ticks` (for example in a
``before_request`` that recognises a paired door tablet). A store also says
where its forms post (``tick_url``, ``reset_url``): the desk's routes here, the
room's own route for a room session's (rooms/stores.py).
"""

from __future__ import annotations

from typing import Protocol

from flask import g, session, url_for

SESSION_KEY = "checklist_ticks"
# Items marked "does not apply", kept beside the ticks in the same shape.
NA_SESSION_KEY = "checklist_na"
# Questions answered "no" (suitability, R3), kept the same way.
NO_SESSION_KEY = "checklist_no"
DONE, NA, NO = "done", "na", "no"
# The one tick protocol (checklist pages and the door alike): a form sends the
# state the item should have afterwards - ticked, unmarked, "does not apply".
# Saying the wanted state (not "toggle") makes a double click harmless.
# "no" answers a yes/no question no (a room session keeps no questions and refuses it).
TICK_VALUES = {"1": DONE, "0": None, "na": NA, "no": NO}


class TickStore(Protocol):
    """The three things a checklist page needs from a place that keeps ticks."""

    # "browser" or "room": tells the page whom the ticks belong to.
    scope: str

    def marks(self, checklist_key: str) -> dict[str, str]:
        """The marked items of this checklist: item key → "done" (ticked),
        "na" (does not apply) or "no" (a question answered no). Unmarked items are absent."""
        ...

    def set(self, checklist_key: str, item_key: str, state: str | None) -> None:
        """Mark one item "done" or "na", or unmark it (None); doing it twice changes nothing."""
        ...

    def reset(self, checklist_key: str) -> None:
        """Unmark every item of this checklist."""
        ...

    def tick_url(self, checklist_key: str, item_key: str) -> str:
        """Where a form ticks an item of this store (the page's forms post there)."""
        ...

    def reset_url(self, checklist_key: str) -> str:
        """Where a form unmarks every item of a checklist of this store."""
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

    def _all(self, name: str) -> dict[str, list[str]]:
        value = self._session.get(name)
        return value if isinstance(value, dict) else {}

    def _keys(self, name: str, checklist_key: str) -> set[str]:
        value = self._all(name).get(checklist_key, ())
        return {k for k in value if isinstance(k, str)} if isinstance(value, list) else set()

    def marks(self, checklist_key: str) -> dict[str, str]:
        found = {k: NO for k in self._keys(NO_SESSION_KEY, checklist_key)}
        found.update({k: NA for k in self._keys(NA_SESSION_KEY, checklist_key)})
        found.update({k: DONE for k in self._keys(SESSION_KEY, checklist_key)})
        return found

    def set(self, checklist_key: str, item_key: str, state: str | None) -> None:
        for name, mine in ((SESSION_KEY, DONE), (NA_SESSION_KEY, NA), (NO_SESSION_KEY, NO)):
            current = self._keys(name, checklist_key)
            changed = (current | {item_key}) if state == mine else (current - {item_key})
            if changed != current:
                self._save(name, checklist_key, changed)

    def reset(self, checklist_key: str) -> None:
        for name in (SESSION_KEY, NA_SESSION_KEY, NO_SESSION_KEY):
            self._save(name, checklist_key, set())

    def tick_url(self, checklist_key: str, item_key: str) -> str:
        return url_for("checklists.tick", key=checklist_key, item=item_key)

    def reset_url(self, checklist_key: str) -> str:
        return url_for("checklists.reset", key=checklist_key)

    def _save(self, name: str, checklist_key: str, keys: set[str]) -> None:
        # A new dict each time: the session notices assignment, not mutation.
        everything = dict(self._all(name))
        if keys:
            everything[checklist_key] = sorted(keys)
        else:
            everything.pop(checklist_key, None)
        self._session[name] = everything


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
