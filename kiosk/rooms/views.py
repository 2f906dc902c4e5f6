"""Door panels, the reception board, pairing, and the polls that keep them live.

Views stay thin: find the room and the tablet, call the service, render.
Each action is a plain form POST (303 back to the panel) that htmx upgrades to
a fragment swap. Polls answer 204 when nothing changed.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import clock, hours, ratelimit
from ..accounts import current_admin, may_see_unit
from ..checklists.ticks import TICK_VALUES
from ..errors import error_response
from ..events import client_address
from ..extensions import db
from ..bookings import service as bookings
from ..bookings import views_support as booking_views
from ..models import Booking, Event, Room, RoomSession, Tablet, Unit
from ..render import is_htmx, render, unchanged
from . import booking_forms, console, pairing, poll, service
from .service import Actor, BadInput, RoomError

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
    """The revoked page; a panel's poll is told to reload into it (HX-Refresh)."""
    response = render("rooms/revoked.html", status=403, refresh=True)
    response.headers["X-Kiosk-Fragment"] = "revoked"
    return response


def _fragment(response, kind: str):
    """Mark our own panel fragments, so the panel script never swaps anything else."""
    response.headers["X-Kiosk-Fragment"] = kind
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- pairing ----------------------------------------------------------------


def _redeem_code(template: str, redeem, refused: type[Exception]):
    """A one-time code typed into a form (pairing a tablet, claiming a console):
    ``(redeem's result, None)``, or ``(None, the form again with the reason)``.

    At most PAIR_LIMIT_PER_MINUTE attempts a minute per address for both forms,
    counted in the database so every worker and instance shares the count: a
    six-character code cannot be guessed at 10 a minute."""
    code = request.values.get("code", "")[:40]
    if not ratelimit.allow(ratelimit.PAIR_ADDRESS, _address()):
        return None, render(template, code=code, error="admin.limit.pair", status=429)
    try:
        return redeem(code, _address()), None
    except refused as exc:
        return None, render(template, code=code, error=exc.key, status=400)


@bp.route("/pair", methods=["GET", "POST"])
def pair():
    """Bind this browser to a room or unit with a one-time code."""
    if request.method == "GET":
        return render("rooms/pair.html", code=request.values.get("code", "")[:40], error=None)
    redeemed, refusal = _redeem_code("rooms/pair.html", pairing.redeem, pairing.PairingError)
    if refusal is not None:
        return refusal
    tablet, token = redeemed
    target = {"door": "rooms.door", "board": "rooms.board", "console": "rooms.console_home"}[tablet.kind]
    response = redirect(url_for(target), code=303)
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
    if tablet.kind == "console":
        return redirect(url_for("rooms.console_home"), code=303)
    return redirect(url_for("rooms.door_panel", slug=tablet.room.slug), code=303)


def _door_context(room: Room, tablet: Tablet | None) -> dict:
    session = service.open_session(room.id)
    state = service.state_of(room, session)
    return {
        **_console_context(room, session),
        "surface": "door",
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
        # issue 15: outside the unit's opening hours a free room's door sleeps (rooms/_night.html).
        "night": hours.night(room.unit.opening_hours, session is not None, state.now),
        "night_name": room.name,
        "manifest_url": url_for("rooms.door_manifest", slug=room.slug) if tablet is not None else None,
    }


def _door_version(state: service.RoomState) -> str:
    version = service.panel_version(state.room.version, state.overrun, current_app.extensions["kiosk_content"].version)
    # issue 15: the night screen's part (the same rule as poll.decide).
    return version + hours.version_suffix(state.room.unit.opening_hours, state.session is not None, state.now)


@bp.get("/rooms/<slug>/door")
def door_panel(slug: str):
    """The door panel: the room's state, the sign, and what can be done next."""
    room = _room_or_404(slug)
    tablet = _door_tablet(room)
    service.release_if_expired(room.id)
    g.renew_device_cookie = True
    response = _fragment(render(DOOR, block="panel", **_door_context(room, tablet)), "door")
    return response if is_htmx() else offline.keep_offline(response)  # issue 15: the offline start


