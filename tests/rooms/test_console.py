"""The room console (issue 11): claiming it with the door's code, pairing it
for good, what it may do, and what the door and the board show about it."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import ConsoleCode, Event, Room, RoomSession, Tablet
from kiosk.rooms import pairing, service

# What htmx says of a form that swaps the console panel (the readiness list on it).
PANEL_TARGET = {"HX-Target": "console-panel"}
SIGN_SV = "Här pågår videomöte\u00a0- var god stör ej"


def door_code(html: str) -> str:
    """The console code the door shows (ABC-234)."""
    return re.search(r'class="console-code-value">.*?<strong>([A-Z0-9]{3}-[A-Z0-9]{3})</strong>', html, re.S).group(1)


def session_of(app, room_id):
    with app.app_context():
        return db.session.scalar(select(RoomSession).where(RoomSession.room_id == room_id,
                                                           RoomSession.ended_at.is_(None)))


def last_event(app):
    with app.app_context():
        return db.session.scalar(select(Event).order_by(Event.id.desc()))


@pytest.fixture
def checked_in(door_client):
    """The door_client's room checked in at the door; returns the code the door shows."""
    html = door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {"minutes": "30"}).get_data(as_text=True)
    return door_code(html)


@pytest.fixture
def console_client(app, door_client, checked_in):
    """A browser that claimed the console of the door_client's checked-in room."""
    client = app.test_client()
    r = client.form_post("/console", {"code": checked_in})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/rooms/{door_client.slug}/console")
    client.slug, client.room_id = door_client.slug, door_client.room_id
    return client


def pair_console(app, client, room_id):
    """Pair ``client`` for good as the console of a room (as the CLI does)."""
    with app.app_context():
        room = db.session.get(Room, room_id)
        code = pairing.new_code("console", room.unit, room, actor="test")
    r = client.form_post("/pair", {"code": code})
    assert r.status_code == 303 and r.headers["Location"].endswith("/console")
    return client


# ---- the code on the door and claiming it ----------------------------------------


def test_check_in_at_the_door_shows_a_code_with_its_address_and_qr(door_client, app):
    html = door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {}).get_data(as_text=True)
    code = door_code(html)
    assert code and "/console" in html and '<svg role="img"' in html and "qr-code" in html
    assert "Koden gäller till" in html and "0 av 13 klara" in html
    assert last_event(app).kind == "console-code"


def test_claiming_the_code_binds_the_browser_and_the_door_says_so(console_client, door_client, app):
    r = console_client.get(f"/rooms/{console_client.slug}/console")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" in html and "Checklista innan mötet" in html
    assert r.headers["X-Kiosk-Fragment"] == "console" and r.headers["Cache-Control"] == "no-store"
    frag = console_client.hx_get(f"/rooms/{console_client.slug}/console").get_data(as_text=True)
    assert frag.lstrip().startswith('<section id="console-panel"') and "<html" not in frag
    cookie = [c for c in console_client.cookie_jar] if hasattr(console_client, "cookie_jar") else None
    assert cookie is None or any(c.name == "kiosk_console" for c in cookie)
    door = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    assert "Besöket körs från en konsol sedan" in door and "console-code-value" not in door
    event = last_event(app)
    assert event.kind == "console-claim" and event.actor.startswith("console-code:")
    # /console takes a bound browser to its room.
    r = console_client.get("/console")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/rooms/{console_client.slug}/console")


def test_the_console_cookie_is_httponly_and_strict(app, door_client, checked_in):
    r = app.test_client().form_post("/console", {"code": checked_in.lower().replace("-", " ")})
    cookie = r.headers["Set-Cookie"]
    assert r.status_code == 303 and "kiosk_console=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_the_claim_page_takes_the_code_from_the_qr_address(client):
    html = client.get("/console?code=ABC-234").get_data(as_text=True)
    assert 'value="ABC-234"' in html and "Kod från dörren" in html
    assert "Code from the door" in client.get("/console?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("code,message", [("", "6 tecken"), ("AB", "6 tecken"), ("<script>", "6 tecken"),
                                          ("ZZZ-ZZZ", "Koden finns inte")])
