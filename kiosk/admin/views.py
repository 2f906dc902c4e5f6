"""Admin pages under /admin/: login, units and rooms, tablets, open sessions,
the event log, statistics and accounts.

Every page works as plain HTML forms (POST, then 303 back with a message).
Every view checks who is asking: ``_admin()`` for any administrator, then
``_unit_or_403`` / ``_room_or_403`` for the unit the object belongs to, or
``global_required`` for what only a global administrator may do. Every change
is written to the event log with who, what and from which address.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect, request, stream_with_context,
                   url_for)
from flask import session as flask_session
from sqlalchemy import func, select

from .. import accounts as auth  # the module; accounts() is a view here
from .. import clock, ratelimit, retention, validate
from ..accounts import current_admin, global_required
from ..database import begin_write
from ..errors import error_response
from ..extensions import db
from ..i18n import content, current_lang, t
from ..models import ALL_EVENT_KINDS, EVENT_KINDS, ROLES, UNIT, AdminUser, Event, Maintenance, Room, RoomSession, Tablet, Unit
from ..render import render
from ..rooms import pairing, service
from ..rooms.service import Actor, RoomError
from ..events import client_address, record
from ..routine import routine_status
from ..validate import FieldError
from . import stats as statistics

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Views a browser without a session may reach.
OPEN = {"admin.login", "admin.session_status", "admin.session_extend"}


@bp.before_request
def _require_admin():
    if request.endpoint in OPEN:
        return None
    if current_admin() is None:
        return auth.login_redirect()
    return None


@bp.after_request
def _no_store(response):
    """Admin pages show who did what: never kept by a browser or proxy cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _admin_context():
    """Admin templates' helpers. ``current_admin`` only reads what the request's
    check already found: a template never writes to the database."""
    return {"current_admin": lambda: g.get("admin"), "admin_deadlines": auth.current_deadlines,
            "admin_now": clock.now,
            "unit_options": lambda units: [(u.id, u.name) for u in units],
            "room_options": lambda rooms: [(r.id, f"{r.name} ({r.unit.name})") for r in rooms]}


def _admin() -> AdminUser:
    admin = current_admin()
    if admin is None:  # the before_request hook makes this unreachable
        abort(403)
    return admin


def _address() -> str:
    return client_address()


def _visible_units(admin: AdminUser) -> list[Unit]:
    query = select(Unit).order_by(Unit.name, Unit.id)
    if not admin.is_global:
        query = query.where(Unit.id == admin.unit_id)
    return list(db.session.scalars(query))


def _visible_rooms(admin: AdminUser, active_only: bool = False) -> list[Room]:
    query = select(Room).join(Unit).order_by(Unit.name, Room.name, Room.id)
    if not admin.is_global:
        query = query.where(Room.unit_id == admin.unit_id)
    if active_only:
        query = query.where(Room.active.is_(True))
    return list(db.session.scalars(query))


def _unit_or_403(unit_id: int | None) -> Unit:
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None:
        abort(404)
    if not auth.may_see_unit(_admin(), unit.id):
        abort(error_response(403, "admin.error.other_unit"))
    return unit


def _room_or_403(room_id: int) -> Room:
    room = db.session.get(Room, room_id)
    if room is None:
        abort(404)
    if not auth.may_see_unit(_admin(), room.unit_id):
        abort(error_response(403, "admin.error.other_unit"))
    return room


def _errors(*problems: FieldError) -> dict[str, str]:
    return {p.field: t(p.key, **p.slots) for p in problems}