@bp.get("/rooms/<slug>/door/poll")
def door_poll(slug: str):
    """204 when the panel is current; else the new panel. Usually answered by
    the fast path before Flask; this view answers whatever reaches it."""
    token = request.cookies.get(pairing.COOKIE)
    if not token:
        abort(403)
    row = db.session.execute(poll.QUERY, {"slug": slug, "token": hashlib.sha256(token.encode()).hexdigest()}).first()
    verdict = poll.decide(row, request.args.get("v"), clock.now(), current_app.extensions["kiosk_content"].version,
                          service.max_session())
    if verdict.answer == poll.UNKNOWN:
        return door_panel(slug)  # unknown token, or no such room: the full path says which
    if verdict.answer == poll.FORBIDDEN:
        abort(403)
    if verdict.answer == poll.REVOKED:
        return _revoked_response()
    if verdict.last_seen_due:
        pairing.touch(db.session.get(Tablet, verdict.tablet_id))
        g.renew_device_cookie = True
    if verdict.answer == poll.UNCHANGED:
        return _fragment(unchanged(), "door")
    return door_panel(slug)


def _touch(tablet_id: int, last_seen: datetime | None, now: datetime) -> None:
    if pairing.seen_long_ago(last_seen, now):
        tablet = db.session.get(Tablet, tablet_id)
        pairing.touch(tablet)
        g.renew_device_cookie = True


def _take_step(slug: str, room_id: int, actor: Actor, page: str, action, args, kwargs):
    """Run one transition of the room; the refusal, or a plain form's redirect
    to ``page``, or None when the caller answers htmx with its panel."""
    try:
        action(room_id, actor, *args, **kwargs)
    except RoomError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.key)
    if not is_htmx():
        return redirect(url_for(page, slug=slug), code=303)
    db.session.expire_all()
    return None


def _door_action(slug: str, action, *args, **kwargs):
    """Run one transition for the door tablet of room ``slug`` and answer it."""
    room = _room_or_404(slug)
    tablet = _door_tablet(room)
    before = _state_name(room)
    refused_or_sent = _take_step(slug, room.id, _actor(tablet), "rooms.door_panel", action, args, kwargs)
    if refused_or_sent is not None:
        return refused_or_sent
    room = _room_or_404(slug)
    context = _door_context(room, tablet)
    return _fragment(render(DOOR, block="panel", focus_heading=context["rs"].state != before, **context), "door")


def _state_name(room: Room) -> str:
    """The room's state before an action: if the action changes it, the control
    that was used is gone, so the new state's heading takes the focus (autofocus,
    which htmx honours after a swap); otherwise htmx keeps it on the control."""
    session = service.open_session(room.id)
    return session.state if session else service.FREE


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

    def check_in_and_show_code(room_id: int, actor: Actor):
        service.check_in(room_id, actor, minutes=minutes, name=request.form.get("name"),
                         title=request.form.get("title"))
        # A room whose computer is paired as its console needs no code.
        if not console.has_console_tablet(room_id):
            console.new_code(room_id, actor)

    return _door_action(slug, check_in_and_show_code)


@bp.post("/rooms/<slug>/start")
def start(slug: str):
    return _door_action(slug, service.start_meeting)


@bp.post("/rooms/<slug>/console-code")
def console_code(slug: str):
    """The door shows a new code for the visit's console (the last one expired)."""
    return _door_action(slug, console.new_code)


# ---- the room console ------------------------------------------------------------

CONSOLE = "rooms/console.html"


def _console_context(room: Room, session: RoomSession | None) -> dict:
    """What door, console and board say about the room's console."""
    attached = console.has_console_tablet(room.id) or console.claimed(session)
    code = None if attached or session is None else console.shown_code(session)
    done, total = console.readiness_progress(session)
    context = {"console_attached": attached, "console_code": None, "console_code_expired": False,
               "readiness_done": done, "readiness_total": total}
    if code is not None and clock.now() < code.expires_at:
        url = _console_claim_url(code.code)
        context.update(console_code=console.format_code(code.code), console_code_until=code.expires_at,
                       console_url=url, console_qr=_qr_svg(url))
    elif session is not None and not attached:
        context["console_code_expired"] = True
    return context


def _console_claim_url(code: str) -> str:
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    return f"{base}{url_for('rooms.console_home')}?code={console.format_code(code)}"


def _qr_svg(url: str):
    """The claim address as an inline SVG QR code (no inline style; a title names it)."""
    import segno
    from markupsafe import Markup

    from ..i18n import t

    svg = segno.make(url, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff",
                                                svgclass="qr-code", lineclass=None, title=t("console.qr_title"))
    return Markup(svg.replace("<svg ", '<svg role="img" aria-labelledby="console-qr-title" ', 1)
                  .replace("<title>", '<title id="console-qr-title">', 1))


