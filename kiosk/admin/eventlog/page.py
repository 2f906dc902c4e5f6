"""The event log page: newest first, filtered, a page at a time."""

from __future__ import annotations

import json
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from ... import validate
from ...extensions import db
from ...i18n import content, local_datetime, t
from ...models import ALL_EVENT_KINDS, EVENT_KINDS, AdminUser, Event, Room, Tablet
from ...render import render
from ..blueprint import bp, the_admin
from ..forms import EventPageForm
from . import event_filter, event_query


@bp.get("/events")
def events():
    """The audit log, newest first: filter by room, kind and dates, 50 a page."""
    admin = the_admin()
    f, form = event_filter(admin, EventPageForm)
    page = form.page.data
    query = event_query(admin, f)
    per_page = int(current_app.config["ADMIN_EVENTS_PER_PAGE"])
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(db.session.scalars(query.order_by(Event.at.desc(), Event.id.desc())
                                   .offset((page - 1) * per_page).limit(per_page)))
    pages = max(1, -(-total // per_page))
    rows, steps = _one_row_per_act(rows)
    names = _actor_names({r.actor for r in rows})
    room_names = {r.id: r.name for r in db.session.scalars(select(Room).where(
        Room.id.in_({e.room_id for e in rows if e.room_id})))}
    return render("admin/events.html", rows=rows, rooms=f.rooms, room_id=f.room_id, start=f.start, end=f.end,
                  page=page, pages=pages, total=total, actor_names=names, room_names=room_names, kind=f.kind,
                  kind_groups=EVENT_KINDS, known_kinds=ALL_EVENT_KINDS, filter_args=f.args(),
                  details={e.id: [pair for step in steps[e.id] for pair in _detail_words(step.kind, step.detail)]
                           for e in rows})


# The steps of one act the log keeps as one event each: the no-show guide
# writes its timer, the answer at the call and the result on the visit.
STEPPED_KINDS = ("no-show",)


def _one_row_per_act(rows: list[Event]) -> tuple[list[Event], dict[int, list[Event]]]:
    """The page's rows (newest first) with each run of one act's steps (the same
    kind, room visit and actor, one after the other) as one row: the newest
    step's, its details those of every step, oldest first."""
    shown: list[Event] = []
    steps: dict[int, list[Event]] = {}
    for event in rows:
        last = shown[-1] if shown else None
        if (last is not None and event.kind in STEPPED_KINDS and event.kind == last.kind
                and event.session_id is not None and event.session_id == last.session_id
                and event.actor == last.actor):
            steps[last.id].insert(0, event)
            continue
        shown.append(event)
        steps[event.id] = [event]
    return shown, steps


def _actor_names(actors: set[str]) -> dict[str, str]:
    """Who did it, in words for the reader (the log itself keeps only the id):
    'admin:3' → the account's e-mail, 'tablet:3' → "Surfplatta 3 (Dörrskärm,
    Videorum 1)", 'system' → "Automatiskt"."""
    def ids(prefix: str) -> list[int]:
        found = (validate.number(a.split(":", 1)[1], 9) for a in actors if a.startswith(prefix))
        return [i for i in found if i is not None]

    names: dict[str, str] = {}
    if ids("admin:"):
        names.update({f"admin:{i}": email for i, email in db.session.execute(
            select(AdminUser.id, AdminUser.email).where(AdminUser.id.in_(ids("admin:")))).all()})
    for tablet in db.session.scalars(select(Tablet).where(Tablet.id.in_(ids("tablet:")))) if ids("tablet:") else ():
        names[f"tablet:{tablet.id}"] = t("admin.events.words.actor_tablet", id=tablet.id,
                                         kind=t(f"admin.tablets.kind_{tablet.kind}"),
                                         room=f", {tablet.room.name}" if tablet.room else "")
    for actor in actors:
        if actor == "system":
            names[actor] = t("admin.events.words.actor_system")
        elif actor.startswith("console-code:"):
            names[actor] = t("admin.events.words.actor_console_code")
    return names


# The order a reader takes details in: what the event is about, then its times,
# from before till (the log stores them sorted by key: "end" before "start").
DETAIL_ORDER = ("booking", "source", "start", "end", "from_start", "from_end", "from_room", "to_room")
# Details that are moments: stored in UTC (ISO), shown in Sweden's time.
TIME_KEYS = ("start", "end", "from_start", "from_end", "due")


def _moment(value: str) -> str | None:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return local_datetime(at) if at.tzinfo is not None else None


def _detail_words(kind: str, raw: str) -> list[tuple[str, str]]:
    """The event's details in the reader's words: "Svar vid uppringningen: svarade
    inte", "Avslutat före beräknat slut: nej", "Från: 2026-12-08 09.00" - never a
    raw code where the content has a word for it (an unknown key or value is
    shown as it is)."""
    words = content().ui
    pairs = []
    found = _detail(raw)
    found.sort(key=lambda pair: DETAIL_ORDER.index(pair[0]) if pair[0] in DETAIL_ORDER else len(DETAIL_ORDER))
    for key, value in found:
        label = words.get(f"admin.events.detail_keys.{key}", key)
        moment = _moment(value) if key in TIME_KEYS else None
        if moment is not None:
            shown = moment
        elif value in ("True", "False"):
            shown = t(f"admin.events.words.{'yes' if value == 'True' else 'no'}")
        else:
            shown = words.get(f"admin.events.detail_values.{key}.{value}", value)
        pairs.append((label, shown))
    if kind == "no-show" and not pairs:
        pairs.append(("", t("admin.events.words.no_show_timer")))
    return pairs


def _detail(raw: str) -> list[tuple[str, str]]:
    if not raw:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return [("", raw)]
    if not isinstance(data, dict):
        return [("", str(data))]
    return [(str(k), str(v)) for k, v in data.items()]