def test_wrong_codes_are_refused_with_words(client, code, message):
    r = client.form_post("/console", {"code": code})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and message in html and "<script>" not in html
    assert "kiosk_console" not in r.headers.get("Set-Cookie", "")


def test_a_code_works_once(app, console_client, checked_in):
    r = app.test_client().form_post("/console", {"code": checked_in})
    assert r.status_code == 400 and "Koden har redan använts" in r.get_data(as_text=True)


def test_a_code_expires(frozen_clock, app, door_client, checked_in):
    clock.advance(timedelta(minutes=5, seconds=1))
    r = app.test_client().form_post("/console", {"code": checked_in})
    assert r.status_code == 400 and "Koden har gått ut" in r.get_data(as_text=True)
    door = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    assert "Koden har gått ut." in door and "Ny kod" in door


def test_a_new_code_on_the_door_replaces_the_old_one(app, door_client, checked_in):
    html = door_client.hx_post(f"/rooms/{door_client.slug}/console-code", {}).get_data(as_text=True)
    fresh = door_code(html)
    assert fresh != checked_in
    assert app.test_client().form_post("/console", {"code": checked_in}).status_code == 400
    assert app.test_client().form_post("/console", {"code": fresh}).status_code == 303


def test_a_code_of_an_ended_visit_is_refused(app, door_client, checked_in):
    door_client.hx_post(f"/rooms/{door_client.slug}/cancel", {})
    r = app.test_client().form_post("/console", {"code": checked_in})
    assert r.status_code == 400 and "Besöket som koden gällde är avslutat." in r.get_data(as_text=True)


def test_guessing_codes_is_limited_per_address(app, door_client, checked_in):
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    answers = [guesser.form_post("/console", {"code": "ZZZ-ZZZ"}).status_code for _ in range(10)]
    assert answers == [400] * 10
    r = guesser.form_post("/console", {"code": checked_in})  # even the right code, now
    assert r.status_code == 429 and "kiosk_console" not in r.headers.get("Set-Cookie", "")


def test_claiming_needs_csrf(app, checked_in):
    assert app.test_client().post("/console", data={"code": checked_in}).status_code == 400


# ---- who may use a console ---------------------------------------------------------


def test_an_unpaired_browser_gets_403_everywhere(client, door_client, checked_in):
    slug = door_client.slug
    assert client.get(f"/rooms/{slug}/console").status_code == 403
    assert client.hx_get(f"/rooms/{slug}/console/poll?v=1").status_code == 403
    for action in ("checklists/environment/items/private-room", "checklists/environment/reset",
                   "skip", "cancel", "extend", "end", "finish", "check-in"):
        assert client.hx_post(f"/rooms/{slug}/console/{action}", {"ticked": "1"}).status_code == 403
    assert door_client.get(f"/rooms/{slug}/console").status_code == 403  # a door tablet is not a console


def test_another_rooms_console_gets_403(app, console_client, make_room):
    other = make_room(name="Videorum 9", slug="videorum-9")
    assert console_client.get("/rooms/videorum-9/console").status_code == 403
    assert console_client.hx_post("/rooms/videorum-9/console/cancel", {}).status_code == 403
    for key in ("no-show", "connection-problems", "call-broken"):  # the guides in the console view too
        assert console_client.get(f"/rooms/videorum-9/console/guides/{key}").status_code == 403
        assert console_client.get(f"/rooms/{console_client.slug}/console/guides/{key}").status_code == 200
    assert console_client.hx_post("/rooms/videorum-9/console/fault", {"kind": "camera"}).status_code == 403
    assert session_of(app, other) is None


def test_a_console_after_its_visit_is_told_and_can_do_nothing(app, console_client, door_client):
    slug = console_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/cancel", {})
    door_client.hx_post(f"/rooms/{slug}/check-in", {})  # the next visit
    r = console_client.get(f"/rooms/{slug}/console")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Besöket är avslutat" in html and "Checklista innan mötet" not in html
    assert "data-hx-trigger" not in html  # it stops polling
    r = console_client.hx_post(f"/rooms/{slug}/console/cancel", {})
    assert r.status_code == 409 and r.headers["X-Kiosk-Error"] == "409"
    assert session_of(app, console_client.room_id).state == "preparing"


# ---- running the visit from the console --------------------------------------------------