def _current_console(room: Room) -> console.Console:
    """This browser as the console of ``room``, or a 403 (not a console, another room's)."""
    tablet = pairing.current_tablet()
    if tablet is not None and tablet.kind == "console" and tablet.room_id == room.id:
        if tablet.revoked_at is not None:
            abort(_revoked_response())
        return console.Console(Actor(f"console:{tablet.id}", tablet_id=tablet.id, address=_address()), None)
    bound = console.binding()
    if bound is not None and bound.room_id == room.id:
        return console.Console(Actor(f"console-code:{bound.id}", address=_address()), bound.session_id)
    abort(403)


def _console_ended(who: console.Console, session: RoomSession | None) -> bool:
    """A console bound to one visit whose session is over: it may do nothing more."""
    return who.session_id is not None and (session is None or session.id != who.session_id)


def _console_panel(room: Room, who: console.Console, status: int = 200, state_before: str | None = None):
    session = service.open_session(room.id)
    state = service.state_of(room, session)
    ended = _console_ended(who, session)
    context = {
        **_door_context(room, None),
        "room_checklists": {} if ended else _console_checklists(room, state.state, who),
        "room_guides": ROOM_GUIDES,
        "focus_heading": state_before is not None and (ended or state.state != state_before),
        "surface": "console",
        "ended": ended,
        "permanent": who.session_id is None,
        "poll_url": url_for("rooms.console_poll", slug=room.slug, v=_door_version(state)),
    }
    return _fragment(render(CONSOLE, block="panel", status=status, **context), "console")


# The checklists the console shows in each state, beside the readiness list: the
# start of the meeting and who takes part (R5-R9, R22-R25) while it runs, the
# ending with teach-back (R35-R36) in wrap-up.
CONSOLE_CHECKLISTS = {service.MEETING: ("meeting-start", "identity"), service.WRAPUP: ("ending",)}


def _console_checklists(room: Room, state: str, who: console.Console) -> dict:
    """The state's checklists, each rendered by the checklists' own component
    (kiosk/templates/checklists/_checklist.html with checklists.views'
    context) over the room session's ticks: a tick posts to the checklist
    route, which keeps it on the room session for a console (rooms/stores.py)."""
    from markupsafe import Markup

    from ..checklists.views import COMPONENT, checklist_context
    from ..i18n import content
    from .stores import RoomTicks

    store = RoomTicks(room.id, who.actor)
    found = content().checklists
    return {key: Markup(render_template(COMPONENT, **checklist_context(found[key], store)))
            for key in CONSOLE_CHECKLISTS.get(state, ()) if key in found}


# The guides a visit may need while it runs (R26-R28 no-show, R37-R39 connection
# and a broken call), opened from the console or the door inside the kiosk view.
ROOM_GUIDES = ("no-show", "connection-problems", "call-broken")
ROOM_GUIDE = "rooms/console_guide.html"


def _room_guide(room: Room, key: str, surface: str, ended: bool = False):
    """One guide in the kiosk view of a door or a console: no staff menu, a way
    back to the panel; the no-show guide with its live panel on the room
    session (the guides' own panel and routes, kept on the room by rooms/stores.py)."""
    from jinja2_fragments.flask import render_block
    from markupsafe import Markup

    from ..guides import views as guides
    from ..i18n import content

    if key not in ROOM_GUIDES:
        abort(404)
    c = content()
    guide = c.guides.get(key)
    if guide is None:
        abort(404)
    panel_url = url_for("rooms.console_page" if surface == "console" else "rooms.door_panel", slug=room.slug)
    context = {"room": room, "guide": guide, "surface": surface, "panel_url": panel_url, "ended": ended,
               "previews": guides.script_previews(c, guide), "no_show": None,
               "idle_seconds": int(current_app.config["DOOR_GUIDE_IDLE_SECONDS"]) if surface == "door" else 0}
    if key == "no-show" and not ended:
        current = guides.current_flow(c)
        if is_htmx() and current.phase == "waiting" and request.args.get("shown") == current.token:
            return unchanged()
        context["no_show"] = Markup(render_block("guides/no_show.html", "panel", **guides.no_show_context(c, current)))
    response = render(ROOM_GUIDE, **context)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/rooms/<slug>/console/guides/<key>")
