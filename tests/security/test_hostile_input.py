"""Hostile input to every form and htmx endpoint (hypothesis): very long
strings, control characters, HTML and SQL payloads, wrong types, repeated and
missing fields. Never a 500; what comes back has no markup of ours from the
input (no script, no event handler); and what was stored is shown escaped on
every page that shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.extensions import db
from kiosk.models import Room, Unit
from kiosk.rooms import service
from kiosk.rooms.service import Actor
from tests.admin_support import log_in

MARKUP = [
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "<a href=\"javascript:alert(1)\">x</a>",
]
PAYLOADS = MARKUP + [
    "'; DROP TABLE room; --", "1 OR 1=1", "Robert'); DROP TABLE unit;--", "{{ 7*7 }}", "${7*7}", "[name]",
    "{vgr-it.phone}", "../../etc/passwd", "\x00", "a\x00b", "\u202e\u0631", "\r\nSet-Cookie: x=y", "%00",
    "=HYPERLINK(\"https://evil.example\")", "😀" * 30, "ǅ̴̛̖", "-1", "0", "99999999999999999999", "1e308", "NaN",
    " ", "\t\n", "x" * 5000, "2026-02-30", "2026-11-26", "admin:1",
    # str.isdigit() says yes to these; int() refuses the first and misreads the rest.
    "²", "0²:30", "٣٠", "１５",
]
hostile_text = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(max_size=40),
    st.text(min_size=80, max_size=1500),
    st.integers().map(str),
    st.just(""),
)
# A field is a value, a repeated field, or absent.
field_value = st.one_of(hostile_text, st.lists(hostile_text, min_size=2, max_size=3))
# How many examples: the profile's (tests/conftest.py: 30, or 10 in `make test-fast`).
SETTINGS = settings(deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    fields: tuple[str, ...]
    who: str  # "anonymous", "door", "board" or "admin"

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("POST", "/rooms/{slug}/check-in", ("minutes", "name", "title"), "door"),
    Endpoint("POST", "/rooms/{slug}/checklists/environment/items/private-room", ("ticked",), "door"),
    Endpoint("POST", "/rooms/{slug}/checklists/environment/reset", (), "door"),
    Endpoint("POST", "/rooms/{slug}/skip", ("reason",), "door"),
    Endpoint("POST", "/rooms/{slug}/start", (), "door"),
    Endpoint("POST", "/rooms/{slug}/extend", ("minutes",), "door"),
    Endpoint("POST", "/rooms/{slug}/end", (), "door"),
    Endpoint("POST", "/rooms/{slug}/cancel", (), "door"),
    Endpoint("POST", "/rooms/{slug}/finish", ("outcome",), "door"),
    Endpoint("GET", "/rooms/{slug}/door/poll", ("v",), "door"),
    Endpoint("GET", "/board/poll", ("v",), "board"),
    Endpoint("POST", "/rooms/{slug}/console-code", (), "door"),
    Endpoint("GET", "/console", ("code",), "anonymous"),
    Endpoint("POST", "/console", ("code",), "anonymous"),
    Endpoint("GET", "/rooms/{slug}/console", ("lang",), "console"),
    Endpoint("GET", "/rooms/{slug}/console/poll", ("v",), "console"),
    Endpoint("POST", "/rooms/{slug}/console/check-in", ("minutes", "name", "title"), "console"),
    Endpoint("POST", "/rooms/{slug}/console/checklists/environment/items/private-room", ("ticked",), "console"),
    Endpoint("POST", "/rooms/{slug}/console/checklists/environment/reset", (), "console"),
    Endpoint("POST", "/rooms/{slug}/console/skip", ("reason",), "console"),
    Endpoint("POST", "/rooms/{slug}/console/cancel", (), "console"),
    Endpoint("POST", "/rooms/{slug}/console/extend", ("minutes",), "console"),
    Endpoint("POST", "/rooms/{slug}/console/end", (), "console"),
    Endpoint("POST", "/rooms/{slug}/console/finish", ("outcome",), "console"),
    Endpoint("GET", "/rooms/{slug}/console/guides/no-show", ("shown",), "console"),
    Endpoint("GET", "/rooms/{slug}/door/guides/no-show", ("shown",), "door"),
    Endpoint("GET", "/pair", ("code",), "anonymous"),
    Endpoint("POST", "/pair", ("code",), "anonymous"),
    Endpoint("GET", "/search", ("q",), "anonymous"),
    Endpoint("POST", "/checklists/equipment/items/headset", ("ticked",), "anonymous"),
    Endpoint("POST", "/checklists/equipment/reset", (), "anonymous"),
    Endpoint("GET", "/guides/no-show", ("shown", "room"), "anonymous"),
    Endpoint("POST", "/guides/no-show/start", ("booked_time", "now"), "anonymous"),
    Endpoint("POST", "/guides/no-show/choose", ("step", "choice", "name", "title", "clinic"), "anonymous"),
    Endpoint("POST", "/guides/no-show/script", ("name", "title", "clinic"), "anonymous"),
    Endpoint("POST", "/guides/no-show/reset", (), "anonymous"),
    Endpoint("GET", "/print/door-sign.html", ("room", "lang"), "anonymous"),
    Endpoint("POST", "/admin/login", ("email", "password", "next"), "anonymous"),
    Endpoint("GET", "/admin/login", ("next",), "anonymous"),
    Endpoint("POST", "/admin/session/extend", (), "admin"),
    Endpoint("POST", "/admin/units", ("name", "slug"), "admin"),
    Endpoint("POST", "/admin/units/{unit}", ("name", "show_clinician"), "admin"),
    Endpoint("POST", "/admin/rooms", ("unit", "name", "slug", "location"), "admin"),
    Endpoint("POST", "/admin/rooms/{room}", ("name", "location"), "admin"),
    Endpoint("POST", "/admin/rooms/{room}/active", ("active",), "admin"),
    Endpoint("POST", "/admin/rooms/{room}/force-end", ("reason", "session"), "admin"),
    Endpoint("POST", "/admin/tablets/pair", ("kind", "room", "unit"), "admin"),
    Endpoint("POST", "/admin/accounts", ("email", "role", "unit"), "admin"),
    Endpoint("POST", "/admin/accounts/{account}/active", ("active",), "admin"),
    Endpoint("POST", "/admin/accounts/{account}/password", (), "admin"),
    Endpoint("POST", "/admin/accounts/{account}/unlock", (), "admin"),
    Endpoint("POST", "/admin/account/password", ("current", "new", "repeat"), "admin"),
    Endpoint("GET", "/admin/events", ("room", "kind", "from", "to", "page"), "admin"),
    Endpoint("GET", "/admin/events.csv", ("room", "kind", "from", "to"), "admin"),
    Endpoint("GET", "/admin/stats", ("unit", "from", "to"), "admin"),
    Endpoint("GET", "/admin/stats.csv", ("unit", "from", "to"), "admin"),
    Endpoint("GET", "/admin/stats/meetings.svg", ("unit", "from", "to"), "admin"),
    # issue 15: a unit's opening hours; the door's manifest.
    Endpoint("POST", "/admin/units/{unit}", ("name", "opens_mon", "closes_mon", "opens_sat", "closes_sun"), "admin"),
    Endpoint("GET", "/rooms/{slug}/door/manifest.webmanifest", ("lang",), "door"),
]
# The board's bookings and check-in (issue 13).
ENDPOINTS += [
    Endpoint("GET", "/board", ("free", "unit"), "board"),
    Endpoint("GET", "/board/rooms/{slug}", ("lang",), "board"),
    Endpoint("POST", "/board/rooms/{slug}/bookings", ("day", "start", "end", "minutes", "name", "title"), "board"),
    Endpoint("POST", "/board/rooms/{slug}/bookings/1/move", ("day", "start", "end", "minutes", "room"), "board"),
    Endpoint("POST", "/board/rooms/{slug}/bookings/1/cancel", (), "board"),
    Endpoint("POST", "/board/rooms/{slug}/check-in", ("minutes", "name", "title"), "board"),
    Endpoint("POST", "/board/rooms/{slug}/check-in/undo", ("session",), "board"),
    Endpoint("POST", "/board/rooms/{slug}/check-in/cancel", ("session",), "board"),
    Endpoint("POST", "/board/rooms/{slug}/console-code", (), "board"),
    Endpoint("POST", "/admin/rooms/{room}/bookings", ("day", "start", "end", "name", "title"), "admin"),
    Endpoint("POST", "/admin/rooms/{room}/bookings/1/move", ("day", "start", "end"), "admin"),
    Endpoint("POST", "/admin/rooms/{room}/calendar", ("url",), "admin"),
]
# Pages that show what was stored: each must show it escaped.
DISPLAY = ["/rooms/{slug}/door", "/rooms/{slug}/console", "/board", "/admin/rooms", "/admin/units", "/admin/sessions", "/admin/events",
           "/admin/tablets", "/admin/accounts", "/admin/account", "/admin/stats?unit={unit}", "/admin/room_edit", "/print/"]
# Room health (issue 15): reports from the door, the console and the device check, the admin pages.
ENDPOINTS += [
    Endpoint("POST", "/rooms/{slug}/fault", ("kind", "text"), "door"),
    Endpoint("POST", "/rooms/{slug}/console/fault", ("kind", "text"), "console"),
    Endpoint("POST", "/rooms/{slug}/console/knock-seen", (), "console"),
    Endpoint("POST", "/rooms/{slug}/knock", (), "door"),
    Endpoint("POST", "/rooms/{slug}/console-disconnect", (), "door"),
    Endpoint("POST", "/check/devices/result", ("camera", "microphone", "sound", "room"), "admin"),
    Endpoint("POST", "/check/devices/fault", ("kind", "text", "room"), "admin"),
    Endpoint("GET", "/check/devices", ("room",), "admin"),
    Endpoint("POST", "/admin/faults/{fault}/fix", ("note",), "admin"),
    Endpoint("GET", "/admin/stats/faults", ("unit", "from", "to"), "admin"),
    Endpoint("GET", "/admin/stats/faults.csv", ("unit", "from", "to"), "admin"),
    Endpoint("GET", "/admin/stats/faults/per-kind.svg", ("unit", "from", "to"), "admin"),
]
DISPLAY += ["/admin/faults", "/admin/stats/faults?unit={unit}"]
DISPLAY += ["/admin/rooms/{room}/bookings"]
# Booking from the room console and from a staff page (issue 13).
ENDPOINTS += [
    Endpoint("GET", "/rooms/{slug}/console/bookings", ("lang",), "console"),
    Endpoint("POST", "/rooms/{slug}/console/bookings", ("day", "start", "end", "minutes", "name", "title"), "console"),
    Endpoint("POST", "/rooms/{slug}/console/bookings/1/move", ("day", "start", "end", "minutes"), "console"),
    Endpoint("POST", "/rooms/{slug}/console/bookings/1/cancel", (), "console"),
    Endpoint("GET", "/rooms/{slug}/day", ("lang",), "anonymous"),
    Endpoint("POST", "/rooms/{slug}/day/bookings", ("day", "start", "end", "minutes", "name", "title"), "anonymous"),
    Endpoint("POST", "/rooms/{slug}/day/bookings/1/move", ("day", "start", "end", "minutes"), "anonymous"),
    Endpoint("POST", "/rooms/{slug}/day/bookings/1/cancel", (), "anonymous"),
]
DISPLAY += ["/rooms/{slug}/console/bookings", "/rooms/{slug}/day", "/rooms"]
# Every booking by range of days: the board's list and admin's, and cancelling from them.
ENDPOINTS += [
    Endpoint("GET", "/board/bookings", ("from", "to", "room", "lang"), "board"),
    Endpoint("POST", "/board/bookings/1/cancel", ("from", "to", "room"), "board"),
    Endpoint("GET", "/admin/bookings", ("from", "to", "unit", "room"), "admin"),
    Endpoint("POST", "/admin/bookings/1/cancel", ("from", "to"), "admin"),
    Endpoint("POST", "/rooms/{slug}/day/bookings/1/move", ("day", "start", "end", "room"), "anonymous"),
]
DISPLAY += ["/admin/bookings"]


class MarkupFinder(HTMLParser):
    """Collects what would run: a script without src, an on* attribute, a javascript: URL."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")