def test_a_whole_visit_from_the_console_as_door_and_board_see_it(app, console_client, door_client, pair):
    slug = console_client.slug
    with app.app_context():
        unit_id = db.session.get(Room, console_client.room_id).unit_id
        keys = sorted(service.readiness_keys())
    board = pair(app.test_client(), unit_id=unit_id)
    html = board.get("/board").get_data(as_text=True)
    assert "Checklistan: 0 av 13 klara" in html and "Styrs från datorn i rummet" in html
    first, *rest = keys
    r = console_client.hx_post(f"/rooms/{slug}/console/checklists/{first[0]}/items/{first[1]}", {"ticked": "1"},
                               headers=PANEL_TARGET)
    assert r.status_code == 200 and "1 av 13 klara" in r.get_data(as_text=True)
    # The one item markup, its id kept across the swap so the focus stays on it.
    assert re.search(rf'id="tick-{first[0]}-{first[1]}"[^>]*aria-checked="true"', r.get_data(as_text=True))
    assert "1 av 13 klara" in door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)
    assert "Checklistan: 1 av 13 klara" in board.get("/board").get_data(as_text=True)
    for checklist, item in rest:
        html = console_client.hx_post(f"/rooms/{slug}/console/checklists/{checklist}/items/{item}", {"ticked": "1"},
                                      headers=PANEL_TARGET).get_data(as_text=True)
    assert "Mötet pågår." in html
    assert SIGN_SV in door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)
    assert last_event(app).kind == "start" and last_event(app).actor.startswith("console-code:")
    assert console_client.hx_post(f"/rooms/{slug}/console/extend", {}).status_code == 200
    html = console_client.hx_post(f"/rooms/{slug}/console/end", {"confirmed": "yes"}).get_data(as_text=True)
    assert "Hur gick mötet?" in html
    html = console_client.hx_post(f"/rooms/{slug}/console/finish", {"outcome": "held"}).get_data(as_text=True)
    assert 'id="wrapup-unticked"' in html  # nothing of the ending ticked: asked once
    html = console_client.hx_post(f"/rooms/{slug}/console/finish",
                                  {"outcome": "held", "anyway": "yes"}).get_data(as_text=True)
    assert "Besöket är avslutat" in html
    assert session_of(app, console_client.room_id) is None
    assert "Ledigt" in board.get("/board").get_data(as_text=True)


def test_console_actions_without_htmx_redirect_back(console_client):
    slug = console_client.slug
    r = console_client.form_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/rooms/{slug}/console")


@pytest.mark.parametrize("path,data", [
    ("checklists/environment/items/nope", {"ticked": "1"}),
    ("checklists/environment/items/private-room", {"ticked": "2"}),
    ("checklists/nope/reset", {}),
    ("skip", {"reason": "lazy"}), ("finish", {"outcome": "held"}), ("check-in", {}),
])
def test_bad_console_input_is_refused_with_words(app, console_client, path, data):
    r = console_client.hx_post(f"/rooms/{console_client.slug}/console/{path}", data)
    assert r.status_code in (400, 409) and r.headers["X-Kiosk-Error"] == str(r.status_code)
    assert session_of(app, console_client.room_id).state == "preparing"


def test_the_console_poll_is_204_until_something_changes(console_client, door_client):
    slug = console_client.slug
    html = console_client.get(f"/rooms/{slug}/console").get_data(as_text=True)
    v = re.search(r'/console/poll\?v=([^"&]+)', html).group(1)
    r = console_client.hx_get(f"/rooms/{slug}/console/poll?v={v}")
    assert r.status_code == 204 and r.headers["X-Kiosk-Fragment"] == "console"
    console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    r = console_client.hx_get(f"/rooms/{slug}/console/poll?v={v}")
    assert r.status_code == 200 and "Mötet pågår." in r.get_data(as_text=True)


def test_the_console_in_english(console_client):
    html = console_client.get(f"/rooms/{console_client.slug}/console?lang=en").get_data(as_text=True)
    assert "Console – " in html and "Checklist before the meeting" in html


# ---- a console paired for good ------------------------------------------------------------