def console_guide(slug: str, key: str):
    """A guide on the console, inside the console's own page."""
    room = _room_or_404(slug)
    who = _current_console(room)
    return _room_guide(room, key, "console", ended=_console_ended(who, service.open_session(room.id)))


@bp.get("/rooms/<slug>/door/guides/<key>")
def door_guide(slug: str, key: str):
    """A guide opened from the door: the kiosk view, never a staff page; it
    returns to the panel by itself after DOOR_GUIDE_IDLE_SECONDS without a touch."""
    room = _room_or_404(slug)
    _door_tablet(room)
    return _room_guide(room, key, "door")


@bp.route("/console", methods=["GET", "POST"])
def console_home():
    """Claim a visit's console with the door's code; a bound console goes to its room."""
    tablet = pairing.current_tablet()
    if tablet is not None and tablet.kind == "console" and tablet.revoked_at is None:
        return redirect(url_for("rooms.console_page", slug=tablet.room.slug), code=303)
    if request.method == "GET":
        bound = console.binding()
        if bound is not None:
            return redirect(url_for("rooms.console_page", slug=db.session.get(Room, bound.room_id).slug), code=303)
        return render("rooms/console_claim.html", code=request.values.get("code", "")[:40], error=None)
    redeemed, refusal = _redeem_code("rooms/console_claim.html", console.claim, console.ClaimError)
    if refusal is not None:
        return refusal
    row, token = redeemed
    response = redirect(url_for("rooms.console_page", slug=db.session.get(Room, row.room_id).slug), code=303)
    console.set_cookie(response, token)
    return response


@bp.get("/rooms/<slug>/console")
def console_page(slug: str):
    """The room console: the whole visit, run from the computer in the room."""
    room = _room_or_404(slug)
    who = _current_console(room)
    service.release_if_expired(room.id)
    return _console_panel(room, who)


@bp.get("/rooms/<slug>/console/poll")
def console_poll(slug: str):
    """204 while the console shows the current state; else the new panel."""
    room = _room_or_404(slug)
    _current_console(room)
    state = service.state_of(room, service.open_session(room.id))
    if (request.args.get("v") == _door_version(state) and not service.is_expired(state.session, state.now)
            and not bookings.is_due(room.bookings_due_at, state.now)):  # the room's day moved (issue 13)
        return _fragment(unchanged(), "console")
    return console_page(slug)


def _console_action(slug: str, action, *args, **kwargs):
    """Run one transition from the room's console and answer with its panel."""
    room = _room_or_404(slug)
    who = _current_console(room)
    if _console_ended(who, service.open_session(room.id)):
        return error_response(409, "console.ended")
    before = _state_name(room)
    refused_or_sent = _take_step(slug, room.id, who.actor, "rooms.console_page", action, args, kwargs)
    if refused_or_sent is not None:
        return refused_or_sent
    return _console_panel(_room_or_404(slug), who, state_before=before)


def _tick_action(room_id: int, actor: Actor):
    """Mark one item (``ticked`` = 1, 0 or na: the checklists' one tick protocol);
    checked after the caller, so a stranger learns nothing about the input."""
    raw = request.form.get("ticked", "")
    if raw not in TICK_VALUES:
        raise BadInput("checklists.errors.bad_value")
    wanted = TICK_VALUES[raw]
    return service.tick(room_id, actor, request.form.get("checklist", "")[:40],
                        request.form.get("item", "")[:60], on=wanted is not None, state=wanted or "done")


@bp.post("/rooms/<slug>/console/check-in")
def console_check_in(slug: str):
    """A permanently paired console checks in itself (no code needed)."""
    room = _room_or_404(slug)
    if _current_console(room).session_id is not None:
        return error_response(409, "console.ended")
    try:
        minutes = _int_field("minutes")
    except RoomError as exc:
        return error_response(400, exc.key)
    return _console_action(slug, service.check_in, minutes=minutes,
                           name=request.form.get("name"), title=request.form.get("title"))


# ---- the meeting's steps: one table for the door and the console --------------------


def _no_arguments() -> tuple[tuple, dict]:
    return (), {}


def _skip_arguments() -> tuple[tuple, dict]:
    return (), {"skip_reason": request.form.get("reason", "")[:40] or "missing"}


def _finish_arguments() -> tuple[tuple, dict]:
    return (request.form.get("outcome", "")[:20],), {}