# ---- login, logout, the session ----------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; a good login starts a new session and goes on to the admin pages."""
    next_url = auth.safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_admin() is not None:
            return redirect(next_url or url_for("admin.index"), code=303)
        return render("admin/login.html", error=None, error_slots={}, email="", next_url=next_url,
                      expired=bool(g.get("admin_expired")))
    email = request.form.get("email", "")[:validate.EMAIL_MAX]
    try:
        _user, token = auth.login(email, request.form.get("password", "")[:validate.PASSWORD_MAX + 1], _address())
    except auth.LoginError as exc:
        db.session.rollback()
        return render("admin/login.html", error=exc.key, error_slots=exc.slots, email=email, next_url=next_url,
                      expired=False, status=exc.status)
    # A new CSRF token for the new session (a token seen before login is not reused).
    flask_session.pop("csrf_token", None)
    response = redirect(next_url or url_for("admin.index"), code=303)
    auth.set_session_cookie(response, token)
    return response


@bp.post("/logout")
def logout():
    auth.logout()
    flash(t("admin.login.logged_out"), "status")
    response = redirect(url_for("admin.login"), code=303)
    auth.clear_session_cookie(response)
    return response


def _session_json(admin: AdminUser | None):
    """What admin.js needs: is the session alive, and when does it end."""
    limits = auth.current_deadlines() if admin is not None else None
    now = clock.now()
    if limits is None:
        return jsonify(active=False, now=_ms(now), login_url=url_for("admin.login"))
    return jsonify(active=True, now=_ms(now), idle=_ms(limits.idle), absolute=_ms(limits.absolute),
                   warn=int(current_app.config["ADMIN_WARN_SECONDS"]) * 1000)


def _ms(value) -> int:
    return int(value.timestamp() * 1000)


@bp.get("/session/poll")
def session_status():
    """The session's deadlines; a poll, so it does not count as an action."""
    return _session_json(current_admin())


@bp.post("/session/extend")
def session_extend():
    """"Continue": a person's action, which moves the idle deadline on."""
    return _session_json(current_admin())


# ---- the start page --------------------------------------------------------------------------


@bp.get("/")
def index():
    """Who is logged in, the content version and the routine's validity (R1)."""

    doc = content().document
    last_purge = db.session.scalar(select(Maintenance.last_run_at).where(
        Maintenance.name == retention.JOB))
    return render("admin/index.html", routine_state=routine_status(), doc=doc, last_purge=last_purge,
                  retention_days=current_app.config["RETENTION_DAYS"])


# ---- units ----------------------------------------------------------------------------------------


def _slug_for(model, name: str, raw_slug: str) -> str:
    """The slug typed (must be free), or one made from the name (made free with -2, -3 ...)."""
    if raw_slug.strip():
        slug = validate.slug("slug", raw_slug)
        if db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
            raise FieldError("slug", "admin.field.slug_taken")
        return slug
    base = validate.slugify(name) or "rum"
    slug, n = base, 1
    while db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
        n += 1
        slug = f"{base[:validate.SLUG_MAX - 4]}-{n}"
    return slug


@bp.get("/units")
@global_required
def units():
    return _units_page()


def _units_page(errors=None, values=None, status=200):
    admin = _admin()
    counts = dict(db.session.execute(select(Room.unit_id, func.count()).where(Room.active.is_(True))
                                     .group_by(Room.unit_id)).all())
    return render("admin/units.html", units=_visible_units(admin), counts=counts,
                  errors=errors or {}, values=values or {}, status=status)


@bp.post("/units")
@global_required
def unit_create():
    begin_write()  # read, then write: take SQLite's write lock first
    admin = _admin()
    values = {"name": request.form.get("name", "")[:500], "slug": request.form.get("slug", "")[:100]}
    try:
        name = validate.text("name", values["name"], max_len=validate.NAME_MAX)
        slug = _slug_for(Unit, name, values["slug"])
    except FieldError as exc:
        return _units_page(_errors(exc), values, 400)
    unit = Unit(name=name, slug=slug, created_at=clock.now())
    db.session.add(unit)
    db.session.flush()
    record("unit-create", admin.label, address=_address(), unit_id=unit.id, name=name, slug=slug)
    db.session.commit()
    flash(t("admin.units.created", name=name), "status")
    return redirect(url_for("admin.units"), code=303)


@bp.get("/units/<int:unit_id>")
@global_required
def unit_edit(unit_id: int):
    unit = _unit_or_403(unit_id)
    return render("admin/unit.html", unit=unit, errors={}, values={"name": unit.name})