def test_cli_pairs_a_console_that_checks_in_without_a_code(app, runner, make_room, door_client):
    result = runner.invoke(args=["pair", "--console", door_client.slug])
    assert result.exit_code == 0, result.output
    code = re.search(r"Pairing code for the console of .*: ([A-Z0-9]{4}-[A-Z0-9]{4})", result.output).group(1)
    assert runner.invoke(args=["pair", "--console", "--board", door_client.slug]).exit_code != 0
    computer = app.test_client()
    r = computer.form_post("/pair", {"code": code})
    assert r.status_code == 303 and r.headers["Location"].endswith("/console")
    r = computer.get("/console")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/rooms/{door_client.slug}/console")
    html = computer.get(f"/rooms/{door_client.slug}/console").get_data(as_text=True)
    assert "Checka in och förbered rummet" in html
    html = computer.hx_post(f"/rooms/{door_client.slug}/console/check-in", {"minutes": "45"}).get_data(as_text=True)
    assert "Checklista innan mötet" in html
    with app.app_context():
        assert db.session.scalar(select(ConsoleCode.id)) is None  # no code needed
        tablet = db.session.scalar(select(Tablet).where(Tablet.kind == "console"))
    assert last_event(app).kind == "check-in" and last_event(app).tablet_id == tablet.id
    door = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    assert "Besöket körs från datorn i rummet." in door
    # Checking in at the door of such a room shows no code either.
    computer.hx_post(f"/rooms/{door_client.slug}/console/cancel", {})
    html = door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {}).get_data(as_text=True)
    assert "console-code-value" not in html


def test_a_revoked_console_is_told(app, door_client):
    computer = pair_console(app, app.test_client(), door_client.room_id)
    with app.app_context():
        tablet_id = db.session.scalar(select(Tablet.id).where(Tablet.kind == "console"))
        pairing.revoke(tablet_id, actor="admin:test")
    r = computer.hx_get(f"/rooms/{door_client.slug}/console")
    assert r.status_code == 403 and r.headers["X-Kiosk-Fragment"] == "revoked"


# ---- the door as a sign, and the loop closed by the no-show guide ------------------------------


def test_ending_at_the_door_takes_a_second_deliberate_press(door_client):
    slug = door_client.slug
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    html = door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "urgent"}).get_data(as_text=True)
    confirm = re.search(r'<details class="skip confirm-end"[^>]*>(.*?)</details>', html, re.S).group(1)
    assert "<summary>Avsluta videomötet</summary>" in confirm and "Ja, avsluta videomötet" in confirm
    assert f'action="/rooms/{slug}/end"' in confirm and html.count(f'action="/rooms/{slug}/end"') == 1


@pytest.mark.parametrize("surface", ["door", "console"])
def test_a_no_show_recorded_in_the_guide_is_the_wrap_up_answer(frozen_clock, app, console_client, door_client,
                                                               surface):
    slug = door_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    with app.app_context():
        service.record_no_show(door_client.room_id, service.Actor("test"), result="no-show")
    clock.advance(timedelta(minutes=12))
    ended_at = clock.now()
    client = door_client if surface == "door" else console_client
    if surface == "door":  # the clinician takes the visit back at the door
        door_client.hx_post(f"/rooms/{slug}/console-disconnect", {})
    base = f"/rooms/{slug}" if surface == "door" else f"/rooms/{slug}/console"
    html = client.hx_post(f"{base}/end", {"confirmed": "yes"}).get_data(as_text=True)
    assert "Utfall enligt guiden: Patienten anslöt inte." in html and "Hur gick mötet?" not in html
    assert "Klart – frigör rummet" in html
    with app.test_request_context():
        from kiosk.i18n import local_time

        assert f"Sedan {local_time(ended_at)}" in html  # wrap-up's own time, not check-in's
    client.hx_post(f"{base}/finish", {"outcome": "no-show", "anyway": "yes"})
    with app.app_context():
        closed = db.session.scalar(select(RoomSession).order_by(RoomSession.id.desc()))
        assert closed.outcome == "no-show" and closed.ended_at is not None


# ---- the room's checklists on the console (R5-R9, R22-R25, R35-R36) ------------------------------


