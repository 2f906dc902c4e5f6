"""The room console: claiming it with the door's code, its page and poll, the
visit's steps taken from it, its fault report, guides and the room's bookings.

A console bound to one visit may do nothing more once that visit is over
(409) or the door has disconnected it (the page that says so); it offers the
claim form for the next visit, and a new code works on the same browser at
once. A permanently paired console follows whatever visit the room has.

Its writes (bookings and moves, faults; the device check's too) are limited
per console like the staff pages' bookings, and it books no further ahead
than the booking pages list (``booking_forms.DAYS_AHEAD``).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import redirect, request, url_for

from .. import clock, ratelimit
from ..bookings import day as bookings_day
from ..bookings.day import BookingError
from ..errors import error_response
from ..extensions import db
from ..forms import CheckInForm
from ..forms import BookingForm
from ..models import Booking, Room
from ..render import is_htmx, render, unchanged
from . import access, booking_forms, console, panel, service
from .access import Console
from .panel import (MEETING_STEPS, ROOM_GUIDES, console_checklists, day_and_faults, door_context, fault_step,
                    minutes_field, panel_version, redeem_code, requested_step, room_guide, state_name, take_step)
from .service import RoomError

CONSOLE = "rooms/console.html"
CONSOLE_BOOKINGS = "rooms/console_bookings.html"
PAGE = "rooms.console_page"


def console_home():
    """Claim a visit's console with the door's code; a console still bound to a
    running visit goes to its room. A binding that is over (the visit ended,
    the door disconnected it) is dropped and the claim form shown, filled with
    the QR code's code when the browser came with one."""
    tablet = access.live_tablet("console")
    if tablet is not None:
        return redirect(url_for(PAGE, slug=tablet.room.slug), code=303)
    if request.method == "GET":
        code = request.values.get("code", "")[:40]
        bound = access.console_binding()
        live = bound is not None and bound.disconnected_at is None and not access.console_ended(
            Console(access.code_actor(bound.id), bound.session_id), service.open_session(bound.room_id))
        if live and not code:
            return redirect(url_for(PAGE, slug=db.session.get(Room, bound.room_id).slug), code=303)
        response = render("rooms/console_claim.html", code=code, error=None, no_store=True)
        if bound is not None and not live:
            console.drop_cookie(response)
        return response
    redeemed, refusal = redeem_code("rooms/console_claim.html", console.claim, console.ClaimError)
    if refusal is not None:
        return refusal
    row, token = redeemed
    response = redirect(url_for(PAGE, slug=db.session.get(Room, row.room_id).slug), code=303)
    console.set_cookie(response, token)
    return response


def _no_show_wait(room: Room, who: Console, state: service.RoomState):
    """The no-show procedure's flow while its countdown runs (the wait before
    calling the patient), for the console's main page; else None. The flow is
    the guide's own, on the room session (rooms/stores.py)."""
    from ..guides import noshow
    from ..i18n import content
    from .stores import RoomNoShow

    if state.session is None or state.state not in (service.PREPARING, service.MEETING):
        return None
    c = content()
    current = noshow.flow(c.guides[noshow.GUIDE_KEY], RoomNoShow(room.id, who.actor, session=state.session).load(),
                          state.now,
                          c.numbers["no_show_minutes"])
    return current if current.phase == "waiting" else None


def _wait(room: Room, who: Console, state: service.RoomState):
    """The no-show countdown the console shows (None: none, or its visit is over)."""
    return None if access.console_ended(who, state.session) else _no_show_wait(room, who, state)


def _version(state: service.RoomState, wait) -> str:
    """What the console's poll compares: the panel's version, and while the
    no-show countdown (``wait``) runs its end, so the panel changes when it is time to call."""
    return panel_version(state) + ("" if wait is None else f"-w{int(wait.due_at.timestamp())}")