@bp.post("/units/<int:unit_id>")
@global_required
def unit_update(unit_id: int):
    begin_write()  # read, then write: take SQLite's write lock first
    admin = _admin()
    unit = _unit_or_403(unit_id)
    values = {"name": request.form.get("name", "")[:500]}
    try:
        name = validate.text("name", values["name"], max_len=validate.NAME_MAX)
    except FieldError as exc:
        return render("admin/unit.html", unit=unit, errors=_errors(exc), values=values, status=400)
    show = request.form.get("show_clinician", "0") == "1"
    if request.form.get("show_clinician", "0") not in ("0", "1"):
        return render("admin/unit.html", unit=unit, errors=_errors(FieldError("show_clinician", "admin.field.choice")),
                      values=values, status=400)
    changes = {}
    if name != unit.name:
        changes.update(old_name=unit.name, name=name)
    if show != unit.show_clinician:
        changes.update(show_clinician=show)
    if changes:
        unit.name, unit.show_clinician = name, show
        # The boards and doors of the unit show the change at their next poll.
        for room in unit.rooms:
            room.version += 1
        record("unit-update", admin.label, address=_address(), unit_id=unit.id, **changes)
        db.session.commit()
    flash(t("admin.saved"), "status")
    return redirect(url_for("admin.unit_edit", unit_id=unit.id), code=303)


@bp.post("/units/<int:unit_id>/deactivate")
@global_required
def unit_deactivate(unit_id: int):
    """Take a unit out of use: every room of it becomes inactive (rooms keep their history)."""
    begin_write()  # read, then write: take SQLite's write lock first
    admin = _admin()
    unit = _unit_or_403(unit_id)
    changed = [room for room in unit.rooms if room.active]
    for room in changed:
        room.active = False
        room.version += 1
    record("unit-deactivate", admin.label, address=_address(), unit_id=unit.id, rooms=len(changed))
    db.session.commit()
    flash(t("admin.units.deactivated", name=unit.name, n=len(changed)), "status")
    return redirect(url_for("admin.unit_edit", unit_id=unit.id), code=303)


# ---- rooms ----------------------------------------------------------------------------------------


@bp.get("/rooms")
def rooms():
    return _rooms_page()


def _rooms_page(errors=None, values=None, status=200):
    admin = _admin()
    return render("admin/rooms.html", rooms=_visible_rooms(admin), units=_visible_units(admin),
                  errors=errors or {}, values=values or {}, status=status)


@bp.post("/rooms")
def room_create():
    begin_write()  # read, then write: take SQLite's write lock first
    admin = _admin()
    values = {k: request.form.get(k, "")[:500] for k in ("unit", "name", "slug", "location")}
    try:
        unit = _unit_or_403(validate.record_id("unit", values["unit"]))
        name = validate.text("name", values["name"], max_len=validate.NAME_MAX)
        location = validate.text("location", values["location"], max_len=validate.LOCATION_MAX, required=False)
        slug = _slug_for(Room, name, values["slug"])
    except FieldError as exc:
        return _rooms_page(_errors(exc), values, 400)
    room = Room(unit_id=unit.id, name=name, slug=slug, location=location, active=True)
    db.session.add(room)
    db.session.flush()
    record("room-create", admin.label, address=_address(), unit_id=unit.id, room_id=room.id, name=name, slug=slug)
    db.session.commit()
    flash(t("admin.rooms.created", name=name), "status")
    return redirect(url_for("admin.rooms"), code=303)


@bp.get("/rooms/<int:room_id>")
def room_edit(room_id: int):
    room = _room_or_403(room_id)
    return render("admin/room.html", room=room, errors={}, values={"name": room.name, "location": room.location})


