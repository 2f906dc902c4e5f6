"""What the door panel and the room console share: what they say about the
room and its console, the version their polls compare, one step of the state
machine taken from a form, the room's guides in the kiosk view, and a
one-time code typed into a form (pairing a tablet, claiming a console).

Each action is a plain form POST (303 back to the panel) that htmx upgrades to
a fragment swap; the surfaces' own modules say who may act and what answers.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for

from .. import clock, hours, ratelimit, validate
from ..bookings import day as bookings_day
from ..errors import error_response
from ..events import client_address
from ..extensions import db
from ..forms import CheckInForm
from ..i18n import t
from ..models import Room, RoomSession
from ..render import is_htmx, render, unchanged
from . import console, faults, service
from .access import Console
from .service import Actor, RoomError

# The guides a visit may need while it runs (R26-R28 no-show, R37-R39 connection
# and a broken call), opened from the console or the door inside the kiosk view.
ROOM_GUIDES = ("no-show", "connection-problems", "call-broken")
ROOM_GUIDE = "rooms/console_guide.html"

# The checklists the console shows in each state, beside the readiness list: the
# start of the meeting and who takes part (R5-R9, R22-R25) while it runs, the
# ending with teach-back (R35-R36) in wrap-up.
CONSOLE_CHECKLISTS = {service.MEETING: ("meeting-start", "identity"), service.WRAPUP: ("ending",)}


# ---- what the panels show ----------------------------------------------------------


def door_context(room: Room, session: RoomSession | None, with_manifest: bool) -> dict:
    """Everything the door panel shows of the room (the console shows it too);
    ``session`` is the room's open session as the caller read it."""
    state = service.state_of(room, session)
    marked = service.marks(session)
    ticked = set(marked)
    return {
        **console_context(room, session, ticked),
        "surface": "door",
        "room": room,
        "rs": state,
        "ticked": ticked,
        "marked": marked,  # ticked, with each item's mark (the console's checklists)
        "show_clinician": room.unit.show_clinician,
        "sign_english": room.unit.door_sign_english,
        "poll_url": url_for("rooms.door_poll", slug=room.slug, v=panel_version(state)),
        "skip_reasons": service.SKIP_REASONS,
        "outcomes": service.OUTCOMES,
        "meeting_minutes": service.MEETING_MINUTES,
        "default_minutes": int(current_app.config["DEFAULT_MEETING_MINUTES"]),
        "extend_minutes": int(current_app.config["EXTEND_MINUTES"]),
        # Outside the unit's opening hours a free room's door sleeps (rooms/_night.html).
        "night": hours.night(room.unit.opening_hours, session is not None, state.now),
        "night_name": room.name,
        "manifest_url": url_for("rooms.door_manifest", slug=room.slug) if with_manifest else None,
    }


def day_and_faults(state: service.RoomState, with_faults: bool = True) -> dict:
    """The room's day and (when the panel shows them) its open faults."""
    day = bookings_day.day_of(state.room.id, state.now, state.session, session_known=True)
    return {"day": day, "open_faults": faults.open_faults(state.room.id) if with_faults else []}


def panel_version(state: service.RoomState) -> str:
    """What a door's or console's poll compares (the night screen's part by the same rule as poll.decide)."""
    version = service.panel_version(state.room.version, state.overrun, current_app.extensions["kiosk_content"].version)
    return version + hours.version_suffix(state.room.unit.opening_hours, state.session is not None, state.now)


