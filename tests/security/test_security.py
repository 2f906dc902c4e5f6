"""Who may do what, the headers of every response, and the abuse limits.

The authorisation matrix is generated from the app's URL map: every route and
method must have an expected answer for each of seven callers, so a new route
cannot be added without saying who may use it (the test fails until it is in
MATRIX below). Public routes answer everyone alike.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import pytest
from sqlalchemy import select

from kiosk import clock, security
from kiosk.extensions import db
from kiosk.models import Room, Tablet, Unit
from kiosk.rooms import service
from kiosk.rooms.service import Actor
from tests.admin_support import log_in

ROLES = ("anonymous", "door_a", "door_b", "board", "console_a", "other_manager", "manager", "global")
TABLETS = ("anonymous", "door_a", "door_b", "board", "console_a")  # not administrators
MANAGERS = ("other_manager", "manager")


def everyone(status: int) -> dict[str, int]:
    return {role: status for role in ROLES}


def only(allowed: dict[str, int], others: int = 403) -> dict[str, int]:
    return {role: allowed.get(role, others) for role in ROLES}


def admin_page(manager: int, global_: int | None = None, other_manager: int | None = None) -> dict[str, int]:
    """An admin route: callers without a session go to the login page (303)."""
    return {**{role: 303 for role in TABLETS}, "other_manager": manager if other_manager is None else other_manager,
            "manager": manager, "global": manager if global_ is None else global_}


def unit_scoped(allowed: int) -> dict[str, int]:
    """The manager of the object's unit and a global admin may; the other manager may not."""
    return admin_page(allowed, other_manager=403)


def global_only(allowed: int) -> dict[str, int]:
    return admin_page(403, global_=allowed)


@dataclass
class Case:
    expect: dict[str, int]
    # Form data (or a function of the world returning it) for POSTs.
    data: dict | Callable | None = None
    query: str = ""
    # The room state wanted before each request ("free", "preparing", "meeting", "wrapup").
    room_a: str | None = None
    headers: dict = field(default_factory=dict)


_n = itertools.count(1)