# name: (the state machine's step, the form's arguments for it). The door answers
# POST /rooms/SLUG/NAME (endpoint NAME), the console POST /rooms/SLUG/console/NAME
# (endpoint console_NAME): the step is the same, who may take it and the answer differ.
MEETING_STEPS = {
    "tick": (_tick_action, _no_arguments),
    "skip": (service.start_meeting, _skip_arguments),
    "extend": (service.extend, _no_arguments),
    "end": (service.end_meeting, _no_arguments),
    "cancel": (service.cancel, _no_arguments),
    "finish": (service.finish, _finish_arguments),
}


def _step_view(answer, action, arguments):
    def view(slug: str):
        args, kwargs = arguments()
        return answer(slug, action, *args, **kwargs)
    return view


for _name, (_action, _arguments) in MEETING_STEPS.items():
    bp.add_url_rule(f"/rooms/<slug>/{_name}", _name, _step_view(_door_action, _action, _arguments),
                    methods=["POST"])
    bp.add_url_rule(f"/rooms/<slug>/console/{_name}", f"console_{_name}",
                    _step_view(_console_action, _action, _arguments), methods=["POST"])


# ---- the console's bookings: the room's day, book, move, cancel (issue 13) ---------

CONSOLE_BOOKINGS = "rooms/console_bookings.html"


def _console_bookings_page(room: Room, label: str, status: int = 200, error: str | None = None, slots=None,
                           form=None):
    """The room's day from its console: book it later today or another day (a
    follow-up); the bookings this console (``label``) made can be changed."""
    session = service.open_session(room.id)
    state = service.state_of(room, session)
    context = booking_forms.page_context(room, session, state.now)
    mine = {b.id for b in [*context["day"].bookings, *context["coming"]] if b.created_by == label}
    context.update(rs=state, mine=mine, error=error, error_slots=slots or {}, form=form or {})
    return _fragment(render(CONSOLE_BOOKINGS, block="panel", status=status, **context), "console-bookings")


@bp.get("/rooms/<slug>/console/bookings")
def console_bookings(slug: str):
    """The room's day and its booking forms, opened from the console."""
    room = _room_or_404(slug)
    who = _current_console(room)
    service.release_if_expired(room.id)
    if _console_ended(who, service.open_session(room.id)):
        return redirect(url_for("rooms.console_page", slug=slug), code=303)  # it says the visit is over
    return _console_bookings_page(room, who.actor.label)


def _made_elsewhere(room: Room, raw_id: str | None, label: str) -> bool:
    """A manual booking of this room that another surface made. Anyone who passes
    the door may check in and claim a visit's console, so a console moves and
    cancels only what it booked itself; reception, an administrator or the one
    who booked change the rest. (An unknown id or another room's booking is the
    service's 404, a calendar's booking its 409.)"""
    if raw_id is None or not raw_id.isdigit() or len(raw_id) > 12:
        return False
    booking = db.session.get(Booking, int(raw_id))
    return (booking is not None and booking.room_id == room.id and booking.source == "manual"
            and booking.created_by != label)


def _console_booking_action(slug: str, _kind: str, change, booking_id: str | None):
    """A booking change from this room's console (the console is the actor)."""
    room = _room_or_404(slug)
    who = _current_console(room)
    if _console_ended(who, service.open_session(room.id)):
        return error_response(409, "console.ended")
    if _made_elsewhere(room, booking_id, who.actor.label):
        return error_response(403, "bookings.console.not_yours")
    url, label = url_for("rooms.console_bookings", slug=slug), who.actor.label

    def page(fresh: Room, **refused):
        return _console_bookings_page(fresh, label, **refused)

    return booking_forms.act(room, who.actor, change, lambda **refused: page(_room_or_404(slug), **refused),
                             lambda r: booking_forms.after_change(r, url, page))


# POST /rooms/<slug>/console/bookings, .../bookings/<booking_id>/move and .../cancel
booking_forms.add_routes(bp, "/rooms/<slug>/console", ("console_book", "console_booking_move",
                                                        "console_booking_cancel"), _console_booking_action)


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