def console_context(room: Room, session: RoomSession | None, ticked: set[tuple[str, str]]) -> dict:
    """What door and console say about the room's console (``ticked``: the session's ticks)."""
    tablet = console.has_console_tablet(room.id)
    bound, shown = (None, None) if tablet else console.codes(session)
    attached = tablet or bound is not None
    code = None if attached else shown
    done, total = console.readiness_progress(session, ticked)
    context = {"console_attached": attached, "console_code": None, "console_code_expired": False,
               # A browser bound by a code: since when, and the door may disconnect it.
               "console_bound_since": bound.used_at if bound is not None else None,
               "knock_at": session.knock_at if session is not None else None,
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

    svg = segno.make(url, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff",
                                                svgclass="qr-code", lineclass=None, title=t("console.qr_title"))
    return Markup(svg.replace("<svg ", '<svg role="img" aria-labelledby="console-qr-title" ', 1)
                  .replace("<title>", '<title id="console-qr-title">', 1))


def room_checklist_context(key: str, session: RoomSession | None, store) -> dict | None:
    """The checklist component's context for a checklist of the room's visit
    (None if the content has no such checklist), as the visit asks it: in
    wrap-up only what applies to how the visit went (a no-show's ending asks
    the journal note and a new time), its items compact so that the list and
    the finish buttons fit one screen beside each other."""
    from ..checklists.views import checklist_context
    from ..i18n import content

    found = content().checklists.get(key)
    if found is None:
        return None
    wrapup = session is not None and session.state == service.WRAPUP
    if wrapup:
        found = found.for_outcome(service.outcome_so_far(session))
    return checklist_context(found, store, compact=wrapup)


def console_checklists(room: Room, session: RoomSession | None, who: Console,
                       marked: dict[tuple[str, str], str]) -> dict:
    """The state's checklists, each rendered by the checklists' own component
    (kiosk/templates/checklists/_checklist.html) over the room session's marks
    (``marked``, as the panel read them; rooms/stores.py), which post to the
    console's tick route."""
    from markupsafe import Markup

    from ..checklists.views import COMPONENT
    from .stores import RoomTicks

    store = RoomTicks(room.id, who.actor, marked)
    state = session.state if session is not None else service.FREE
    contexts = {key: room_checklist_context(key, session, store) for key in CONSOLE_CHECKLISTS.get(state, ())}
    return {key: Markup(render_template(COMPONENT, **context)) for key, context in contexts.items() if context}


# ---- one step of the state machine -------------------------------------------------


def state_name(room: Room) -> str:
    """The room's state before an action: if the action changes it, the control
    that was used is gone, so the new state's heading takes the focus (autofocus,
    which htmx honours after a swap); otherwise htmx keeps it on the control."""
    session = service.open_session(room.id)
    return session.state if session else service.FREE


def take_step(slug: str, room_id: int, actor: Actor, page: str, action, args=(), kwargs=None):
    """Run one transition of the room; the refusal, or a plain form's redirect
    to ``page``, or None when the caller answers htmx with its panel."""
    try:
        action(room_id, actor, *args, **(kwargs or {}))
    except RoomError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.key)
    if not is_htmx():
        return redirect(url_for(page, slug=slug), code=303)
    db.session.expire_all()
    return None


def minutes_field(form: CheckInForm) -> int | None:
    """The check-in form's length in minutes (blank: the default), or RoomError."""
    raw = form.minutes.data.strip()
    if not raw:
        return None
    minutes = validate.number(raw, 4)
    if minutes is None:
        raise RoomError("rooms.error.bad_minutes")
    return minutes


def check_in(room_id: int, actor: Actor, form: CheckInForm, minutes: int | None) -> None:
    """Check in as the form says (``minutes`` read from it by ``minutes_field``)."""
    service.check_in(room_id, actor, minutes=minutes, name=form.name.data, title=form.title.data)


def check_in_with_code(room_id: int, actor: Actor, form: CheckInForm, minutes: int | None) -> None:
    """Check in as the form says; the door then shows a code for the visit's
    console, unless the room's computer is paired as its console."""
    check_in(room_id, actor, form, minutes)
    if not console.has_console_tablet(room_id):
        console.new_code(room_id, actor)


def skip_step(room_id: int, actor: Actor):
    """Start the meeting without the readiness list, for the form's reason."""
    return service.start_meeting(room_id, actor, skip_reason=request.form.get("reason", "")[:40] or "missing")


def finish_step(room_id: int, actor: Actor):
    """End wrap-up with the form's outcome."""
    return service.finish(room_id, actor, request.form.get("outcome", "")[:20])


# The meeting's steps, which the door and the console both take: the last
# segment of the rule (POST /rooms/SLUG/extend, /rooms/SLUG/console/extend)
# names the step; who may take it, and the answer, is the surface's.
MEETING_STEPS = {"skip": skip_step, "extend": service.extend, "end": service.end_meeting,
                 "cancel": service.cancel, "finish": finish_step}


def requested_step(steps: dict):
    """The step this POST's rule names (its last segment), from ``steps``."""
    return steps[request.url_rule.rule.rpartition("/")[2]]


def fault_step(source: str):
    """Report the form's fault (a kind, an optional short text) from ``source``."""
    def report(room_id: int, actor: Actor) -> None:
        faults.report(room_id, actor, request.form.get("kind"), request.form.get("text"), source)
    return report


# ---- the room's guides in the kiosk view ---------------------------------------------


def room_guide(room: Room, key: str, surface: str, ended: bool = False):
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
    return render(ROOM_GUIDE, no_store=True, **context)


# ---- a one-time code typed into a form -------------------------------------------------


def redeem_code(template: str, redeem, refused: type[Exception]):
    """A one-time code typed into a form (pairing a tablet, claiming a console):
    ``(redeem's result, None)``, or ``(None, the form again with the reason)``.

    At most PAIR_LIMIT_PER_MINUTE attempts a minute per address for both forms,
    counted in the database so every worker and instance shares the count: a
    six-character code cannot be guessed at 10 a minute. A visit's code has its
    own budget of refused claims besides (``console.claim``)."""
    code = request.values.get("code", "")[:40]
    if not ratelimit.allow(ratelimit.PAIR_ADDRESS, client_address()):
        return None, render(template, code=code, error="admin.limit.pair", status=429)
    try:
        return redeem(code, client_address()), None
    except refused as exc:
        return None, render(template, code=code, error=exc.key, status=exc.status)
