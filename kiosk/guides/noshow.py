"""The no-show procedure (R26-R28) as a small state machine on the server's clock.

What is kept is only what the routine needs and names no patient: the booked
start time the clinician entered, the answer picked at the "call" step, and the
outcome. Standalone (a clinician at a desk) it lives in the browser's session;
in a room the room code installs a store on the room session with
:func:`use_no_show`. The phase (waiting, call ...) is always worked out here
from the stored facts and ``clock.now()``, so the server alone decides when the
minutes are up and a reloaded page picks up where it was.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol

from flask import g, session

from .. import clock, names
from ..content import Content
from ..content import schema as s

GUIDE_KEY = "no-show"
# Step keys the code relies on (guides.toml says not to change them).
WAIT_STEP = "wait"
CALL_STEP = "call"
SCRIPT_KEYS = ("voicemail", "journal-no-show")
# Filled in from the stored booked time, never typed into the script form.
BOOKED_SLOT = "booked_time"
SESSION_KEY = "no_show"
# A standalone record older than this is yesterday's visit: start afresh.
STALE_AFTER = timedelta(hours=12)
_TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


@dataclass(frozen=True)
class NoShowRecord:
    """What is stored about one no-show procedure (no patient data)."""

    booked_at: datetime | None = None
    # The answer at the call step: a choice key such as joined | technical | no-answer.
    choice: str | None = None
    # How the meeting ended: held | rebooked | no-show (schema.Outcome).
    outcome: str | None = None


class NoShowStore(Protocol):
    """Where a no-show procedure is kept (browser session or room session)."""

    # "browser" or "room": tells the page whom the timer belongs to.
    scope: str

    def load(self) -> NoShowRecord:
        """The current record (an empty one when nothing was started)."""
        ...

    def start(self, booked_at: datetime) -> None:
        """Start the timer from ``booked_at`` (aware); forgets any answer and outcome."""
        ...

    def record_choice(self, choice: str, outcome: str | None = None) -> None:
        """The answer at the call step; forgets an outcome recorded before, or
        records the one this answer leads to (one action, one event)."""
        ...

    def record_outcome(self, outcome: str) -> None:
        """How the meeting ended (for the unit's statistics)."""
        ...

    def reset(self) -> None:
        """Forget everything: the timer starts again from the beginning."""
        ...


class BrowserNoShow:
    """The procedure in the Flask session cookie of one browser (standalone use)."""

    scope = "browser"

    def __init__(self, store=None):
        self._session = session if store is None else store

    def load(self) -> NoShowRecord:
        raw = self._session.get(SESSION_KEY)
        if not isinstance(raw, dict) or not raw.get("booked_at"):
            return NoShowRecord()
        try:
            booked_at = datetime.fromisoformat(raw["booked_at"])
        except (TypeError, ValueError):
            return NoShowRecord()
        if booked_at.tzinfo is None or clock.now() - booked_at > STALE_AFTER:
            return NoShowRecord()
        return NoShowRecord(booked_at, raw.get("choice"), raw.get("outcome"))

    def start(self, booked_at: datetime) -> None:
        self._session[SESSION_KEY] = {"booked_at": booked_at.astimezone(timezone.utc).isoformat()}

    def record_choice(self, choice: str, outcome: str | None = None) -> None:
        self._update(choice=choice, outcome=outcome)

    def record_outcome(self, outcome: str) -> None:
        self._update(outcome=outcome)

    def reset(self) -> None:
        self._session.pop(SESSION_KEY, None)

    def _update(self, **changes) -> None:
        raw = dict(self._session.get(SESSION_KEY) or {})
        raw.update(changes)
        self._session[SESSION_KEY] = {k: v for k, v in raw.items() if v is not None}


def use_no_show(store: NoShowStore) -> None:
    """Make ``store`` the no-show store of this request (the room session's, say)."""
    g.no_show_store = store


def no_show_for_request() -> NoShowStore:
    """The no-show store of this request: one installed by :func:`use_no_show`,
    else the browser's own session."""
    store = g.get("no_show_store")
    if store is None:
        store = g.no_show_store = BrowserNoShow()
    return store


# ---- the flow ---------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """Where the procedure stands now, worked out from a record and the clock."""

    # start | waiting | call | steps | done
    phase: str
    record: NoShowRecord
    wait_step: s.Step
    call_step: s.Step
    due_at: datetime | None = None
    seconds_left: int = 0
    # The call step's choice that was picked, and the steps it leads to.
    choice: s.Choice | None = None
    steps: list[s.Step] = field(default_factory=list)

    @property
    def token(self) -> str:
        """Changes whenever the panel would look different (except the countdown)."""
        booked = int(self.record.booked_at.timestamp()) if self.record.booked_at else 0
        return f"{self.phase}-{booked}"


def flow(guide: s.Guide, record: NoShowRecord, now: datetime, minutes: int) -> Flow:
    """Work out the phase: no booked time, waiting, time to call, the steps
    after the answer, or done (an outcome is recorded)."""
    by_key = {st.key: st for st in guide.steps}
    base = {"record": record, "wait_step": by_key[WAIT_STEP], "call_step": by_key[CALL_STEP]}
    if record.booked_at is None:
        return Flow(phase="start", **base)
    due = record.booked_at + timedelta(minutes=minutes)
    base["due_at"] = due
    if now < due:
        return Flow(phase="waiting", seconds_left=math.ceil((due - now).total_seconds()), **base)
    choice = _choice(by_key[CALL_STEP], record.choice)
    if choice is None:
        return Flow(phase="call", **base)
    phase = "done" if record.outcome else "steps"
    return Flow(phase=phase, choice=choice, steps=steps_after(guide, choice), **base)


def steps_after(guide: s.Guide, choice: s.Choice) -> list[s.Step]:
    """The steps a choice leads to: its next step, and on through steps whose
    only way on is a plain "next" (the voicemail leads to the journal note)."""
    by_key = {st.key: st for st in guide.steps}
    found: list[s.Step] = []
    key = choice.next
    while key and key in by_key and by_key[key] not in found:
        step = by_key[key]
        found.append(step)
        onward = [c for c in step.choices if c.next and not c.outcome]
        key = onward[0].next if len(step.choices) == 1 and onward else None
    return found


def _choice(step: s.Step, key: str | None) -> s.Choice | None:
    return next((c for c in step.choices if c.key == key), None)


def find_choice(current: Flow, step_key: str, choice_key: str) -> s.Choice | None:
    """The choice, if it may be picked now; None when it is not on offer."""
    if current.phase in ("call", "steps", "done") and step_key == CALL_STEP:
        return _choice(current.call_step, choice_key)
    if current.phase in ("steps", "done"):
        for step in current.steps:
            if step.key == step_key:
                return _choice(step, choice_key)
    return None


# ---- input ------------------------------------------------------------------


def parse_booked_time(value: str, today: date) -> datetime | None:
    """'14:30' (or '14.30') on the wall clock ``today``, as UTC; None if not a time."""
    match = _TIME.match(value or "")
    if not match or len(value) > 10:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return clock.wall(today, time(hour, minute))


def script_slots(content: Content) -> list[s.Slot]:
    """The slots the clinician fills in for the no-show scripts (name, title,
    clinic), each once, in the order the scripts name them. The booked time is
    not among them: it comes from the timer."""
    slots: dict[str, s.Slot] = {}
    for key in SCRIPT_KEYS:
        for slot in content.scripts[key].slots:
            if slot.key != BOOKED_SLOT and slot.key not in slots:
                slots[slot.key] = slot
    return list(slots.values())


def read_slots(content: Content, form) -> tuple[dict[str, str], dict[str, str]]:
    """The slot values from a form, and an error (a UI-string key) per bad field,
    by the one name rule (kiosk/names.py).

    Every field is required: the routine says the voicemail gives name, title
    and clinic (R28)."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    problems = {names.MISSING: "guides.no_show.errors.slot_missing",
                names.TOO_LONG: "guides.no_show.errors.slot_too_long",
                names.CHARACTERS: "guides.no_show.errors.slot_control",
                names.PERSONAL_NUMBER: "guides.no_show.errors.slot_personal_number"}
    for slot in script_slots(content):
        raw = form.get(slot.key, "")
        # What goes back into the form never carries the bad characters.
        values[slot.key] = names.without_refused(raw.strip())
        try:
            values[slot.key] = names.clean(raw, slot.max_length)
        except names.NameProblem as exc:
            errors[slot.key] = problems[exc.problem]
            if exc.problem == names.PERSONAL_NUMBER:
                values[slot.key] = ""  # never shown back, not even in the form
    return values, errors