def _natural(room: Room):
    """Videorum 2 before Videorum 10."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", room.name)], room.id


def _board_rows(unit: Unit, with_day: bool = False):
    """Every active room of the unit with its state and its door tablet's health
    (and, for rendering, its day: the timeline, the free slots)."""
    now = clock.now()
    rooms = sorted(db.session.scalars(select(Room).where(Room.unit_id == unit.id, Room.active.is_(True))).all(),
                   key=_natural)
    sessions = {s.room_id: s for s in db.session.scalars(select(RoomSession).join(Room).where(
        Room.unit_id == unit.id, RoomSession.ended_at.is_(None)))}
    doors = db.session.scalars(select(Tablet).where(Tablet.unit_id == unit.id, Tablet.kind == "door",
                                                    Tablet.revoked_at.is_(None))).all()
    # A door that answered within the last three poll intervals is never flagged:
    # an action at the door (its events) counts as an answer as much as a poll does.
    answered = set(db.session.scalars(select(Event.tablet_id).where(
        Event.tablet_id.in_([t.id for t in doors] or [-1]), Event.at >= now - 3 * _poll_interval())).all())
    door_health: dict[int, bool] = {}
    for t in doors:
        alive = pairing.heard_recently(t.last_seen_at, now) or t.id in answered
        door_health[t.room_id] = door_health.get(t.room_id, False) or alive
    rows = []
    for room in rooms:
        state = service.state_of(room, sessions.get(room.id), now)
        session = sessions.get(room.id)
        done, total = console.readiness_progress(session)
        row = {"rs": state, "has_door": room.id in door_health,
               "door_alive": door_health.get(room.id, False), "readiness_done": done,
               "readiness_total": total,
               "console": session is not None and (console.has_console_tablet(room.id)
                                                   or console.claimed(session))}
        if with_day:
            day = bookings.day_of(room.id, now, session, session_known=True)
            row.update(day=day, timeline=booking_views.timeline(day, session))
        rows.append(row)
    return rows


def _poll_interval() -> timedelta:
    return timedelta(seconds=int(current_app.config["POLL_SECONDS"]))


def _board_night(unit: Unit, rows) -> hours.Night | None:
    """issue 15: the board sleeps outside the unit's hours while no room is in use."""
    return hours.night(unit.opening_hours, any(r["rs"].session is not None for r in rows), clock.now())