def _future_booking(_world) -> dict:
    """A booking at a time of its own (each request books anew, so none overlaps),
    within the days a console may book ahead (the booking pages' 14)."""
    from datetime import timedelta

    from kiosk import clock

    n = next(_n)
    day = (clock.today() + timedelta(days=2 + n % 12)).isoformat()
    hour = 8 + (n // 12) % 10
    return {"day": day, "start": f"{hour:02d}:00", "end": f"{hour:02d}:30"}


def _a_minute_later(data: dict) -> dict:
    """``data``, a minute after the last request: a room keeps one device-check result a minute."""
    from datetime import timedelta

    from kiosk import clock

    clock.advance(timedelta(seconds=61))
    return data


# (endpoint, method) -> Case. A route of the app missing here fails the test.
MATRIX: dict[tuple[str, str], Case] = {
    # Public pages: everyone alike.
    ("main.index", "GET"): Case(everyone(200)),
    ("main.about", "GET"): Case(everyone(200)),
    ("main.healthz", "GET"): Case(everyone(200)),
    ("main.accessibility", "GET"): Case(everyone(200)),
    ("static", "GET"): Case(everyone(200)),
    ("search.search", "GET"): Case(everyone(200), query="q=kamera"),
    ("devicecheck.devices", "GET"): Case(everyone(200)),
    ("checklists.index", "GET"): Case(everyone(200)),
    ("checklists.checklist", "GET"): Case(everyone(200)),
    ("checklists.tick", "POST"): Case(everyone(303), data={"ticked": "1"}),
    ("checklists.reset", "POST"): Case(everyone(303)),
    ("guides.index", "GET"): Case(everyone(200)),
    ("guides.guide", "GET"): Case(everyone(200)),
    ("guides.no_show_start", "POST"): Case(everyone(303), data={"now": "1"}),
    ("guides.no_show_choose", "POST"): Case(everyone(400), data={}),
    ("guides.no_show_script", "POST"): Case(everyone(400), data={}),
    ("guides.no_show_reset", "POST"): Case(everyone(303)),
    ("printables.index", "GET"): Case(everyone(200)),
    ("printables.preview", "GET"): Case(everyone(200)),
    ("printables.pdf", "GET"): Case(everyone(200)),
    # A booking's letter is open like the staff day page it is printed from (no such booking here).
    ("printables.booking_letter", "GET"): Case(everyone(404)),
    ("printables.static", "GET"): Case(everyone(200)),
    # Pairing: anyone may try a code (limited per address); a wrong code is 400.
    ("rooms.pair", "GET"): Case(everyone(200)),
    # The rooms overview (issue 12): read-only, what the door tablets show anyway.
    ("overview.index", "GET"): Case(everyone(200)),
    ("rooms.pair", "POST"): Case(everyone(400), data={"code": "ZZZZ-ZZZZ"}),
    # /door sends each caller where it belongs (pairing, its panel, the board).
    ("rooms.door", "GET"): Case(everyone(303)),
    # Room A's door panel and actions: its own door tablet only.
    ("rooms.door_panel", "GET"): Case(only({"door_a": 200})),
    ("rooms.door_poll", "GET"): Case(only({"door_a": 200}), query="v=0"),
    ("rooms.check_in", "POST"): Case(only({"door_a": 303}), data={"minutes": "30"}, room_a="free"),
    # Room A has a console paired for good: while it runs the visit the door changes
    # nothing of it (409); it may knock, show a new code and disconnect a bound browser.
    ("rooms.tick", "POST"): Case(only({"door_a": 409}), data={"ticked": "1"}, room_a="preparing"),
    ("rooms.checklist_reset", "POST"): Case(only({"door_a": 409}), room_a="preparing"),
    ("rooms.skip", "POST"): Case(only({"door_a": 409}), data={"reason": "urgent"}, room_a="preparing"),
    # Starting without a complete checklist or a reason is refused (the door's own rule).
    ("rooms.start", "POST"): Case(only({"door_a": 409}), room_a="preparing"),
    ("rooms.cancel", "POST"): Case(only({"door_a": 409}), room_a="preparing"),
    ("rooms.extend", "POST"): Case(only({"door_a": 409}), room_a="meeting"),
    ("rooms.end", "POST"): Case(only({"door_a": 409}), room_a="meeting"),
    ("rooms.finish", "POST"): Case(only({"door_a": 409}), data={"outcome": "held"}, room_a="wrapup"),
    ("rooms.knock", "POST"): Case(only({"door_a": 303}), room_a="meeting"),
    ("rooms.console_disconnect", "POST"): Case(only({"door_a": 303}), room_a="preparing"),
    ("rooms.console_knock_seen", "POST"): Case(only({"console_a": 303}), room_a="meeting"),
    # The door shows a new console code: its own door tablet only.
    ("rooms.console_code", "POST"): Case(only({"door_a": 303}), room_a="preparing"),
    # Claiming a console: anyone may try a code (limited per address); a wrong code is 400.
    # A console (room A's computer, paired for good) goes to its room.
    ("rooms.console_home", "GET"): Case({**everyone(200), "console_a": 303}),
    ("rooms.console_home", "POST"): Case({**everyone(400), "console_a": 303}, data={"code": "ZZZ-ZZZ"}),
    # Room A's console and its actions: room A's console only (browsers bound to
    # one visit are tested in tests/rooms/test_console.py).
    ("rooms.console_page", "GET"): Case(only({"console_a": 200})),
    ("rooms.console_poll", "GET"): Case(only({"console_a": 200}), query="v=0"),
    ("rooms.console_check_in", "POST"): Case(only({"console_a": 303}), data={"minutes": "30"}, room_a="free"),
    ("rooms.console_tick", "POST"): Case(only({"console_a": 303}), data={"ticked": "1"}, room_a="preparing"),
    ("rooms.console_checklist_reset", "POST"): Case(only({"console_a": 303}), room_a="preparing"),
    ("rooms.console_skip", "POST"): Case(only({"console_a": 303}), data={"reason": "urgent"}, room_a="preparing"),
    ("rooms.console_cancel", "POST"): Case(only({"console_a": 303}), room_a="preparing"),
    ("rooms.console_extend", "POST"): Case(only({"console_a": 303}), room_a="meeting"),
    ("rooms.console_end", "POST"): Case(only({"console_a": 303}), data={"confirmed": "yes"}, room_a="meeting"),
    ("rooms.console_finish", "POST"): Case(only({"console_a": 303}), data={"outcome": "held", "anyway": "yes"},
                                           room_a="wrapup"),
    # Guides in the kiosk view of room A's console and door (issue 11).
    ("rooms.console_guide", "GET"): Case(only({"console_a": 200}), room_a="meeting"),
    ("rooms.door_guide", "GET"): Case(only({"door_a": 200}), room_a="meeting"),
    # The unit's board tablet; an administrator sees their own unit's board (a
    # global one is sent to pick a unit); ?unit= is checked for the manager.
    ("rooms.board", "GET"): Case(only({"board": 200, "other_manager": 200, "manager": 200, "global": 303})),
    ("rooms.board_poll", "GET"): Case(only({"board": 200, "other_manager": 200, "manager": 200, "global": 303}),
                                      query="v=0"),
    # A room's day on the board (issue 13): book, move, cancel, check in. The board of
    # the room's unit and that unit's manager; the other unit's manager 403; a global
    # admin without ?unit= is sent to pick a unit.
    ("rooms.board_room", "GET"): Case(only({"board": 200, "manager": 200, "global": 303})),
    ("rooms.board_book", "POST"): Case(only({"board": 303, "manager": 303, "global": 303}), data=_future_booking),
    ("rooms.board_move", "POST"): Case(only({"board": 404, "manager": 404, "global": 303}), data=_future_booking),
    ("rooms.board_cancel", "POST"): Case(only({"board": 404, "manager": 404, "global": 303})),
    ("rooms.board_check_in", "POST"): Case(only({"board": 303, "manager": 303, "global": 303}),
                                           data={"minutes": "30"}, room_a="free"),
    # Taking back the board's own check-in: the form names the check-in it was shown for
    # (none here: 400 once past the door); room A has a door, so its console code stays there (409).
    ("rooms.board_check_in_undo", "POST"): Case(only({"board": 400, "manager": 400, "global": 303}),
                                                room_a="preparing"),
    ("rooms.board_check_in_cancel", "POST"): Case(only({"board": 400, "manager": 400, "global": 303}),
                                                  room_a="preparing"),
    ("rooms.board_console_code", "POST"): Case(only({"board": 409, "manager": 409, "global": 303}),
                                               room_a="preparing"),
    # The unit's bookings by range of days: the board and its unit's administrators (each
    # manager's board is their own unit's); cancelling one: no booking 999999 (404).
    ("rooms.board_bookings", "GET"): Case(only({"board": 200, "other_manager": 200, "manager": 200, "global": 303})),
    ("rooms.board_list_cancel", "POST"): Case(only({"board": 404, "other_manager": 404, "manager": 404,
                                                    "global": 303})),
    # Every booking of the units an administrator sees; cancelling one: no booking 999999 (404).
    ("admin.booking_list", "GET"): Case(admin_page(200)),
    ("admin.booking_list_cancel", "POST"): Case(admin_page(404)),
    # A room's bookings and calendar in admin (issue 13): the room's unit's manager and global admins.
    ("admin.room_bookings", "GET"): Case(unit_scoped(200)),
    ("admin.room_book", "POST"): Case(unit_scoped(303), data=_future_booking),
    ("admin.room_booking_move", "POST"): Case(unit_scoped(404), data=_future_booking),
    ("admin.room_booking_cancel", "POST"): Case(unit_scoped(404)),
    ("admin.room_calendar", "POST"): Case(unit_scoped(303), data={"url": ""}),
    ("admin.room_calendar_sync", "POST"): Case(unit_scoped(409)),
    ("admin.stats_bookings", "GET"): Case(unit_scoped(200), query="unit={unit1}"),
    ("admin.stats_bookings_csv", "GET"): Case(unit_scoped(200), query="unit={unit1}"),
    ("admin.stats_bookings_chart", "GET"): Case(unit_scoped(200), query="unit={unit1}"),
    # Admin: logging in and the session's own endpoints are open to all.
    ("admin.login", "GET"): Case({**{r: 200 for r in TABLETS}, "other_manager": 303, "manager": 303, "global": 303}),
    ("admin.login", "POST"): Case(everyone(400), data={"email": "nobody@regionhalsan.example", "password": "nej"}),
    ("admin.logout", "POST"): Case(admin_page(303)),
    ("admin.session_status", "GET"): Case(everyone(200)),
    ("admin.session_extend", "POST"): Case(everyone(200)),
    ("admin.index", "GET"): Case(admin_page(200)),
    ("admin.events", "GET"): Case(admin_page(200)),
    ("admin.sessions", "GET"): Case(admin_page(200)),
    ("admin.rooms", "GET"): Case(admin_page(200)),
    ("admin.tablets", "GET"): Case(admin_page(200)),
    # Room A and unit 1 belong to "manager", not to "other_manager".
    ("admin.room_create", "POST"): Case(unit_scoped(303), data=lambda w: {"unit": w.unit1, "name": f"Matrisrum {next(_n)}"}),
    ("admin.room_edit", "GET"): Case(unit_scoped(200)),
    ("admin.room_update", "POST"): Case(unit_scoped(303), data={"name": "Videorum A", "location": "Plan 2"}),
    ("admin.room_active", "POST"): Case(unit_scoped(303), data={"active": "1"}),
    ("admin.force_end", "POST"): Case(unit_scoped(303), room_a="preparing",
                                      data=lambda w: {"reason": "Matristest", "session": w.open_session_a()}),
    ("admin.tablet_pair", "POST"): Case(unit_scoped(200), data=lambda w: {"kind": "door", "room": w.room_a}),
    ("admin.tablet_revoke", "POST"): Case(unit_scoped(303)),
    ("admin.stats", "GET"): Case(unit_scoped(200), query="unit={unit1}"),
    ("admin.stats_csv", "GET"): Case(unit_scoped(200), query="unit={unit1}"),
    ("admin.stats_chart", "GET"): Case(unit_scoped(200), query="unit={unit1}"),
    # Units and accounts: global administrators only.
    ("admin.units", "GET"): Case(global_only(200)),
    ("admin.unit_create", "POST"): Case(global_only(303), data=lambda w: {"name": f"Matrisenhet {next(_n)}"}),
    ("admin.unit_edit", "GET"): Case(global_only(200)),
    ("admin.unit_update", "POST"): Case(global_only(303), data={"name": "Reservenheten"}),
    ("admin.unit_deactivate", "POST"): Case(global_only(303)),
    ("admin.accounts", "GET"): Case(global_only(200)),
    ("admin.account_create", "POST"): Case(global_only(200), data=lambda w: {
        "email": f"matris{next(_n)}@regionhalsan.example", "role": "unit", "unit": w.unit1}),
    ("admin.account_active", "POST"): Case(global_only(303), data={"active": "1"}),
    ("admin.account_reset", "POST"): Case(global_only(200)),
    ("admin.account_unlock", "POST"): Case(global_only(303)),
    ("admin.events_csv", "GET"): Case(admin_page(200)),
    # My account: every administrator has one (a wrong current password is refused, 400).
    ("admin.account", "GET"): Case(admin_page(200)),
    ("admin.account_password", "POST"): Case(admin_page(400), data={"current": "inte mitt lösenord",
                                                                    "new": "ett nytt långt lösenord",
                                                                    "repeat": "ett nytt långt lösenord"}),
    # Room health (issue 15). A fault is reported from room A's door or console only.
    ("rooms.fault", "POST"): Case(only({"door_a": 303}), data={"kind": "other"}),
    ("rooms.console_fault", "POST"): Case(only({"console_a": 303}), data={"kind": "other"}),
    # The device check saves an outcome and reports a fault for room A: its console,
    # or an administrator who may see room A's unit; nobody else.
    ("devicecheck.save_result", "POST"): Case(
        only({"console_a": 303, "manager": 303, "global": 303}),
        data=lambda w: _a_minute_later({"camera": "ok", "microphone": "ok", "sound": "fail", "room": w.room_a})),
    ("devicecheck.report_fault", "POST"): Case(
        only({"console_a": 303, "manager": 303, "global": 303}), data=lambda w: {"kind": "other", "room": w.room_a}),
    ("admin.faults_page", "GET"): Case(admin_page(200)),
    # Fixing room A's fault (reopened before each caller by the data function).
    ("admin.fault_fix", "POST"): Case(unit_scoped(303), data=lambda w: w.open_fault_a()),
    ("admin.stats_faults", "GET"): Case(unit_scoped(200), query="unit={unit1}"),
    ("admin.stats_faults_csv", "GET"): Case(unit_scoped(200), query="unit={unit1}"),
    ("admin.stats_faults_chart", "GET"): Case(unit_scoped(200), query="unit={unit1}"),
    # issue 15: the service worker is public (a static file); a manifest only for the tablet it names.
    ("rooms.service_worker", "GET"): Case(everyone(200)),
    ("rooms.door_manifest", "GET"): Case(only({"door_a": 200})),
    ("rooms.board_manifest", "GET"): Case(only({"board": 200})),
    # Booking from room A's console (issue 13): room A's console only; no booking 999999 (404).
    ("rooms.console_bookings", "GET"): Case(only({"console_a": 200})),
    ("rooms.console_book", "POST"): Case(only({"console_a": 303}), data=_future_booking),
    ("rooms.console_booking_move", "POST"): Case(only({"console_a": 404}), data=_future_booking),
    ("rooms.console_booking_cancel", "POST"): Case(only({"console_a": 404})),
    # A room's day from a staff page (issue 13): anyone may book in their own name (limited
    # per address); a browser moves and cancels only the bookings it made (403 for the rest).
    ("overview.room_day", "GET"): Case(everyone(200)),
    ("overview.room_book", "POST"): Case(everyone(303), data=lambda w: {**_future_booking(w), "name": "Eva Ek"}),
    ("overview.room_booking_move", "POST"): Case(everyone(403), data=_future_booking),
    ("overview.room_booking_cancel", "POST"): Case(everyone(403)),
}


class World:
    """Two units, room A (unit 1) and room B (unit 2), a spare unit and tablet,
    and a client for each of the seven callers, each from its own address."""

    def __init__(self, app, make_unit, make_room, make_admin, pair):
        self.app = app
        self.unit1 = make_unit(name="Enhet 1")
        self.unit2 = make_unit(name="Enhet 2")
        self.spare_unit = make_unit(name="Reservenhet")
        self.room_a = make_room(unit_id=self.unit1, name="Videorum A", slug="videorum-a")
        self.room_b = make_room(unit_id=self.unit2, name="Videorum B", slug="videorum-b")
        self.clients = {}
        for i, role in enumerate(ROLES):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.0.7.{i + 1}"
            self.clients[role] = client
        pair(self.clients["door_a"], room_id=self.room_a)
        pair(self.clients["door_b"], room_id=self.room_b)
        pair(self.clients["board"], unit_id=self.unit1)
        with app.app_context():
            from kiosk.rooms import pairing

            room = db.session.get(Room, self.room_a)
            code = pairing.new_code("console", room.unit, room, actor="test")
        assert self.clients["console_a"].form_post("/pair", {"code": code}).status_code == 303
        spare = app.test_client()
        spare.environ_base["REMOTE_ADDR"] = "10.0.7.99"
        pair(spare, room_id=self.room_a)
        with app.app_context():
            self.spare_tablet = db.session.scalar(select(Tablet.id).order_by(Tablet.id.desc()))
        self.accounts = {"other_manager": make_admin("unit", unit_id=self.unit2),
                         "manager": make_admin("unit", unit_id=self.unit1), "global": make_admin("global")}
        self.target_account = make_admin("unit", unit_id=self.unit1).id
        for role, account in self.accounts.items():
            log_in(self.clients[role], account)
        with app.app_context():
            content = app.extensions["kiosk_content"].get("sv")
            self.checklist = next(iter(content.checklists.values()))
            self.readiness = sorted(service.readiness_keys())
            from printables.documents import catalogue

            self.printable = next(iter(catalogue(content)))
            self.slug_a = db.session.get(Room, self.room_a).slug

    def relogin(self, role: str) -> None:
        if role in self.accounts:
            log_in(self.clients[role], self.accounts[role])

    def open_session_a(self) -> str:
        with self.app.app_context():
            return str(service.open_session(self.room_a).id)

    def set_room_a(self, state: str) -> None:
        """Put room A in ``state`` through the state machine (never by hand)."""
        actor = Actor("test")
        with self.app.app_context():
            if service.open_session(self.room_a) is not None:
                service.force_end(self.room_a, actor, "matrix reset")
            if state == "free":
                return
            service.check_in(self.room_a, actor)
            if state in ("meeting", "wrapup"):
                service.start_meeting(self.room_a, actor, skip_reason="urgent")
            if state == "wrapup":
                service.end_meeting(self.room_a, actor)

    def fault_a(self) -> int:
        """A fault of room A (reported once, through the service)."""
        if getattr(self, "_fault_a", None) is None:
            from kiosk.rooms import faults

            with self.app.app_context():
                self._fault_a = faults.report(self.room_a, Actor("test"), "camera", None, "admin").id
        return self._fault_a

    def open_fault_a(self) -> dict:
        """Room A's fault open again before the next caller tries to fix it."""
        from kiosk.models import RoomFault

        with self.app.app_context():
            fault = db.session.get(RoomFault, self.fault_a())
            fault.fixed_at = fault.fixed_by = fault.fix_note = None
            db.session.commit()
        return {"note": "Matristest"}

    def url(self, rule) -> str:
        key = self.checklist.key if rule.endpoint.startswith("checklists") else "login"
        item = self.checklist.items[0].key
        if rule.endpoint in ("rooms.console_guide", "rooms.door_guide"):
            key = "no-show"
        if rule.endpoint in ("rooms.tick", "rooms.console_tick", "rooms.checklist_reset",
                             "rooms.console_checklist_reset"):
            key, item = self.readiness[0]  # a room session's readiness item
        values = {"slug": self.slug_a, "key": key,
                  "item": item, "name": self.printable, "chart": "meetings",
                  "unit_id": self.spare_unit, "room_id": self.room_a, "tablet_id": self.spare_tablet,
                  "admin_id": self.target_account}
        if "fault_id" in rule.arguments:
            values["fault_id"] = self.fault_a()
        if rule.endpoint == "admin.stats_faults_chart":
            values["chart"] = "per-room"
        values["booking_id"] = "999999"
        values["table"] = "bookings"  # the booking statistics' CSV (and chart "hours" below)
        if rule.endpoint == "admin.stats_bookings_chart":
            values["chart"] = "hours"  # the board's move and cancel: no such booking (404 for those who may)
        if rule.endpoint == "static":
            values["filename"] = "css/kiosk.css"
        elif rule.endpoint == "printables.static":
            values["filename"] = "print.css"
        with self.app.test_request_context():
            from flask import url_for

            return url_for(rule.endpoint, **{k: values[k] for k in rule.arguments if k not in (rule.defaults or {})})


def routes(app) -> list[tuple[str, str, object]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return sorted(found, key=lambda r: (r[0] == "admin.logout", r[0], r[1]))


def test_every_route_is_in_the_authorisation_matrix(app):
    """A new route fails here until MATRIX says who may use it."""
    present = {(endpoint, method) for endpoint, method, _rule in routes(app)}
    missing = sorted(present - set(MATRIX))
    assert not missing, f"routes without an expected answer in tests/security/test_security.py MATRIX: {missing}"
    stale = sorted(set(MATRIX) - present)
    assert not stale, f"MATRIX lists routes the app does not have: {stale}"
    for key, case in MATRIX.items():
        assert set(case.expect) == set(ROLES), key


# The matrix (about 1,400 requests) runs as this many tests, each with its own
# world and every MATRIX_SHARDS-th route, so that xdist workers share it.
MATRIX_SHARDS = 4


@pytest.mark.parametrize("shard", range(MATRIX_SHARDS))
def test_authorisation_matrix(admin_app, make_unit, make_room, make_admin, pair, shard):
    world = World(admin_app, make_unit, make_room, make_admin, pair)
    failures = []
    for index, (endpoint, method, rule) in enumerate(routes(admin_app)):
        if index % MATRIX_SHARDS != shard:
            continue
        case = MATRIX.get((endpoint, method))
        if case is None:
            continue  # reported by test_every_route_is_in_the_authorisation_matrix
        url = world.url(rule)
        if case.query:
            url += "?" + case.query.format(unit1=world.unit1)
        for role in ROLES:
            if case.room_a:
                world.set_room_a(case.room_a)
            client = world.clients[role]
            if method == "GET":
                response = client.get(url, headers=case.headers)
            else:
                data = case.data(world) if callable(case.data) else case.data
                response = client.form_post(url, data or {})
            if response.status_code != case.expect[role]:
                failures.append(f"{method} {url} as {role}: {response.status_code}, expected {case.expect[role]}")
            assert response.status_code < 500, f"{method} {url} as {role}: {response.get_data(as_text=True)[:500]}"
            check_headers(response, endpoint)
            response.close()  # static files are streamed: close them
            if endpoint == "admin.logout":
                world.relogin(role)
    assert not failures, "authorisation matrix:\n" + "\n".join(failures)


# ---- headers on every response -----------------------------------------------------------------


def check_headers(response, endpoint: str, secure: bool = False) -> None:
    h = response.headers
    if endpoint in ("admin.stats_chart", "admin.stats_faults_chart", "admin.stats_bookings_chart") and response.status_code == 200:
        assert h["Content-Security-Policy"].startswith("default-src 'none'; style-src 'sha256-")
    else:
        assert h["Content-Security-Policy"] == security.CSP, endpoint
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"
    assert h["X-Frame-Options"] == "DENY"
    camera = "camera=(self)" if endpoint == "devicecheck.devices" else "camera=()"
    assert camera in h["Permissions-Policy"] and ("microphone=(self)" in h["Permissions-Policy"]) == (
        endpoint == "devicecheck.devices"), endpoint
    assert ("Strict-Transport-Security" in h) == secure, endpoint


def test_the_content_security_policy_is_strict():
    directives = dict(d.strip().split(" ", 1) for d in security.CSP.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["base-uri"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in security.CSP and "unsafe-eval" not in security.CSP


def test_hsts_over_https_only(admin_app, admin_client):
    for path in ("/", "/tillganglighet", "/admin/login", "/healthz"):
        check_headers(admin_app.test_client().get(path, base_url="https://kiosk.example"), "", secure=True)
        check_headers(admin_app.test_client().get(path), "", secure=False)


def test_htmx_is_configured_to_need_no_forbidden_source(client):
    html = client.get("/tillganglighet").get_data(as_text=True)
    config = json.loads(re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', html).group(1))
    assert config["includeIndicatorStyles"] is False and config["allowEval"] is False
    assert config["selfRequestsOnly"] is True and config["allowScriptTags"] is False


def test_no_inline_script_or_style_on_admin_pages(admin_client, make_room):
    make_room()
    for path in ("/admin/", "/admin/rooms", "/admin/tablets", "/admin/stats", "/admin/events", "/admin/login",
                 "/tillganglighet"):
        html = admin_client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert "<style" not in html and " style=" not in html and " hx-" not in html, path


# ---- abuse limits -------------------------------------------------------------------------------------


def test_oversized_bodies_get_413(admin_client, client):
    big = "x" * (70 * 1024)
    r = client.form_post("/pair", {"code": big})
    assert r.status_code == 413 and "För mycket data" in r.get_data(as_text=True)
    assert admin_client.form_post("/admin/rooms", {"name": big}).status_code == 413


def test_at_most_ten_pairing_attempts_a_minute_per_address(app, client, make_room, new_pairing_code, frozen_clock):
    for _ in range(10):
        assert client.form_post("/pair", {"code": "ZZZZ-ZZZZ"}).status_code == 400
    code = new_pairing_code(room_id=make_room())
    r = client.form_post("/pair", {"code": code})
    assert r.status_code == 429 and "För många försök att koppla" in r.get_data(as_text=True)
    r = client.form_post("/pair?lang=en", {"code": code})
    assert r.status_code == 429 and "Too many attempts to pair" in r.get_data(as_text=True)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.3.3.3"
    assert other.form_post("/pair", {"code": "ZZZZ-ZZZZ"}).status_code == 400
    clock.advance(timedelta(seconds=61))
    assert client.form_post("/pair", {"code": code}).status_code == 303


def test_pairing_limit_is_counted_in_the_database(app, make_app, frozen_clock):
    """Another worker (another app object) sees the same count."""
    worker = make_app()
    first, second = app.test_client(), worker.test_client()
    for i in range(10):
        assert (first if i % 2 else second).form_post("/pair", {"code": "ZZZZ-ZZZZ"}).status_code == 400
    assert first.form_post("/pair", {"code": "ZZZZ-ZZZZ"}).status_code == 429
    with app.app_context():
        from kiosk.models import RateHit

        hashes = db.session.scalars(select(RateHit.key_hash)).all()  # the refused attempt wrote nothing
        assert len(hashes) == 10 and all(len(h) == 64 and "127.0.0.1" not in h for h in hashes)


def test_unit_manager_helper_for_other_parts(admin_app, make_admin, make_unit):
    """may_see_unit: what /board and door panels will ask for administrators."""
    from kiosk.accounts import may_see_unit
    from kiosk.models import AdminUser

    mine, theirs = make_unit(), make_unit()
    manager, boss = make_admin("unit", unit_id=mine), make_admin()
    with admin_app.app_context():
        m, b = db.session.get(AdminUser, manager.id), db.session.get(AdminUser, boss.id)
        assert may_see_unit(m, mine) and not may_see_unit(m, theirs) and not may_see_unit(None, mine)
        assert may_see_unit(b, mine) and may_see_unit(b, theirs)
        assert db.session.get(Unit, mine) is not None


def test_a_form_post_over_https_works_without_a_referer(admin_app, make_admin):
    """Over https a browser sends no Referer (Referrer-Policy: no-referrer); the CSRF token must suffice."""
    account = make_admin()
    client = admin_app.test_client()
    base = "https://kiosk.example"
    page = client.get("/admin/login", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/admin/login", base_url=base,
                    data={"email": account.email, "password": account.password, "csrf_token": token})
    assert r.status_code == 303, r.get_data(as_text=True)[:300]
