"""Retention: personal data is erased after ``RETENTION_DAYS`` (default 14).

What is erased (docs/data.md lists every column): the clinician's optional
name and title on room sessions and on bookings (counted from the booking's end), and the free-text reason an administrator
gives when force-ending a session (kept in the event's detail), and a
reported fault's short text and fix note (counted from the report). The rows stay,
so counts and statistics do not change. Old abuse counters and ended admin
sessions are deleted too.

``flask --app kiosk purge`` runs it by hand; the app runs it once a day on its
own. "Once a day" across workers and instances is one conditional UPDATE of
the ``maintenance`` row: whichever request moves ``last_run_at`` forward wins
and purges; the others see that it was done. Each process also remembers when
the next run is due, so an ordinary request costs no query at all; polls
never run it (they are answered on the fast path or must stay cheap).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import datetime, timedelta

from flask import Flask, current_app, request
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import clock, ratelimit
from .database import begin_write, checkpoint
from .events import record
from .extensions import db
from .models import AdminSession, Booking, Event, Maintenance, RoomFault, RoomSession

JOB = "purge"
EVERY = timedelta(days=1)
# A failed or lost attempt is tried again this much later (per process).
RETRY = timedelta(minutes=5)
# What is erased RETENTION_DAYS after a moment of its row (docs/data.md): the
# count it adds to, the table, the moment's column, the columns set to NULL.
# The rows stay (statistics need their times); only what names a person goes.
ERASED_COLUMNS = (
    ("sessions", RoomSession, "started_at", ("clinician_name", "clinician_title")),
    ("bookings", Booking, "ends_at", ("holder_name", "holder_title")),
    # A fault's short text and fix note: the kind and times stay.
    ("faults", RoomFault, "reported_at", ("text", "fix_note")),
)
# Events whose detail may carry a person's free text, and the keys that do.
FREE_TEXT_EVENTS = ("force-ended",)
FREE_TEXT_KEYS = ("reason",)
ERASED = "erased"
_lock = threading.Lock()


def cutoff(now: datetime) -> datetime:
    return now - timedelta(days=float(current_app.config["RETENTION_DAYS"]))


def purge(now: datetime | None = None, actor: str = "system") -> Counter[str]:
    """Erase what is older than the retention period; one transaction. Returns
    how many rows had something erased or deleted, by kind: each table of
    ERASED_COLUMNS, "events", "rate_hits" and "admin_sessions" (0 if none)."""
    now = now or clock.now()
    limit = cutoff(now)
    done: Counter[str] = Counter()
    begin_write()
    for counted, model, since, columns in ERASED_COLUMNS:
        result = db.session.execute(
            update(model)
            .where(getattr(model, since) < limit, or_(*(getattr(model, c).is_not(None) for c in columns)))
            .values(dict.fromkeys(columns)))
        done[counted] = result.rowcount or 0

    events = db.session.scalars(select(Event).where(
        Event.at < limit, Event.kind.in_(FREE_TEXT_EVENTS), Event.detail != "")).all()
    for event in events:
        erased = _erase_free_text(event.detail)
        if erased is not None:
            event.detail = erased
            done["events"] += 1

    done["rate_hits"] = ratelimit.purge_old(now)
    # Ended or long-expired admin sessions are no use to anyone.
    absolute = timedelta(hours=float(current_app.config["ADMIN_ABSOLUTE_HOURS"]))
    result = db.session.execute(delete(AdminSession).where(or_(
        AdminSession.ended_at < now - EVERY, AdminSession.created_at < now - absolute - EVERY)))
    done["admin_sessions"] = result.rowcount or 0

    if done["sessions"] or done["events"] or done["bookings"] or done["faults"]:
        record("purge", actor, at=now, sessions=done["sessions"], events=done["events"],
               days=current_app.config["RETENTION_DAYS"],
               **{kind: done[kind] for kind in ("bookings", "faults") if done[kind]})
    db.session.commit()
    if any(done.values()):
        checkpoint()  # the erased text must not live on in the SQLite WAL
    return done


def _erase_free_text(detail: str) -> str | None:
    """The detail without its free-text values, or None if there were none."""
    try:
        data = json.loads(detail)
    except ValueError:
        # Not ours to interpret: a free-text event with unreadable detail loses it.
        return json.dumps({ERASED: True})
    if not isinstance(data, dict) or not any(key in data for key in FREE_TEXT_KEYS):
        return None
    for key in FREE_TEXT_KEYS:
        data.pop(key, None)
    data[ERASED] = True
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


# ---- the daily run -------------------------------------------------------------------------


def claim_daily_run(now: datetime) -> bool:
    """True for exactly one caller per day, whichever worker or instance asks."""
    begin_write()
    if db.session.get(Maintenance, JOB) is None:
        db.session.add(Maintenance(name=JOB, last_run_at=None))
        try:
            db.session.commit()
        except IntegrityError:  # another instance created it at the same moment
            db.session.rollback()
        begin_write()
    result = db.session.execute(
        update(Maintenance)
        .where(Maintenance.name == JOB, or_(Maintenance.last_run_at.is_(None), Maintenance.last_run_at <= now - EVERY))
        .values(last_run_at=now))
    db.session.commit()
    return result.rowcount == 1


def next_run(now: datetime) -> datetime:
    last = db.session.scalar(select(Maintenance.last_run_at).where(Maintenance.name == JOB))
    return (last + EVERY) if last is not None else now + RETRY


def run_if_due() -> None:
    """Run the daily purge if it is due; cheap (no query) when it is not."""
    app = current_app._get_current_object()
    state = app.extensions.setdefault("kiosk_purge", {"next": None})
    now = clock.now()
    with _lock:
        due = state["next"]
        if due is not None and now < due:
            return
        # Other threads of this process wait for this one's answer.
        state["next"] = now + RETRY
    try:
        if claim_daily_run(now):
            purge(now)
        state["next"] = next_run(now)
        db.session.commit()
    except Exception:  # never let housekeeping break the request that triggered it
        db.session.rollback()
        current_app.logger.exception("The daily purge failed; it is tried again in %s", RETRY)


def init_app(app: Flask) -> None:
    @app.before_request
    def _daily_purge():
        if not app.config["PURGE_AUTOMATICALLY"]:
            return
        path = request.path
        if path.endswith("/poll") or path.startswith(app.static_url_path or "/static") or path == "/healthz":
            return
        run_if_due()