@bp.post("/rooms/<int:room_id>")
def room_update(room_id: int):
    """Rename a room or change where it is; its slug (in every URL) stays."""
    begin_write()  # read, then write: take SQLite's write lock first
    admin = _admin()
    room = _room_or_403(room_id)
    values = {k: request.form.get(k, "")[:500] for k in ("name", "location")}
    try:
        name = validate.text("name", values["name"], max_len=validate.NAME_MAX)
        location = validate.text("location", values["location"], max_len=validate.LOCATION_MAX, required=False)
    except FieldError as exc:
        return render("admin/room.html", room=room, errors=_errors(exc), values=values, status=400)
    changes = {}
    if name != room.name:
        changes.update(old_name=room.name, name=name)
    if location != room.location:
        changes.update(location=location)
    if changes:
        room.name, room.location = name, location
        room.version += 1
        record("room-update", admin.label, address=_address(), unit_id=room.unit_id, room_id=room.id, **changes)
        db.session.commit()
    flash(t("admin.saved"), "status")
    return redirect(url_for("admin.room_edit", room_id=room.id), code=303)


@bp.post("/rooms/<int:room_id>/active")
def room_active(room_id: int):
    """Deactivate (or bring back) a room: an inactive room takes no check-ins."""
    begin_write()  # read, then write: take SQLite's write lock first
    admin = _admin()
    room = _room_or_403(room_id)
    try:
        wanted = validate.choice("active", request.form.get("active"), ("0", "1")) == "1"
    except FieldError as exc:
        return error_response(400, exc.key)
    if wanted != room.active:
        room.active = wanted
        room.version += 1
        record("room-activate" if wanted else "room-deactivate", admin.label, address=_address(),
                   unit_id=room.unit_id, room_id=room.id)
        db.session.commit()
    flash(t("admin.rooms.activated" if wanted else "admin.rooms.deactivated", name=room.name), "status")
    return redirect(url_for("admin.room_edit", room_id=room.id), code=303)


# ---- tablets --------------------------------------------------------------------------------------


@bp.get("/tablets")
def tablets():
    return _tablets_page()


def _tablets_page(errors=None, status=200):
    admin = _admin()
    query = select(Tablet).order_by(Tablet.revoked_at.is_not(None), Tablet.unit_id, Tablet.kind, Tablet.id)
    if not admin.is_global:
        query = query.where(Tablet.unit_id == admin.unit_id)
    return render("admin/tablets.html", tablets=list(db.session.scalars(query)),
                  rooms=_visible_rooms(admin, active_only=True), units=_visible_units(admin),
                  errors=errors or {}, status=status)


@bp.post("/tablets/pair")
def tablet_pair():
    """A one-time pairing code for a door (a room) or a board (a unit), with its QR code."""
    admin = _admin()
    try:
        kind = validate.choice("kind", request.form.get("kind"), ("door", "board"))
        if kind == "door":
            room = _room_or_403(validate.record_id("room", request.form.get("room")))
            if not room.active:
                raise FieldError("room", "admin.tablets.inactive_room")
            unit = room.unit
        else:
            room = None
            unit = _unit_or_403(validate.record_id("unit", request.form.get("unit")))
    except FieldError as exc:
        return _tablets_page(_errors(exc), 400)
    code = pairing.new_code(kind, unit, room, actor=admin.label, address=_address())
    url = pairing.pairing_url(code)
    expires = clock.now() + timedelta(minutes=int(current_app.config["PAIRING_CODE_MINUTES"]))
    return render("admin/paired.html", kind=kind, room=room, unit=unit, code=pairing.format_code(code),
                  url=url, qr=_qr_svg(url), expires=expires)


def _qr_svg(url: str):
    """The pairing URL as an inline SVG QR code (no inline style; a title names it)."""
    import segno
    from markupsafe import Markup

    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=6, border=4, dark="#000", light="#fff", svgclass="qr-code", lineclass=None,
                        title=t("admin.tablets.qr_title"))
    return Markup(svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-title" ', 1)
                  .replace("<title>", '<title id="qr-title">', 1))


