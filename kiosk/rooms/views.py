"""Door panels, the reception board, pairing, and the polls that keep them live.

Views stay thin: find the room and the tablet, call the service, render.
Each action is a plain form POST (303 back to the panel) that htmx upgrades to
a fragment swap. Polls answer 204 when nothing changed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from sqlalchemy import and_, select

from .. import clock, ratelimit
from ..accounts import current_admin, may_see_unit
from ..bookings import service as bookings
from ..errors import error_response
from ..events import client_address
from ..extensions import db
from ..models import Room, RoomSession, Tablet, Unit
from ..render import is_htmx, render
from . import pairing, service
from .service import Actor, RoomError

bp = Blueprint("rooms", __name__)

DOOR = "rooms/door.html"
BOARD = "rooms/board.html"


# ---- who is asking ----------------------------------------------------------


def _address() -> str:
    return client_address()


def _actor(tablet: Tablet | None) -> Actor:
    if tablet is not None:
        return Actor(f"tablet:{tablet.id}", tablet_id=tablet.id, address=_address())
    return Actor("anonymous", address=_address())


def _room_or_404(slug: str) -> Room:
    room = db.session.scalar(select(Room).where(Room.slug == slug))
    if room is None:
        abort(404)
    return room


def _door_tablet(room: Room) -> Tablet:
    """The door tablet of this room, or a 403 (unpaired, revoked, another room's)."""
    tablet = pairing.current_tablet()
    if tablet is None or tablet.kind != "door" or tablet.room_id != room.id:
        abort(403)
    if tablet.revoked_at is not None:
        abort(_revoked_response())
    return tablet


def _revoked_response():
    response = render("rooms/revoked.html", status=403)
    response.headers["X-Kiosk-Fragment"] = "revoked"
    return response


def _fragment(response, kind: str):
    """Mark our own panel fragments, so the panel script never swaps anything else."""
    response.headers["X-Kiosk-Fragment"] = kind
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- pairing ----------------------------------------------------------------


@bp.route("/pair", methods=["GET", "POST"])
def pair():
    """Bind this browser to a room or unit with a one-time code."""
    code = request.values.get("code", "")[:40]
    if request.method == "GET":
        return render("rooms/pair.html", code=code, error=None)
    # At most PAIR_LIMIT_PER_MINUTE attempts a minute per address, counted in
    # the database so every worker and instance shares the count.
    if not ratelimit.allow(ratelimit.PAIR_ADDRESS, _address()):
        return render("rooms/pair.html", code=code, error="admin.limit.pair", status=429)
    try:
        tablet, token = pairing.redeem(code, _address())
    except pairing.PairingError as exc:
        return render("rooms/pair.html", code=code, error=exc.key, status=400)
    target = url_for("rooms.door") if tablet.kind == "door" else url_for("rooms.board")
    response = redirect(target, code=303)
    pairing.set_device_cookie(response, token)
    return response


# ---- the door panel ------------------------------------------------------------


@bp.get("/door")
def door():
    """A paired door tablet's home: its own room's panel."""
    tablet = pairing.current_tablet()
    if tablet is None:
        return redirect(url_for("rooms.pair"), code=303)
    if tablet.revoked_at is not None:
        return _revoked_response()
    if tablet.kind == "board":
        return redirect(url_for("rooms.board"), code=303)
    return redirect(url_for("rooms.door_panel", slug=tablet.room.slug), code=303)


def _door_context(room: Room, tablet: Tablet | None) -> dict:
    session = service.open_session(room.id)
    state = service.state_of(room, session)
    return {
        "room": room,
        "rs": state,
        "ticked": service.ticks(session),
        "show_clinician": room.unit.show_clinician,
        "poll_url": url_for("rooms.door_poll", slug=room.slug, v=_door_version(state)),
        "skip_reasons": service.SKIP_REASONS,
        "outcomes": service.OUTCOMES,
        "meeting_minutes": service.MEETING_MINUTES,
        "default_minutes": int(current_app.config["DEFAULT_MEETING_MINUTES"]),
        "extend_minutes": int(current_app.config["EXTEND_MINUTES"]),
    }


def _door_version(state: service.RoomState) -> str:
    return service.panel_version(state.room.version, state.overrun, current_app.extensions["kiosk_content"].version)


@bp.get("/rooms/<slug>/door")
def door_panel(slug: str):
    """The door panel: the room's state, the sign, and what can be done next."""
    room = _room_or_404(slug)
    tablet = _door_tablet(room)
    service.release_if_expired(room.id)
    g.renew_device_cookie = True
    return _fragment(render(DOOR, block="panel", **_door_context(room, tablet)), "door")


@bp.get("/rooms/<slug>/door/poll")
def door_poll(slug: str):
    """204 when the panel is current; else the new panel. One indexed read."""
    token = request.cookies.get(pairing.COOKIE)
    if not token:
        abort(403)
    row = db.session.execute(
        select(Tablet.id, Tablet.kind, Tablet.room_id, Tablet.revoked_at, Tablet.last_seen_at,
               Room.id, Room.version, RoomSession.state, RoomSession.expected_end, RoomSession.started_at,
               Room.bookings_due_at)
        .select_from(Tablet)
        .join(Room, Room.slug == slug)
        .outerjoin(RoomSession, and_(RoomSession.room_id == Room.id, RoomSession.ended_at.is_(None)))
        .where(Tablet.token_hash == hashlib.sha256(token.encode()).hexdigest())
    ).first()
    if row is None:
        # Unknown token, or no such room: let the full path give the right answer.
        return door_panel(slug)
    (tablet_id, kind, tablet_room, revoked, last_seen, room_id, version, state, expected_end, started,
     bookings_due) = row
    if kind != "door" or tablet_room != room_id:
        abort(403)
    if revoked is not None:
        return _revoked_response()
    now = clock.now()
    # An expired session, or a booking moment passed (kiosk/bookings): render, which writes it.
    expired = (started is not None and now >= started + service.max_session()) or bookings.is_due(bookings_due, now)
    current = service.panel_version(version, service.is_overrun(state, expected_end, now),
                                    current_app.extensions["kiosk_content"].version)
    _touch(tablet_id, last_seen, now)
    if request.args.get("v") == current and not expired:
        return _fragment(current_app.response_class(status=204), "door")
    return door_panel(slug)


def _touch(tablet_id: int, last_seen: datetime | None, now: datetime) -> None:
    if pairing.seen_long_ago(last_seen, now):
        tablet = db.session.get(Tablet, tablet_id)
        pairing.touch(tablet)
        g.renew_device_cookie = True


def _door_action(slug: str, action, *args, **kwargs):
    """Run one transition for the door tablet of room ``slug`` and answer it."""
    room = _room_or_404(slug)
    tablet = _door_tablet(room)
    try:
        action(room.id, _actor(tablet), *args, **kwargs)
    except RoomError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.key)
    if not is_htmx():
        return redirect(url_for("rooms.door_panel", slug=slug), code=303)
    db.session.expire_all()
    room = _room_or_404(slug)
    return _fragment(render(DOOR, block="panel", **_door_context(room, tablet)), "door")