def assert_escaped(response, sent: list[str], where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}\n{response.get_data(as_text=True)[:1500]}"
    if response.mimetype not in ("text/html", "image/svg+xml"):
        return
    body = response.get_data(as_text=True)
    finder = MarkupFinder()
    finder.feed(body)
    assert not finder.problems, f"{where}: {finder.problems}"
    for value in sent:
        for payload in MARKUP:
            if payload in value:
                assert payload not in body, f"{where}: {payload!r} shown unescaped"


class World:
    def __init__(self, app, make_unit, make_room, make_admin, pair):
        self.app = app
        self.unit = make_unit(name="Hudmottagningen", show_clinician=True)
        self.room = make_room(unit_id=self.unit, name="Videorum 1", slug="videorum-1")
        self.clients = {"anonymous": app.test_client(), "door": app.test_client(), "board": app.test_client(),
                        "admin": app.test_client(), "console": app.test_client()}
        pair(self.clients["door"], room_id=self.room)
        pair(self.clients["board"], unit_id=self.unit)
        with app.app_context():
            from kiosk.rooms import pairing

            room = db.session.get(Room, self.room)
            code = pairing.new_code("console", room.unit, room, actor="test")
        assert self.clients["console"].form_post("/pair", {"code": code}).status_code == 303
        self.account = make_admin("global")
        log_in(self.clients["admin"], self.account)
        self.values = {"slug": "videorum-1", "unit": self.unit, "room": self.room, "account": self.account.id}
        with app.app_context():
            from kiosk.rooms import faults

            self.values["fault"] = faults.report(self.room, Actor("test"), "camera", None, "door").id

    def url(self, path: str) -> str:
        if path == "/admin/room_edit":
            return f"/admin/rooms/{self.room}"
        return path.format(**self.values)

    def prepare(self, endpoint: Endpoint) -> None:
        """A force-end needs something to end: keep the room checked in."""
        if endpoint.path.endswith("force-end"):
            with self.app.app_context():
                if service.open_session(self.room) is None:
                    service.check_in(self.room, Actor("test"), name="<b>Anna</b>")

    def open_session(self) -> str:
        with self.app.app_context():
            session = service.open_session(self.room)
            return str(session.id) if session else ""