@bp.post("/tablets/<int:tablet_id>/revoke")
def tablet_revoke(tablet_id: int):
    """Unpair a tablet: at its next request it shows the revoked page and can do nothing."""
    admin = _admin()
    tablet = db.session.get(Tablet, tablet_id)
    if tablet is None:
        abort(404)
    _unit_or_403(tablet.unit_id)
    pairing.revoke(tablet.id, admin.label, _address())
    flash(t("admin.tablets.revoked", id=tablet.id), "status")
    return redirect(url_for("admin.tablets"), code=303)


# ---- open room sessions ---------------------------------------------------------------------------


@bp.get("/sessions")
def sessions():
    return _sessions_page()


def _sessions_page(errors=None, status=200, values=None):
    admin = _admin()
    query = (select(RoomSession, Room).join(Room, Room.id == RoomSession.room_id)
             .where(RoomSession.ended_at.is_(None)).order_by(RoomSession.started_at))
    if not admin.is_global:
        query = query.where(Room.unit_id == admin.unit_id)
    now = clock.now()
    rows = [service.state_of(room, session, now) for session, room in db.session.execute(query).all()]
    return render("admin/sessions.html", rows=rows, errors=errors or {}, values=values or {}, status=status)


@bp.post("/rooms/<int:room_id>/force-end")
def force_end(room_id: int):
    """Free a room whatever its state, with a reason (for the log; erased after the retention days)."""
    admin = _admin()
    room = _room_or_403(room_id)
    values = {"reason": request.form.get("reason", "")[:1000], "room": str(room.id)}
    try:
        reason = validate.text("reason", values["reason"], max_len=validate.REASON_MAX)
        session_id = validate.record_id("session", request.form.get("session"))
    except FieldError as exc:
        return _sessions_page({f"{room.id}-{exc.field}": t(exc.key, **exc.slots)}, 400, values)
    open_now = service.open_session(room.id)
    if open_now is None or open_now.id != session_id:
        db.session.rollback()
        return error_response(409, "admin.sessions.changed")
    try:
        service.force_end(room.id, Actor(admin.label, address=_address()), reason)
    except RoomError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.key)
    flash(t("admin.sessions.ended", room=room.name), "status")
    return redirect(url_for("admin.sessions"), code=303)


# ---- the event log ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EventFilter:
    """The event log's filter, checked: the page and the CSV share it."""

    rooms: list[Room]
    room_id: int | None
    kind: str
    start: date
    end: date

    def args(self) -> dict[str, str]:
        return {"room": str(self.room_id or ""), "kind": self.kind, "from": self.start.isoformat(),
                "to": self.end.isoformat()}


def _event_filter(admin: AdminUser) -> _EventFilter:
    """Room, kind and dates from the query string (FieldError on bad input;
    403 for a room of another unit, 400 for one that does not exist)."""
    rooms = _visible_rooms(admin)
    today = clock.now().astimezone(statistics.tz()).date()
    room_id = validate.record_id("room", request.args.get("room"), required=False)
    kind = validate.choice("kind", request.args.get("kind"), ("", *ALL_EVENT_KINDS))
    start = validate.day("from", request.args.get("from"), default=today - timedelta(days=30))
    end = validate.day("to", request.args.get("to"), default=today)
    if start > end:
        raise FieldError("to", "admin.field.range")
    if room_id is not None and room_id not in {r.id for r in rooms}:
        abort(error_response(400 if db.session.get(Room, room_id) is None else 403, "admin.error.other_unit"))
    return _EventFilter(rooms, room_id, kind, start, end)


def _event_query(admin: AdminUser, f: _EventFilter):
    zone = statistics.tz()
    query = select(Event).where(Event.at >= datetime.combine(f.start, time(0), zone),
                                Event.at < datetime.combine(f.end + timedelta(days=1), time(0), zone))
    if not admin.is_global:
        query = query.where(Event.unit_id == admin.unit_id)
    if f.room_id is not None:
        query = query.where(Event.room_id == f.room_id)
    if f.kind:
        query = query.where(Event.kind == f.kind)
    return query