def test_the_meeting_on_the_console_holds_the_start_and_identity_checklists(app, console_client):
    slug = console_client.slug
    html = console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"}).get_data(as_text=True)
    # The checklists' own component: its ids, its progress, its "does not apply" toggles.
    for key in ("meeting-start", "identity"):
        assert f'id="checklist-{key}"' in html and f'id="progress-{key}"' in html
    assert 'id="tick-identity-bankid"' in html and 'id="na-identity-bankid"' in html
    assert f'action="/rooms/{slug}/console/checklists/identity/items/bankid"' in html  # the room's one tick route
    assert f'action="/rooms/{slug}/console/checklists/identity/reset"' in html
    assert "Säg att du ringer upp på angivet telefonnummer vid teknikproblem" in html  # R25


def test_a_tick_from_the_console_is_kept_on_the_room_session(app, console_client, door_client):
    slug = console_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    r = console_client.hx_post(f"/rooms/{slug}/console/checklists/identity/items/bankid", {"ticked": "na"})
    assert r.status_code == 200 and 'id="item-identity-bankid"' in r.get_data(as_text=True)
    r = console_client.hx_post(f"/rooms/{slug}/console/checklists/meeting-start/items/phone-backup", {"ticked": "1"})
    assert r.status_code == 200
    r = console_client.form_post(f"/rooms/{slug}/console/checklists/meeting-start/items/call", {"ticked": "1"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/rooms/{slug}/console")  # without htmx
    with app.app_context():
        marks = service.marks(service.open_session(console_client.room_id))
    assert marks[("identity", "bankid")] == "na" and marks[("meeting-start", "phone-backup")] == "done"
    assert marks[("meeting-start", "call")] == "done"
    assert last_event(app).actor.startswith("console-code:")
    html = console_client.get(f"/rooms/{slug}/console").get_data(as_text=True)
    assert re.search(r'id="tick-meeting-start-phone-backup"[^>]*aria-checked="true"', html)


def test_wrap_up_on_the_console_is_the_ending_checklist_with_teach_back(app, console_client, door_client):
    slug = console_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    html = console_client.hx_post(f"/rooms/{slug}/console/end", {"confirmed": "yes"}).get_data(as_text=True)
    assert 'id="checklist-ending"' in html and 'id="tick-ending-summarise"' in html
    assert "Summera det som sagts och överenskommelserna" in html and "Hur gick mötet?" in html
    r = console_client.hx_post(f"/rooms/{slug}/console/checklists/ending/items/summarise", {"ticked": "1"})
    assert r.status_code == 200
    with app.app_context():
        assert ("ending", "summarise") in service.ticks(service.open_session(console_client.room_id))
    # The door is a sign, not where the visit is run: a knock, no way to free the room.
    door = door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)
    assert 'id="door-knock"' in door and 'id="checklist-ending"' not in door
    assert f'action="/rooms/{slug}/finish"' not in door


def test_a_console_of_an_ended_visit_ticks_nothing_in_the_room(app, console_client, door_client):
    slug = console_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/cancel", {})
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "urgent"})
    r = console_client.hx_post(f"/rooms/{slug}/console/checklists/identity/items/bankid", {"ticked": "1"})
    assert r.status_code == 409
    with app.app_context():
        assert ("identity", "bankid") not in service.ticks(service.open_session(console_client.room_id))


# ---- guides from the console and the door (R26-R28, R37-R39; issue 11 items 5-6) ----------------