@pytest.fixture
def world(admin_app, make_unit, make_room, make_admin, pair):
    # Limits would turn most examples into 429s; they have tests of their own.
    admin_app.config.update(LOGIN_LIMIT_PER_MINUTE=10**6, PAIR_LIMIT_PER_MINUTE=10**6, LOGIN_FAILURES_PER_HOUR=10**6,
                            LOGIN_SLOW_AFTER=10**6)
    return World(admin_app, make_unit, make_room, make_admin, pair)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@SETTINGS
@given(data=st.data())
def test_hostile_input_never_breaks_or_injects(world, endpoint, data):
    fields = {name: data.draw(st.one_of(st.none(), field_value), label=name) for name in endpoint.fields}
    if "session" in fields and data.draw(st.booleans(), label="real session"):
        fields["session"] = world.open_session()
    fields = {k: v for k, v in fields.items() if v is not None}
    htmx = data.draw(st.booleans(), label="htmx")
    as_json = endpoint.method == "POST" and data.draw(st.integers(0, 9), label="json") == 0
    world.prepare(endpoint)
    client = world.clients[endpoint.who]
    url = world.url(endpoint.path)
    headers = {"HX-Request": "true"} if htmx else {}
    if endpoint.method == "GET":
        response = client.get(url, query_string=fields, headers=headers)
    elif as_json:  # the wrong type of body altogether
        headers["X-CSRFToken"] = client.csrf_token()
        response = client.post(url, json=fields, headers=headers)
    else:
        headers["X-CSRFToken"] = client.csrf_token()
        response = client.post(url, data=fields, headers=headers)
    sent = [v for value in fields.values() for v in (value if isinstance(value, list) else [value])]
    assert_escaped(response, sent, f"{endpoint} {fields!r}"[:300])
    response.close()