@bp.get("/events")
def events():
    """The audit log, newest first: filter by room, kind and dates, 50 a page."""
    admin = _admin()
    try:
        f = _event_filter(admin)
        page = validate.page_number(request.args.get("page"))
    except FieldError as exc:
        return error_response(400, exc.key, **exc.slots)
    query = _event_query(admin, f)
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


class ExportSlots:
    """How many event-log exports stream at once in this worker process, and
    per account: a stream holds one of the worker's threads for as long as the
    client reads (a slow or stalled reader holds it indefinitely), so without a
    bound a few downloads take every thread and the door polls wait."""

    def __init__(self):
        self._lock = threading.Lock()
        self._running: Counter[int] = Counter()

    def take(self, account_id: int):
        """Take a slot: returns its release function (safe to call more than
        once), or the UI key of the refusal (a str) when none is free (429)."""
        config = current_app.config
        with self._lock:
            if self._running[account_id] >= int(config["EXPORTS_PER_ACCOUNT"]):
                return "admin.limit.export_account"
            if sum(self._running.values()) >= int(config["EXPORTS_AT_ONCE"]):
                return "admin.limit.export_instance"
            self._running[account_id] += 1
        released = threading.Event()

        def release() -> None:
            with self._lock:
                if released.is_set():
                    return
                released.set()
                self._running[account_id] -= 1
                if self._running[account_id] <= 0:
                    del self._running[account_id]

        return release


EXPORTS = ExportSlots()


@bp.get("/events.csv")
def events_csv():
    """The filtered event log as CSV for an auditor (oldest first, every row,
    streamed); the download itself is logged. At most ``statistics.MAX_DAYS``
    days, and at most EXPORTS_AT_ONCE downloads at once per worker process and
    EXPORTS_PER_ACCOUNT per account (429 beyond), so that downloads never take
    the threads the door polls need."""
    admin = _admin()
    try:
        f = _event_filter(admin)
        if (f.end - f.start).days >= statistics.MAX_DAYS:
            raise FieldError("to", "admin.stats.too_long", days=statistics.MAX_DAYS)
    except FieldError as exc:
        return error_response(400, exc.key, **exc.slots)
    release = EXPORTS.take(admin.id)
    if isinstance(release, str):
        return error_response(429, release)
    try:
        response = _events_csv_response(admin, f, release)
    except BaseException:
        release()
        raise
    # The server closes every response it served, sent, failed or cut off; the
    # stream also releases the slot itself when it ends.
    response.call_on_close(release)
    return response