def _board_version(rows, unit: Unit | None = None) -> str:
    parts = [f"{r['rs'].room.id}:{r['rs'].version}:{int(r['door_alive'])}:{int(r['has_door'])}:{int(r['console'])}"
             for r in rows]
    parts.append(current_app.extensions["kiosk_content"].version)
    if unit is not None:  # issue 15: the night screen's part
        parts.append(hours.version_suffix(unit.opening_hours, any(r["rs"].session is not None for r in rows),
                                          clock.now()))
    # The timelines' now-line and the next free slots move with the clock: every 5 minutes.
    now = clock.now()
    parts.append(now.strftime("%Y%m%d%H") + str(now.minute // 5))
    parts.append(request.args.get("free", ""))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _release_due(unit: Unit) -> None:
    """Bring the unit's rooms up to date: expired sessions, and bookings whose day
    changed by time (an unclaimed booking to release, one about to start)."""
    now = clock.now()
    due = set(db.session.scalars(select(RoomSession.room_id).join(Room).where(
        Room.unit_id == unit.id, RoomSession.ended_at.is_(None))).all())
    due |= set(db.session.scalars(select(Room.id).where(Room.unit_id == unit.id, Room.bookings_due_at <= now)).all())
    for room_id in sorted(due):
        service.release_if_expired(room_id)


def _free_filter() -> int | None:
    """The board's filter "free now for at least N minutes" (?free=30), or None."""
    raw = request.args.get("free", "")[:4]
    if not raw:
        return None
    if not raw.isdigit() or int(raw) not in bookings.SLOT_MINUTES:
        abort(error_response(400, "bookings.error.bad_length"))
    return int(raw)


def _board_size(count: int) -> str:
    """How dense the board's cards are: every room fits one screen (issue 12)."""
    return "s" if count <= 4 else "m" if count <= 12 else "l" if count <= 24 else "xl"


@bp.get("/board")
def board():
    """The reception board: every video room of the unit, live, with its day."""
    unit = _board_unit()
    free = _free_filter()
    _release_due(unit)
    rows = _board_rows(unit, with_day=True)
    version = _board_version(rows, unit)
    shown = [r for r in rows if free is None or r["day"].free_now_for(free)]
    poll_url = url_for("rooms.board_poll", v=version, unit=g.get("board_admin_unit"), free=free)
    night = {"night": _board_night(unit, rows), "night_name": unit.name,  # issue 15
             "manifest_url": url_for("rooms.board_manifest") if g.get("board_tablet") else None}
    response = _fragment(render(BOARD, block="panel", unit=unit, rows=shown, all_rows=rows, free=free,
                                size=_board_size(len(rows)), slot_minutes=bookings.SLOT_MINUTES,
                                poll_url=poll_url, board_unit=g.get("board_admin_unit"), **night), "board")
    # issue 15: a board tablet's page may be kept for an offline start (an admin's view never)
    return offline.keep_offline(response) if g.get("board_tablet") and not is_htmx() else response


@bp.get("/board/poll")
def board_poll():
    unit = _board_unit()
    _free_filter()
    tablet = g.get("board_tablet")
    now = clock.now()
    if tablet is not None:
        _touch(tablet.id, tablet.last_seen_at, now)
    rows = _board_rows(unit)
    if request.args.get("v") == _board_version(rows, unit) and not any(
            service.is_expired(r["rs"].session, r["rs"].now) or bookings.is_due(r["rs"].room.bookings_due_at, now)
            for r in rows):
        return _fragment(unchanged(), "board")
    return board()


# ---- the board: one room's day, booking and check-in from reception (issue 13) --------

BOARD_ROOM = "rooms/board_room.html"


def _board_room(slug: str) -> tuple[Unit, Room]:
    """A room of this board's unit; another unit's room is a 403."""
    unit = _board_unit()
    room = _room_or_404(slug)
    if room.unit_id != unit.id:
        abort(403)
    return unit, room


def _board_actor() -> Actor:
    tablet = g.get("board_tablet")
    if tablet is not None:
        return Actor(f"board:{tablet.id}", tablet_id=tablet.id, address=_address())
    return Actor(current_admin().label, address=_address())


def _board_room_page(room: Room, status: int = 200, error: str | None = None, slots=None, form=None):
    session = service.open_session(room.id)
    state = service.state_of(room, session)
    day = bookings.day_of(room.id, state.now, session, session_known=True)
    context = {
        "surface": "board-room", "room": room, "rs": state, "day": day,
        "timeline": booking_views.timeline(day, session),
        "terms": bookings.check_in_terms(room.id, state.now) if session is None else None,
        "board_unit": g.get("board_admin_unit"), "show_clinician": True,
        "meeting_minutes": service.MEETING_MINUTES, "slot_minutes": bookings.SLOT_MINUTES,
        "default_minutes": int(current_app.config["DEFAULT_MEETING_MINUTES"]),
        "error": error, "error_slots": slots or {}, "form": form or {},
        "today": bookings.local_date(state.now).isoformat(),
    }
    return _fragment(render(BOARD_ROOM, block="panel", status=status, **context), "board-room")


@bp.get("/board/rooms/<slug>")
def board_room(slug: str):
    """One room's day on the board: its bookings, book, move, cancel, check in."""
    _unit, room = _board_room(slug)
    service.release_if_expired(room.id)
    return _board_room_page(room)


def _after_board_change(room: Room):
    url = url_for("rooms.board_room", slug=room.slug, unit=g.get("board_admin_unit"))
    return booking_forms.after_change(room, url, _board_room_page)


def _board_booking_action(slug: str, _kind: str, change, _booking_id):
    """Reception books (a holder's name and title are optional; never a patient), moves, cancels."""
    _unit, room = _board_room(slug)
    return booking_forms.act(room, _board_actor(), change,
                             lambda **refused: _board_room_page(_room_or_404(slug), **refused), _after_board_change)


# POST /board/rooms/<slug>/bookings, .../bookings/<booking_id>/move and .../cancel
booking_forms.add_routes(bp, "/board/rooms/<slug>", ("board_book", "board_move", "board_cancel"),
                         _board_booking_action)


@bp.post("/board/rooms/<slug>/check-in")
def board_check_in(slug: str):
    """Reception checks a clinician into a free room (claiming the booking in its
    window); the door follows within a poll and shows the console code."""
    def check_in_here(room: Room, actor: Actor):
        try:
            minutes = _int_field("minutes")
        except RoomError as exc:
            raise BadInput(exc.key) from None
        service.check_in(room.id, actor, minutes=minutes, name=request.form.get("name"),
                         title=request.form.get("title"))
        if not console.has_console_tablet(room.id):
            console.new_code(room.id, actor)
    return _board_booking_action(slug, "check-in", check_in_here, None)


# issue 15: the service worker's route and the tablets' manifests (on this blueprint).
from . import offline  # noqa: E402