def test_what_was_stored_is_shown_escaped(world):
    """Stored hostile text (a clinician's name, an admin's reason) on every page that shows it."""
    admin, door = world.clients["admin"], world.clients["door"]
    door.hx_post("/rooms/videorum-1/check-in", {"name": MARKUP[0], "title": MARKUP[1]})
    html = door.get("/rooms/videorum-1/door").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html  # shown, as text
    admin.form_post("/admin/rooms", {"unit": world.unit, "name": MARKUP[2], "location": MARKUP[3]})
    r = admin.form_post(f"/admin/rooms/{world.room}/force-end", {"reason": MARKUP[1], "session": world.open_session()})
    assert r.status_code == 400  # an admin's reason may not carry markup
    reason = "Glömd'); DROP TABLE event;-- (kväll)"
    r = admin.form_post(f"/admin/rooms/{world.room}/force-end", {"reason": reason, "session": world.open_session()})
    assert r.status_code == 303
    assert "Glömd&#39;); DROP TABLE event;-- (kväll)" in admin.get("/admin/events").get_data(as_text=True)
    admin.form_post("/admin/rooms", {"unit": world.unit, "name": "Rum (B) – plan 2; 'väst'"})
    door.hx_post("/rooms/videorum-1/check-in", {"name": MARKUP[4], "title": MARKUP[0]})
    with world.app.app_context():
        # Admin fields refuse markup; the door's optional name is kept as typed, shown escaped.
        assert not any("<" in name for name in db.session.scalars(db.select(Room.name)))
        assert not any("<" in name for name in db.session.scalars(db.select(Unit.name)))
    for path in DISPLAY:
        client = (world.clients["board"] if path == "/board" else world.clients["console"] if "/console" in path
                  else door if path.startswith("/rooms") else admin)
        response = client.get(world.url(path))
        assert_escaped(response, MARKUP, path)
    html = door.get("/rooms/videorum-1/door").get_data(as_text=True)
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;x&lt;/a&gt;" in html