@pytest.mark.parametrize("key", ["no-show", "connection-problems", "call-broken"])
def test_the_meetings_guides_open_in_the_consoles_own_page(console_client, key):
    slug = console_client.slug
    html = console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"}).get_data(as_text=True)
    assert f'href="/rooms/{slug}/console/guides/{key}"' in html
    r = console_client.get(f"/rooms/{slug}/console/guides/{key}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Tillbaka till konsolen" in page
    assert "site-header" not in page and "/admin/" not in page  # the kiosk view, no staff menu
    assert "data-idle-return" not in page  # the console is the clinician's own computer


def test_unknown_room_guides_are_404(console_client, door_client):
    assert console_client.get(f"/rooms/{console_client.slug}/console/guides/support").status_code == 404
    assert door_client.get(f"/rooms/{door_client.slug}/door/guides/nope").status_code == 404


def test_the_no_show_procedure_on_the_console_closes_the_loop(frozen_clock, app, console_client):
    """The timer on the server's clock, the scripts filled for copying, and an
    outcome that ends the meeting: wrap-up starts with it chosen."""
    slug = console_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    page = console_client.get(f"/rooms/{slug}/console/guides/no-show").get_data(as_text=True)
    assert 'id="no-show-panel"' in page and "guides.js" in page
    html = console_client.hx_post("/guides/no-show/start", {"now": "1"}).get_data(as_text=True)
    assert 'data-seconds-left="300"' in html
    clock.advance(timedelta(minutes=5))
    html = console_client.get(f"/rooms/{slug}/console/guides/no-show").get_data(as_text=True)
    assert "phase-call" in html
    html = console_client.hx_post("/guides/no-show/choose", {"step": "call", "choice": "no-answer"}).get_data(
        as_text=True)
    # The voicemail and journal texts (R28), each with its copy button: copied on this computer.
    assert html.count('data-copy-target="script-') == 2
    r = console_client.hx_post("/guides/no-show/choose", {"step": "journal", "choice": "done"})
    assert r.status_code == 200 and r.headers["HX-Redirect"] == f"/rooms/{slug}/console"
    with app.app_context():
        session = service.open_session(console_client.room_id)
        assert session.state == "wrapup" and session.no_show_result == "no-show"
    html = console_client.get(f"/rooms/{slug}/console").get_data(as_text=True)
    assert "Utfall enligt guiden: Patienten anslöt inte." in html and "Hur gick mötet?" not in html


def test_a_patient_who_joined_late_keeps_the_meeting(frozen_clock, app, console_client):
    slug = console_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    console_client.hx_post("/guides/no-show/start", {"now": "1"})
    clock.advance(timedelta(minutes=5))
    r = console_client.hx_post("/guides/no-show/choose", {"step": "call", "choice": "joined"})
    assert r.status_code == 200
    with app.app_context():
        assert service.open_session(console_client.room_id).state == "meeting"


def test_a_console_of_an_ended_visit_sees_the_guide_but_no_room_procedure(app, console_client, door_client):
    slug = console_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/cancel", {})
    page = console_client.get(f"/rooms/{slug}/console/guides/no-show").get_data(as_text=True)
    assert "Besöket är avslutat" in page and 'id="no-show-panel"' not in page


# ---- an administrator pairs a room's computer as its console (issue 11, item 2) ------------------


def test_an_administrator_pairs_a_rooms_computer_as_its_console(admin_client, admin_app, make_room):
    room_id = make_room(name="Videorum 7")
    page = admin_client.get("/admin/tablets").get_data(as_text=True)
    assert 'name="kind" value="console"' in page and "Ta fram kod för konsol" in page
    r = admin_client.form_post("/admin/tablets/pair", {"kind": "console", "room": str(room_id)})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Konsol i Videorum 7" in html
    code = re.search(r'<p class="pairing-code"><strong>([A-Z0-9]{4}-[A-Z0-9]{4})</strong>', html).group(1)
    computer = admin_app.test_client()
    r = computer.form_post("/pair", {"code": code})
    assert r.status_code == 303 and r.headers["Location"].endswith("/console")
    with admin_app.app_context():
        tablet = db.session.scalar(select(Tablet).where(Tablet.room_id == room_id))
        assert tablet.kind == "console"
        slug = db.session.get(Room, room_id).slug
    # It checks in by itself, with no code at the door.
    r = computer.hx_post(f"/rooms/{slug}/console/check-in", {"minutes": "30"})
    assert r.status_code == 200 and "Checklista innan mötet" in r.get_data(as_text=True)
    with admin_app.app_context():
        assert db.session.scalar(select(ConsoleCode.id).where(ConsoleCode.room_id == room_id)) is None
    assert "Konsol i rummet" in admin_client.get("/admin/tablets").get_data(as_text=True)


def test_a_console_code_for_an_inactive_room_is_refused(admin_client, make_room):
    room_id = make_room(active=False)
    r = admin_client.form_post("/admin/tablets/pair", {"kind": "console", "room": str(room_id)})
    assert r.status_code == 400 and "ur bruk" in r.get_data(as_text=True)