def _events_csv_response(admin: AdminUser, f: _EventFilter, release):
    begin_write()
    record("events-export", admin.label, address=_address(), unit_id=None if admin.is_global else admin.unit_id,
               **{("event_kind" if k == "kind" else k): v for k, v in f.args().items() if v})
    db.session.commit()
    lang = current_lang()
    query = _event_query(admin, f).order_by(Event.at, Event.id)
    room_names = {r.id: r.name for r in db.session.scalars(select(Room))}
    names = {f"admin:{i}": email for i, email in db.session.execute(select(AdminUser.id, AdminUser.email)).all()}
    kind_name = {k: t(f"admin.events.kinds.{k}") for k in ALL_EVENT_KINDS}
    header = [t("admin.events.time"), t("admin.events.kind"), t("admin.csv.code"), t("admin.events.room"),
              t("admin.events.actor"), t("admin.csv.account"), t("admin.events.address"), t("admin.events.detail")]

    def rows():
        try:
            yield header
            for e in db.session.scalars(query.execution_options(yield_per=500)):
                yield [e.at.astimezone(statistics.tz()).isoformat(timespec="seconds"), kind_name.get(e.kind, e.kind),
                       e.kind, room_names.get(e.room_id, ""), e.actor, names.get(e.actor, ""), e.address, e.detail]
        finally:
            release()

    filename = f"{t('admin.csv.events_filename')}-{f.start.isoformat()}-{f.end.isoformat()}.csv"
    response = current_app.response_class(stream_with_context(statistics.csv_stream(rows(), lang)),
                                          mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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


# ---- statistics ------------------------------------------------------------------------------------------


def _stats_request():
    """The unit and date range asked for; a FieldError or 403 when they cannot be used."""
    admin = _admin()
    units = _visible_units(admin)
    if not units:
        raise FieldError("unit", "admin.stats.no_units")
    today = clock.now().astimezone(statistics.tz()).date()
    raw_unit = request.args.get("unit")
    unit_id = validate.record_id("unit", raw_unit, required=False)
    unit = _unit_or_403(unit_id) if unit_id is not None else units[0]
    end = validate.day("to", request.args.get("to"), default=today)
    start = validate.day("from", request.args.get("from"), default=end - timedelta(days=27))
    if start > end:
        raise FieldError("to", "admin.field.range")
    if (end - start).days >= statistics.MAX_DAYS:
        raise FieldError("to", "admin.stats.too_long", days=statistics.MAX_DAYS)
    return units, unit, start, end


def _stats_args(unit, start, end) -> dict:
    return {"unit": unit.id, "from": start.isoformat(), "to": end.isoformat()}


@bp.get("/stats")
def stats():
    """Video meetings per room and week, how they ended, checklists, overruns, median length."""
    if not _visible_units(_admin()):
        return render("admin/empty.html", title=t("admin.stats.title"), text=t("admin.stats.no_units"))
    try:
        units, unit, start, end = _stats_request()
    except FieldError as exc:
        return error_response(400, exc.key, **exc.slots)
    result = statistics.compute(unit, start, end)
    args = _stats_args(unit, start, end)
    return render("admin/stats.html", units=units, unit=unit, start=start, end=end, s=result,
                  total=result.total(), args=args, charts=statistics.CHARTS, outcomes=statistics.OUTCOMES,
                  end_reasons=statistics.END_REASONS, skip_reasons=service.SKIP_REASONS,
                  median=statistics.median, number=_number)


def _number(value: float) -> str:
    """One decimal in the page's language: 30,5 in Swedish, 30.5 in English."""
    from flask_babel import format_decimal

    return format_decimal(value, format="0.0")


@bp.get("/stats.csv")
def stats_csv():
    """The statistics as CSV (one row per week and room), for Excel."""
    admin = _admin()
    try:
        _units, unit, start, end = _stats_request()
    except FieldError as exc:
        return error_response(400, exc.key, **exc.slots)
    result = statistics.compute(unit, start, end)
    body = statistics.to_csv(result, t, service.SKIP_REASONS, current_lang())
    begin_write()
    record("stats-export", admin.label, address=_address(), unit_id=unit.id, start=start.isoformat(), end=end.isoformat())
    db.session.commit()
    response = current_app.response_class(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    filename = f"{t('admin.csv.filename')}-{unit.slug}-{start.isoformat()}-{end.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/stats/<chart>.svg")
def stats_chart(chart: str):
    """One chart as an SVG document of its own (its stylesheet allowed by hash)."""
    if chart not in statistics.CHARTS:
        abort(404)
    try:
        _units, unit, start, end = _stats_request()
    except FieldError as exc:
        return error_response(400, exc.key, **exc.slots)
    result = statistics.compute(unit, start, end)
    svg, style_sources = statistics.chart_svg(chart, result, t, service.SKIP_REASONS)
    response = current_app.response_class(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {style_sources}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
    response.vary.add("Cookie")
    return response


# ---- accounts ------------------------------------------------------------------------------------------


@bp.get("/accounts")
@global_required
def accounts():
    return _accounts_page()


def _accounts_page(errors=None, values=None, status=200):
    users = list(db.session.scalars(select(AdminUser).order_by(AdminUser.email)))
    failures = {u.id: ratelimit.account_failures(u.email) for u in users}
    return render("admin/accounts.html", users=users, units=_visible_units(_admin()), roles=ROLES,
                  failures=failures, errors=errors or {}, values=values or {}, status=status)


@bp.post("/accounts")
@global_required
def account_create():
    """A new administrator; the generated password is shown once, here."""
    admin = _admin()
    values = {k: request.form.get(k, "")[:500] for k in ("email", "role", "unit")}
    try:
        role = validate.choice("role", values["role"], ROLES)
        unit_id = validate.record_id("unit", values["unit"], required=role == UNIT) if role == UNIT else None
        password = auth.create_admin(values["email"], role, unit_id, actor=admin.label, address=_address())
    except FieldError as exc:
        db.session.rollback()
        return _accounts_page(_errors(exc), values, 400)
    email = validate.email("email", values["email"])
    return render("admin/account_created.html", email=email, password=password, reset=False)


@bp.post("/accounts/<int:admin_id>/active")
@global_required
def account_active(admin_id: int):
    """Deactivate (or bring back) an account; deactivating ends its sessions at once."""
    begin_write()  # read, then write: take SQLite's write lock first
    admin = _admin()
    user = db.session.get(AdminUser, admin_id)
    if user is None:
        abort(404)
    try:
        wanted = validate.choice("active", request.form.get("active"), ("0", "1")) == "1"
    except FieldError as exc:
        return error_response(400, exc.key)
    if user.id == admin.id and not wanted:
        return error_response(409, "admin.accounts.not_self")
    if wanted != user.active:
        user.active = wanted
        if not wanted:
            auth.end_sessions_of(user.id)
        record("admin-activate" if wanted else "admin-deactivate", admin.label, address=_address(),
                   unit_id=user.unit_id, account=user.id)
        db.session.commit()
    flash(t("admin.saved"), "status")
    return redirect(url_for("admin.accounts"), code=303)


@bp.post("/accounts/<int:admin_id>/unlock")
@global_required
def account_unlock(admin_id: int):
    """Forget an account's counted login failures from every address: its
    owner (or anyone) may try again at once (docs/admin.md)."""
    begin_write()  # read, then write: take SQLite's write lock first
    admin = _admin()
    user = db.session.get(AdminUser, admin_id)
    if user is None:
        abort(404)
    cleared = ratelimit.clear_account(user.email)
    record("admin-unlock", admin.label, address=_address(), unit_id=user.unit_id, account=user.id, failures=cleared)
    db.session.commit()
    flash(t("admin.accounts.unlocked", email=user.email), "status")
    return redirect(url_for("admin.accounts"), code=303)


# ---- my account: change my password; a global admin resets another's --------------------------------


@bp.get("/account")
def account():
    """The signed-in administrator's own account: who, which role, a new password."""
    return _account_page()


def _account_page(errors=None, status=200):
    return render("admin/account.html", user=_admin(), errors=errors or {}, status=status)


@bp.post("/account/password")
def account_password():
    """Change my own password (the current one first); my other sessions end."""
    admin = _admin()
    session = g.get("admin_session")
    form = request.form
    try:
        auth.change_own_password(admin, form.get("current", "")[:validate.PASSWORD_MAX + 1],
                                 form.get("new", "")[:validate.PASSWORD_MAX + 1],
                                 form.get("repeat", "")[:validate.PASSWORD_MAX + 1],
                                 session.id if session is not None else None, _address())
    except auth.PasswordLimited as exc:
        db.session.rollback()
        return _account_page({"current": t(exc.key, **exc.slots)}, 429)
    except FieldError as exc:
        db.session.rollback()
        return _account_page(_errors(exc), 400)
    flash(t("admin.account.changed"), "status")
    return redirect(url_for("admin.account"), code=303)


@bp.post("/accounts/<int:admin_id>/password")
@global_required
def account_reset(admin_id: int):
    """A new generated password for another account, shown once; its sessions end."""
    admin = _admin()
    if admin_id == admin.id:
        return error_response(409, "admin.accounts.reset_self")
    result = auth.reset_password(admin_id, admin.label, _address())
    if result is None:
        abort(404)
    user, password = result
    return render("admin/account_created.html", email=user.email, password=password, reset=True)