def test_a_faults_text_is_stored_only_without_markup_risk_and_shown_escaped(world):
    """A fault's short text follows the name rule (markup is text, shown escaped);
    a fix note likewise, on every page that shows them."""
    door, admin, board = world.clients["door"], world.clients["admin"], world.clients["board"]
    assert door.hx_post("/rooms/videorum-1/fault", {"kind": "camera", "text": MARKUP[1]}).status_code == 200
    assert door.hx_post("/rooms/videorum-1/fault", {"kind": "sound", "text": MARKUP[0][:140]}).status_code == 200
    for path, client in (("/rooms/videorum-1/door", door), ("/rooms/videorum-1/console", world.clients["console"]),
                         ("/board", board), ("/admin/faults", admin), ("/admin/events", admin)):
        response = client.get(path)
        assert_escaped(response, MARKUP, path)
    assert "&lt;img src=x onerror=alert(1)&gt;" in admin.get("/admin/faults").get_data(as_text=True)


# A booking's id past what the database holds (PostgreSQL's integer stops at
# 2^31 - 1), from every surface that moves or cancels one: the same 404 as an
# unknown id, never the database's error.
BOOKING_CHANGES = [
    ("/board/rooms/{slug}/bookings/{id}/move", "board"),
    ("/board/rooms/{slug}/bookings/{id}/cancel", "board"),
    ("/rooms/{slug}/console/bookings/{id}/move", "console"),
    ("/rooms/{slug}/console/bookings/{id}/cancel", "console"),
    ("/rooms/{slug}/day/bookings/{id}/move", "anonymous"),
    ("/rooms/{slug}/day/bookings/{id}/cancel", "anonymous"),
    ("/admin/rooms/{room}/bookings/{id}/move", "admin"),
    ("/admin/rooms/{room}/bookings/{id}/cancel", "admin"),
    ("/board/bookings/{id}/cancel", "board"),
    ("/admin/bookings/{id}/cancel", "admin"),
]


@pytest.mark.parametrize("path,who", BOOKING_CHANGES, ids=[p for p, _ in BOOKING_CHANGES])
@pytest.mark.parametrize("booking_id", ["2147483648", "9223372036854775808", "999999999999", "1" * 40, "²", "-1"])
def test_a_booking_id_past_the_database_is_not_found(world, path, who, booking_id):
    world.app.config["PROPAGATE_EXCEPTIONS"] = False
    client = world.clients[who]
    url = path.format(**world.values, id=booking_id)
    for htmx in (False, True):
        headers = {"HX-Request": "true"} if htmx else {}
        headers["X-CSRFToken"] = client.csrf_token()
        response = client.post(url, data={"day": "2026-12-08", "start": "09:00", "minutes": "30"}, headers=headers)
        assert response.status_code == 404, (url, htmx, response.status_code)
        if not htmx:
            assert "Sidan finns inte" in response.get_data(as_text=True)


def test_opening_hours_with_a_superscript_digit_get_the_forms_message(world):
    world.app.config["PROPAGATE_EXCEPTIONS"] = False
    client = world.clients["admin"]
    response = client.form_post(f"/admin/units/{world.unit}", {
        "name": "Hudmottagningen", "show_clinician": "y", "opens_mon": "0²:30", "closes_mon": "17:00"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "skriv tiderna som TT:MM" in page
    assert "0²:30" in page  # what was typed stays, to be mended
    with world.app.app_context():
        assert db.session.get(Unit, world.unit).opening_hours is None
