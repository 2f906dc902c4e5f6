"""The event log page: newest first, filtered, a page at a time."""

from __future__ import annotations

import json

from flask import current_app, request
from sqlalchemy import func, select

from ... import validate
from ...errors import error_response
from ...extensions import db
from ...models import ALL_EVENT_KINDS, EVENT_KINDS, AdminUser, Event, Room
from ...render import render
from ...validate import FieldError
from ..blueprint import bp, the_admin
from . import event_filter, event_query


@bp.get("/events")
def events():
    """The audit log, newest first: filter by room, kind and dates, 50 a page."""
    admin = the_admin()
    try:
        f = event_filter(admin)
        page = validate.page_number(request.args.get("page"))
    except FieldError as exc:
        return error_response(400, exc.key, **exc.slots)
    query = event_query(admin, f)
    per_page = int(current_app.config["ADMIN_EVENTS_PER_PAGE"])
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(db.session.scalars(query.order_by(Event.at.desc(), Event.id.desc())
                                   .offset((page - 1) * per_page).limit(per_page)))
    pages = max(1, -(-total // per_page))
    names = _actor_names({r.actor for r in rows})
    room_names = {r.id: r.name for r in db.session.scalars(select(Room).where(
        Room.id.in_({e.room_id for e in rows if e.room_id})))}
    return render("admin/events.html", rows=rows, rooms=f.rooms, room_id=f.room_id, start=f.start, end=f.end,
                  page=page, pages=pages, total=total, actor_names=names, room_names=room_names, kind=f.kind,
                  kind_groups=EVENT_KINDS, known_kinds=ALL_EVENT_KINDS, filter_args=f.args(),
                  details={e.id: _detail(e.detail) for e in rows})


def _actor_names(actors: set[str]) -> dict[str, str]:
    """'admin:3' → the account's e-mail, for the reader (the log itself keeps only the id)."""
    ids = [int(a.split(":", 1)[1]) for a in actors if a.startswith("admin:") and a.split(":", 1)[1].isdigit()]
    if not ids:
        return {}
    return {f"admin:{i}": email for i, email in db.session.execute(
        select(AdminUser.id, AdminUser.email).where(AdminUser.id.in_(ids))).all()}


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