def _panel(room: Room, who: Console, status: int = 200, state_before: str | None = None,
           finish_unticked: bool = False, session=None, session_known: bool = False):
    if not session_known:
        session = service.open_session(room.id)
    state = service.state_of(room, session)
    ended = access.console_ended(who, session)
    wait = _wait(room, who, state)
    shown = door_context(room, session, with_manifest=False)
    context = {
        **shown,
        "room_checklists": {} if ended else console_checklists(room, session, who, shown["marked"]),
        "room_guides": ROOM_GUIDES,
        "focus_heading": state_before is not None and (ended or state.state != state_before),
        "surface": "console",
        "ended": ended,
        "permanent": who.session_id is None,
        "code": "", "error": None,  # an ended console's claim form
        "finish_unticked": finish_unticked,
        "poll_url": url_for("rooms.console_poll", slug=room.slug, v=_version(state, wait)),
        "no_show_wait": wait,
        **({} if ended else day_and_faults(state)),
    }
    return render(CONSOLE, block="panel", status=status, fragment="console", no_store=True, **context)


def console_page(slug: str):
    """The room console: the whole visit, run from the computer in the room."""
    room = access.room_or_404(slug)
    who = access.current_console(room)
    return _panel(room, who, session=service.settled_session(room), session_known=True)


def console_poll(slug: str):
    """204 while the console shows the current state; else the new panel."""
    room = access.room_or_404(slug)
    who = access.current_console(room)
    state = service.state_of(room, service.open_session(room.id))
    if (request.args.get("v") == _version(state, _wait(room, who, state))
            and not service.is_expired(state.session, state.now)
            and not bookings_day.is_due(room.bookings_due_at, state.now)):  # or the room's day moved
        return unchanged(fragment="console", no_store=True)
    return console_page(slug)


def _acting(room: Room) -> Console | None:
    """The console of ``room`` if it may still act (else None: its visit is over)."""
    who = access.current_console(room)
    return None if access.console_ended(who, service.open_session(room.id)) else who


def _console_action(slug: str, action, answer=None):
    """Run one transition from the room's console and answer with its panel
    (or, for htmx, what ``answer(room, actor)`` gives, when it gives one)."""
    room = access.room_or_404(slug)
    who = _acting(room)
    if who is None:
        return error_response(409, "console.ended")
    before = state_name(room)
    refused_or_sent = take_step(slug, room.id, who.actor, PAGE, action)
    if refused_or_sent is not None:
        return refused_or_sent
    answered = None if answer is None else answer(access.room_or_404(slug), who.actor)
    if answered is not None:
        return answered
    return _panel(access.room_or_404(slug), who, state_before=before)


def visit_step(slug: str, action, answer=None):
    """A change to the visit from the console (a tick of its checklists)."""
    return _console_action(slug, action, answer)


def check_in(slug: str):
    """A permanently paired console checks in itself (no code needed)."""
    room = access.room_or_404(slug)
    if access.current_console(room).session_id is not None:
        return error_response(409, "console.ended")
    form = CheckInForm()
    try:
        minutes = minutes_field(form)
    except RoomError as exc:
        return error_response(400, exc.key)
    return _console_action(slug, lambda room_id, actor: panel.check_in(room_id, actor, form, minutes))


def step(slug: str):
    """One step of the meeting from the console; the rule's last segment names it.
    Ending takes intent: the end form carries the confirmation's answer."""
    if request.url_rule.rule.endswith("/end") and request.form.get("confirmed") != "yes":
        access.current_console(access.room_or_404(slug))  # a stranger learns nothing about the form
        return error_response(400, "console.error.end_unconfirmed")
    if request.url_rule.rule.endswith("/finish") and request.form.get("anyway") != "yes":
        room = access.room_or_404(slug)
        who = _acting(room)
        session = service.open_session(room.id)
        if who is not None and session is not None and session.state == service.WRAPUP and not any(
                checklist == "ending" for checklist, _item in service.ticks(session)):
            # Nothing of the ending ticked: asked once, and the same answer frees the room.
            return _panel(room, who, finish_unticked=True)
    return _console_action(slug, requested_step(MEETING_STEPS))


def knock_seen(slug: str):
    """The clinician clears the door's knock (one tap)."""
    return _console_action(slug, console.clear_knock)


def _over_limit(who: Console) -> bool:
    """Count one write of this console; True when it is over the limit (nothing is written)."""
    return not ratelimit.allow(ratelimit.CONSOLE_WRITE, who.actor.label)


def fault(slug: str):
    """Report broken equipment from the room's console (a visit's console may do so while its visit runs)."""
    room = access.room_or_404(slug)
    who = _acting(room)
    if who is None:
        return error_response(409, "console.ended")
    if _over_limit(who):
        return error_response(429, "console.error.limited")
    refused_or_sent = take_step(slug, room.id, who.actor, PAGE, fault_step("console"))
    return refused_or_sent if refused_or_sent is not None else console_page(slug)