def _int_field(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 4:
        raise RoomError("rooms.error.bad_minutes")
    return int(raw)


@bp.post("/rooms/<slug>/check-in")
def check_in(slug: str):
    try:
        minutes = _int_field("minutes")
    except RoomError as exc:
        return error_response(400, exc.key)
    return _door_action(slug, service.check_in, minutes=minutes,
                        name=request.form.get("name"), title=request.form.get("title"))


@bp.post("/rooms/<slug>/tick")
def tick(slug: str):
    on = request.form.get("on", "1") != "0"
    return _door_action(slug, service.tick, request.form.get("checklist", "")[:40],
                        request.form.get("item", "")[:60], on=on)


@bp.post("/rooms/<slug>/skip")
def skip(slug: str):
    reason = request.form.get("reason", "")[:40]
    return _door_action(slug, service.start_meeting, skip_reason=reason or "missing")


@bp.post("/rooms/<slug>/start")
def start(slug: str):
    return _door_action(slug, service.start_meeting)


@bp.post("/rooms/<slug>/extend")
def extend(slug: str):
    return _door_action(slug, service.extend)


@bp.post("/rooms/<slug>/end")
def end(slug: str):
    return _door_action(slug, service.end_meeting)


@bp.post("/rooms/<slug>/cancel")
def cancel(slug: str):
    return _door_action(slug, service.cancel)


@bp.post("/rooms/<slug>/finish")
def finish(slug: str):
    return _door_action(slug, service.finish, request.form.get("outcome", "")[:20])


# ---- the reception board --------------------------------------------------------


def _board_unit() -> Unit:
    """The unit whose board this is: a board tablet's own, or for an administrator
    the unit named by ?unit= (a unit manager's own unit by default)."""
    tablet = pairing.current_tablet()
    if tablet is not None and tablet.kind == "board":
        if tablet.revoked_at is not None:
            abort(_revoked_response())
        g.board_tablet = tablet
        return tablet.unit

    admin = current_admin()
    if admin is None:
        if tablet is not None and tablet.revoked_at is not None:
            abort(_revoked_response())
        abort(403)
    slug = request.args.get("unit", "")[:60]
    if slug:
        unit = db.session.scalar(select(Unit).where(Unit.slug == slug))
        if unit is None:
            abort(404)
    elif admin.unit_id is not None:
        unit = db.session.get(Unit, admin.unit_id)
    else:
        abort(redirect(url_for("admin.units"), code=303))  # a global admin picks a unit there
    if not may_see_unit(admin, unit.id):
        abort(403)
    g.board_admin_unit = unit.slug
    return unit


def _board_rows(unit: Unit):
    """Every active room of the unit with its state and its door tablet's health."""
    now = clock.now()
    rooms = db.session.scalars(select(Room).where(Room.unit_id == unit.id, Room.active.is_(True))
                               .order_by(Room.name)).all()
    sessions = {s.room_id: s for s in db.session.scalars(select(RoomSession).join(Room).where(
        Room.unit_id == unit.id, RoomSession.ended_at.is_(None)))}
    doors = db.session.scalars(select(Tablet).where(Tablet.unit_id == unit.id, Tablet.kind == "door",
                                                    Tablet.revoked_at.is_(None))).all()
    stale_after = pairing.LAST_SEEN_EVERY + 3 * _poll_interval()
    door_health: dict[int, bool] = {}
    for t in doors:
        alive = t.last_seen_at is not None and now - t.last_seen_at <= stale_after
        door_health[t.room_id] = door_health.get(t.room_id, False) or alive
    rows = []
    for room in rooms:
        state = service.state_of(room, sessions.get(room.id), now)
        rows.append({"rs": state, "has_door": room.id in door_health,
                     "door_alive": door_health.get(room.id, False)})
    return rows


def _poll_interval() -> timedelta:
    return timedelta(seconds=int(current_app.config["POLL_SECONDS"]))


def _board_version(rows) -> str:
    parts = [f"{r['rs'].room.id}:{r['rs'].version}:{int(r['door_alive'])}:{int(r['has_door'])}" for r in rows]
    parts.append(current_app.extensions["kiosk_content"].version)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@bp.get("/board")
def board():
    """The reception board: every video room of the unit, live."""
    unit = _board_unit()
    for room_id in db.session.scalars(select(RoomSession.room_id).join(Room).where(
            Room.unit_id == unit.id, RoomSession.ended_at.is_(None))).all():
        service.release_if_expired(room_id)
    rows = _board_rows(unit)
    version = _board_version(rows)
    poll_url = url_for("rooms.board_poll", v=version, unit=g.get("board_admin_unit"))
    return _fragment(render(BOARD, block="panel", unit=unit, rows=rows, poll_url=poll_url), "board")


@bp.get("/board/poll")
def board_poll():
    unit = _board_unit()
    tablet = g.get("board_tablet")
    if tablet is not None:
        _touch(tablet.id, tablet.last_seen_at, clock.now())
    rows = _board_rows(unit)
    if request.args.get("v") == _board_version(rows) and not any(
            service.is_expired(r["rs"].session, r["rs"].now) for r in rows):
        return _fragment(current_app.response_class(status=204), "board")
    return board()