def console_guide(slug: str, key: str):
    """A guide on the console, inside the console's own page."""
    room = access.room_or_404(slug)
    who = access.current_console(room)
    return room_guide(room, key, "console", ended=access.console_ended(who, service.open_session(room.id)))


# ---- the console's bookings: the room's day, book, move, cancel ---------------------


def _bookings_page(room: Room, label: str, status: int = 200, error: str | None = None, slots=None, form=None):
    """The room's day from its console: book it later today or another day (a
    follow-up); the bookings this console (``label``) made can be changed."""
    session = service.open_session(room.id)
    state = service.state_of(room, session)
    context = booking_forms.page_context(room, session, state.now, other_rooms=False)
    mine = {b.id for b in [*context["day"].bookings, *context["coming"]] if b.created_by == label}
    context.update(rs=state, mine=mine, error=error, error_slots=slots or {}, form=form or {})
    return render(CONSOLE_BOOKINGS, block="panel", status=status, fragment="console-bookings", no_store=True,
                  **context)


def console_bookings(slug: str):
    """The room's day and its booking forms, opened from the console."""
    room = access.room_or_404(slug)
    who = access.current_console(room)
    service.release_if_expired(room.id)
    if access.console_ended(who, service.open_session(room.id)):
        return redirect(url_for(PAGE, slug=slug), code=303)  # it says the visit is over
    return _bookings_page(room, who.actor.label)


def _made_elsewhere(room: Room, booking_id: int | None, label: str) -> bool:
    """A manual booking of this room that another surface made. Anyone who passes
    the door may check in and claim a visit's console, so a console moves and
    cancels only what it booked itself; reception, an administrator or the one
    who booked change the rest. (An unknown id or another room's booking is the
    service's 404, a calendar's booking its 409.)"""
    if booking_id is None:
        return False
    booking = db.session.get(Booking, booking_id)
    return (booking is not None and booking.room_id == room.id and booking.source == "manual"
            and booking.created_by != label)


def _within_horizon(change):
    """``change``, refused for a day beyond the last one the booking pages list
    (today and DAYS_AHEAD days on): a booking nobody sees is one nobody keeps."""
    def checked(room: Room, actor):
        try:
            day = date.fromisoformat(BookingForm().day.data or "")
        except ValueError:
            day = None  # not a date: the form's own message says so
        if day is not None and day > clock.today() + timedelta(days=booking_forms.DAYS_AHEAD):
            raise BookingError("console.error.beyond", 400, days=booking_forms.DAYS_AHEAD)
        return change(room, actor)
    return checked


def _booking_action(slug: str, change, booking_id: int | None, limited: bool = True):
    """A booking change from this room's console (the console is the actor);
    booking and moving count against the console's write limit."""
    room = access.room_or_404(slug)
    who = _acting(room)
    if who is None:
        return error_response(409, "console.ended")
    if _made_elsewhere(room, booking_id, who.actor.label):
        return error_response(403, "bookings.console.not_yours")
    url, label = url_for("rooms.console_bookings", slug=slug), who.actor.label

    def page(fresh: Room, **refused):
        return _bookings_page(fresh, label, **refused)

    if limited and _over_limit(who):
        if is_htmx():
            return error_response(429, "console.error.limited")
        return page(room, status=429, error="console.error.limited", form=BookingForm().typed())
    return booking_forms.act(room, who.actor, change, lambda **refused: page(access.room_or_404(slug), **refused),
                             lambda r: booking_forms.after_change(r, url, page))


def book(slug: str):
    return _booking_action(slug, _within_horizon(booking_forms.create), None)


def move_booking(slug: str, booking_id: int):
    # The console moves within its own room (another time or day), never to
    # another room: it sees and changes only its room's bookings, so a booking
    # it sent elsewhere would leave its sight and its hands (no way back, no
    # cancel), and whoever passes the door may hold the console. Reception and
    # the staff day page move between the unit's rooms.
    return _booking_action(slug, _within_horizon(booking_forms.move(booking_id, other_rooms=False)), booking_id)


def cancel_booking(slug: str, booking_id: int):
    return _booking_action(slug, booking_forms.cancel(booking_id), booking_id, limited=False)
