"""Door panel, board and pairing routes: full pages, fragments, polls and refusals."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Event, RoomSession, Tablet
from kiosk.rooms import service
from tests.admin_support import log_in

# What htmx says of a form that swaps the door panel (the readiness list on it).
PANEL_TARGET = {"HX-Target": "door-panel"}
SIGN_SV = "Här pågår videomöte\u00a0- var god stör ej"
SIGN_EN = "Video meeting in progress\u00a0- please do not disturb"


def panel_version(html: str) -> str:
    return re.search(r'/door/poll\?v=([^"&]+)', html).group(1)


def open_session(app, room_id):
    with app.app_context():
        return db.session.scalar(select(RoomSession).where(RoomSession.room_id == room_id,
                                                           RoomSession.ended_at.is_(None)))


# ---- pairing ---------------------------------------------------------------


def test_pairing_page_and_a_good_code_binds_the_browser(client, make_room, new_pairing_code, app):
    room_id = make_room()
    assert "Kopplingskod" in client.get("/pair").get_data(as_text=True)
    code = new_pairing_code(room_id=room_id)
    r = client.form_post("/pair", {"code": code.lower()[:4] + " - " + code[4:]})
    assert r.status_code == 303 and r.headers["Location"].endswith("/door")
    cookie = r.headers["Set-Cookie"]
    assert "kiosk_device=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Max-Age=34560000" in cookie
    r = client.get("/door")
    assert r.status_code == 303 and "/rooms/videorum-" in r.headers["Location"]
    with app.app_context():
        tablet = db.session.scalar(select(Tablet))
        assert tablet.kind == "door" and tablet.room_id == room_id
        assert len(tablet.token_hash) == 64 and tablet.token_hash not in cookie


def test_a_used_code_is_refused(client, app, make_room, new_pairing_code):
    code = new_pairing_code(room_id=make_room())
    assert client.form_post("/pair", {"code": code}).status_code == 303
    other = app.test_client()
    r = other.form_post("/pair", {"code": code})
    assert r.status_code == 400 and "Koden har redan använts" in r.get_data(as_text=True)
    assert "kiosk_device" not in r.headers.get("Set-Cookie", "")


def test_an_expired_code_is_refused(client, make_room, new_pairing_code, frozen_clock):
    code = new_pairing_code(room_id=make_room())
    clock.advance(timedelta(minutes=10, seconds=1))
    r = client.form_post("/pair", {"code": code})
    assert r.status_code == 400 and "Koden har gått ut" in r.get_data(as_text=True)


@pytest.mark.parametrize("code,message", [("", "8 tecken"), ("ABC", "8 tecken"), ("<script>ab", "8 tecken"),
                                          ("ZZZZZZZZ", "Koden finns inte")])
def test_bad_codes_get_a_clear_message(client, code, message):
    r = client.form_post("/pair", {"code": code})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and message in html and "<script>ab" not in html


def test_pairing_without_csrf_is_refused(client, make_room, new_pairing_code):
    r = client.post("/pair", data={"code": new_pairing_code(room_id=make_room())})
    assert r.status_code == 400


def test_cli_pair_prints_a_code_and_url(runner, make_room, app):
    room_id = make_room()
    result = runner.invoke(args=["pair", "videorum-1"])
    assert result.exit_code == 0, result.output
    code = re.search(r"Pairing code for the door of Videorum 1: ([A-Z0-9]{4}-[A-Z0-9]{4})", result.output).group(1)
    assert f"/pair?code={code}" in result.output
    client = app.test_client()
    assert client.form_post("/pair", {"code": code}).status_code == 303
    result = runner.invoke(args=["pair", "--board", "mottagning-1"])
    assert result.exit_code == 0 and "the reception board of Mottagning 1" in result.output
    assert runner.invoke(args=["pair", "no-such-room"]).exit_code != 0
    assert room_id


# ---- the door panel ------------------------------------------------------------


def test_door_page_free_state_full_and_fragment(door_client):
    r = door_client.get(f"/rooms/{door_client.slug}/door")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" in html
    assert "Ledigt" in html and "Checka in" in html and SIGN_SV not in html
    assert r.headers["X-Kiosk-Fragment"] == "door" and r.headers["Cache-Control"] == "no-store"
    frag = door_client.hx_get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    assert frag.lstrip().startswith('<section id="door-panel"') and "<html" not in frag


def test_unchanged_poll_is_204_and_a_change_returns_the_panel(door_client):
    slug = door_client.slug
    v = panel_version(door_client.get(f"/rooms/{slug}/door").get_data(as_text=True))
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 204 and r.get_data() == b"" and r.headers["X-Kiosk-Fragment"] == "door"
    door_client.hx_post(f"/rooms/{slug}/check-in", {"minutes": "30"})
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 200 and "Förbereds för videomöte" in r.get_data(as_text=True)


def test_check_in_tick_skip_and_the_sign(door_client, app):
    slug = door_client.slug
    r = door_client.hx_post(f"/rooms/{slug}/check-in", {"minutes": "45"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Checklista innan mötet" in html and "0 av 13 klara" in html
    r = door_client.hx_post(f"/rooms/{slug}/checklists/environment/items/private-room", {"ticked": "1"},
                            headers=PANEL_TARGET)
    assert "1 av 13 klara" in r.get_data(as_text=True)
    r = door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "checked-at-desk"})
    html = r.get_data(as_text=True)
    assert SIGN_SV in html and SIGN_EN in html and "Videomöte pågår" in html
    assert 'lang="en"' in html  # the English line is marked as English
    s = open_session(app, door_client.room_id)
    assert (s.state, s.checklist_result, s.skip_reason, s.planned_minutes) == ("meeting", "skipped", "checked-at-desk", 45)


def test_ticking_every_readiness_item_turns_the_sign_on(door_client, app):
    slug = door_client.slug
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    with app.app_context():
        keys = sorted(service.readiness_keys())
    for checklist, item in keys:
        html = door_client.hx_post(f"/rooms/{slug}/checklists/{checklist}/items/{item}", {"ticked": "1"},
                                   headers=PANEL_TARGET).get_data(as_text=True)
    assert SIGN_SV in html
    assert open_session(app, door_client.room_id).checklist_result == "complete"


def test_meeting_shows_guides_extend_and_end_then_wrapup(door_client, app):
    slug = door_client.slug
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    html = door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "urgent"}).get_data(as_text=True)
    for key in ("no-show", "connection-problems", "call-broken"):
        assert f"/rooms/{slug}/door/guides/{key}" in html  # the door's kiosk view (issue 11)
    html = door_client.hx_post(f"/rooms/{slug}/extend", {}).get_data(as_text=True)
    assert "Förläng 15 min" in html
    html = door_client.hx_post(f"/rooms/{slug}/end", {}).get_data(as_text=True)
    assert "Efterarbete" in html and "Hur gick mötet?" in html and SIGN_SV not in html
    html = door_client.hx_post(f"/rooms/{slug}/finish", {"outcome": "no-show"}).get_data(as_text=True)
    assert "Ledigt" in html
    with app.app_context():
        s = db.session.scalar(select(RoomSession))
        assert (s.outcome, s.end_reason, s.extended_minutes) == ("no-show", "completed", 15)


def test_without_javascript_actions_redirect_back_303(door_client):
    slug = door_client.slug
    r = door_client.form_post(f"/rooms/{slug}/check-in", {"minutes": "30"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/rooms/{slug}/door")
    assert "Checklista innan mötet" in door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)


def test_door_in_english_keeps_the_swedish_sign_first(door_client):
    slug = door_client.slug
    door_client.get("/?lang=en")
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    html = door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "urgent"}).get_data(as_text=True)
    assert html.index(SIGN_SV) < html.index(SIGN_EN) and "Video meeting in progress" in html


def test_a_second_check_in_gets_a_clear_409(door_client):
    slug = door_client.slug
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    r = door_client.hx_post(f"/rooms/{slug}/check-in", {})
    assert r.status_code == 409
    assert "redan incheckat" in r.get_data(as_text=True) and r.headers["X-Kiosk-Error"] == "409"


@pytest.mark.parametrize("path,data", [
    ("check-in", {"minutes": "abc"}), ("check-in", {"minutes": "7"}), ("check-in", {"name": "x" * 200}),
    ("checklists/environment/items/nope", {"ticked": "1"}),
    ("checklists/environment/items/private-room", {}),
    ("checklists/environment/items/private-room", {"ticked": "yes"}),
    ("checklists/environment/items/private-room", {"ticked": "na"}),  # readiness always applies
    ("checklists/suitability/items/" + "x" * 300, {"ticked": "1"}),
    ("checklists/nope/reset", {}),
    ("skip", {"reason": "lazy"}), ("skip", {}),
])
def test_bad_input_gets_400_with_words_and_nothing_changes(door_client, app, path, data):
    slug = door_client.slug
    if path != "check-in":
        door_client.hx_post(f"/rooms/{slug}/check-in", {})
    before = open_session(app, door_client.room_id)
    r = door_client.hx_post(f"/rooms/{slug}/{path}", data)
    assert r.status_code == 400 and r.headers["X-Kiosk-Error"] == "400"
    after = open_session(app, door_client.room_id)
    assert (before.state if before else None) == (after.state if after else None)


def test_unknown_room_is_404(door_client):
    assert door_client.get("/rooms/no-such-room/door").status_code == 404
    assert door_client.hx_post("/rooms/no-such-room/check-in", {}).status_code == 404
    assert door_client.hx_get("/rooms/no-such-room/door/poll?v=1").status_code == 404


def test_unpaired_browser_cannot_see_or_change_a_room(client, make_room, app):
    make_room()
    assert client.get("/door").status_code == 303  # to the pairing page
    assert client.get("/rooms/videorum-1/door").status_code == 403
    assert client.hx_get("/rooms/videorum-1/door/poll?v=1").status_code == 403
    r = client.hx_post("/rooms/videorum-1/check-in", {})
    assert r.status_code == 403 and "behörighet" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(RoomSession).count() == 0


def test_another_rooms_tablet_is_refused(door_client, make_room, app):
    other = make_room()
    from kiosk.models import Room

    with app.app_context():
        other_slug = db.session.get(Room, other).slug
    assert door_client.get(f"/rooms/{other_slug}/door").status_code == 403
    assert door_client.hx_post(f"/rooms/{other_slug}/check-in", {}).status_code == 403
    assert door_client.hx_get(f"/rooms/{other_slug}/door/poll?v=1").status_code == 403


def test_missing_csrf_token_is_400_with_a_message(door_client, app):
    r = door_client.post(f"/rooms/{door_client.slug}/check-in", headers={"HX-Request": "true"})
    assert r.status_code == 400 and "Ladda om sidan" in r.get_data(as_text=True)
    assert open_session(app, door_client.room_id) is None


def test_a_revoked_tablet_is_told_and_stops_at_once(door_client, app):
    from kiosk.rooms import pairing

    slug = door_client.slug
    v = panel_version(door_client.get(f"/rooms/{slug}/door").get_data(as_text=True))
    with app.app_context():
        pairing.revoke(db.session.scalar(select(Tablet.id)), actor="admin:test")
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 403 and r.headers["X-Kiosk-Fragment"] == "revoked"
    assert r.headers["HX-Refresh"] == "true"  # htmx reloads the page into the revoked page
    assert "Surfplattan är avkopplad" in r.get_data(as_text=True)
    assert door_client.hx_post(f"/rooms/{slug}/check-in", {}).status_code == 403
    assert door_client.get("/door").status_code == 403
    assert open_session(app, door_client.room_id) is None


def test_poll_writes_last_seen_at_most_once_a_minute(frozen_clock, door_client, app):
    slug = door_client.slug
    v = panel_version(door_client.get(f"/rooms/{slug}/door").get_data(as_text=True))

    def last_seen():
        with app.app_context():
            return db.session.scalar(select(Tablet.last_seen_at))

    first = last_seen()
    for _ in range(3):
        clock.advance(timedelta(seconds=5))
        assert door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}").status_code == 204
    assert last_seen() == first
    clock.advance(timedelta(seconds=50))
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 204 and last_seen() == clock.now()
    assert "kiosk_device=" in r.headers.get("Set-Cookie", "")  # the device cookie is renewed


def test_overrun_reaches_the_door_by_time_alone(door_client, frozen_clock):
    slug = door_client.slug
    door_client.hx_post(f"/rooms/{slug}/check-in", {"minutes": "15"})
    html = door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "urgent"}).get_data(as_text=True)
    v = panel_version(html)
    clock.advance(timedelta(minutes=16))
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "pågår längre än planerat" in html and SIGN_SV in html


def test_expired_session_is_released_by_the_door_poll(door_client, app, frozen_clock):
    slug = door_client.slug
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    html = door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "urgent"}).get_data(as_text=True)
    clock.advance(timedelta(hours=3, seconds=1))
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={panel_version(html)}")
    assert r.status_code == 200 and "Ledigt" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Event.kind).order_by(Event.id.desc())) == "auto-released"


def test_clinician_name_shown_only_when_the_unit_allows(door_client, app):
    from kiosk.models import Room

    slug = door_client.slug
    door_client.hx_post(f"/rooms/{slug}/check-in", {"name": "Anna Berg", "title": "Sjuksköterska"})
    assert "Anna Berg" not in door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)
    with app.app_context():
        db.session.get(Room, door_client.room_id).unit.show_clinician = True
        db.session.commit()
    assert "Anna Berg, Sjuksköterska" in door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)


def test_names_are_escaped(door_client, app):
    from kiosk.models import Room

    with app.app_context():
        db.session.get(Room, door_client.room_id).unit.show_clinician = True
        db.session.commit()
    door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {"name": "<b>x</b>"})
    html = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


# ---- the board -------------------------------------------------------------------


@pytest.fixture
def board_client(app, door_client, pair):
    """A board tablet of the door_client's unit."""
    from kiosk.models import Room

    with app.app_context():
        unit_id = db.session.get(Room, door_client.room_id).unit_id
    return pair(app.test_client(), unit_id=unit_id)


def board_version(html):
    return re.search(r'/board/poll\?v=([^"&]+)', html).group(1)


def test_board_shows_every_room_and_follows_changes(board_client, door_client):
    r = board_client.get("/board")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Videorum" in html and "Ledigt" in html
    v = board_version(html)
    assert board_client.hx_get(f"/board/poll?v={v}").status_code == 204
    door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {})
    door_client.hx_post(f"/rooms/{door_client.slug}/skip", {"reason": "urgent"})
    r = board_client.hx_get(f"/board/poll?v={v}")
    assert r.status_code == 200 and "Videomöte pågår" in r.get_data(as_text=True)
    assert "<html" not in r.get_data(as_text=True)


def test_board_marks_a_silent_door_tablet(frozen_clock, board_client, door_client):
    html = board_client.get("/board").get_data(as_text=True)
    assert "Dörrskärmen svarar inte" not in html
    clock.advance(timedelta(minutes=5))
    r = board_client.hx_get(f"/board/poll?v={board_version(html)}")
    assert r.status_code == 200 and "Dörrskärmen svarar inte" in r.get_data(as_text=True)


def test_board_refuses_door_tablets_and_strangers(door_client, client):
    assert door_client.get("/board").status_code == 403
    assert client.get("/board").status_code == 403
    assert client.hx_get("/board/poll?v=x").status_code == 403


def test_an_unchanged_poll_is_answered_before_flask(frozen_clock, door_client, app):
    """The fast path answers 204 by itself, writing last-seen once a minute;
    every other answer comes from the view."""
    slug = door_client.slug
    v = panel_version(door_client.get(f"/rooms/{slug}/door").get_data(as_text=True))
    calls = []
    view = app.view_functions["rooms.door_poll"]
    app.view_functions["rooms.door_poll"] = lambda **kw: calls.append(kw) or view(**kw)
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 204 and calls == [] and "Set-Cookie" not in r.headers
    assert r.headers["X-Kiosk-Fragment"] == "door" and "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert door_client.hx_get(f"/rooms/{slug}/door/poll?v=old").status_code == 200 and len(calls) == 1
    clock.advance(timedelta(seconds=61))  # last-seen is due: written by the fast path
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 204 and len(calls) == 1
    cookie = r.headers["Set-Cookie"]
    assert "kiosk_device=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    with app.app_context():
        assert db.session.scalar(select(Tablet.last_seen_at)) == clock.now()
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 204 and len(calls) == 1 and "Set-Cookie" not in r.headers


def test_the_view_answers_an_unchanged_poll_when_it_is_reached(frozen_clock, door_client, app, monkeypatch):
    """Without the fast path in front, the view gives the same answers (204,
    last-seen once a minute with a renewed cookie, the panel on a change)."""
    from kiosk.rooms.fastpoll import FastPoll

    assert isinstance(app.wsgi_app, FastPoll)
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app.wsgi_app)
    slug = door_client.slug
    v = panel_version(door_client.get(f"/rooms/{slug}/door").get_data(as_text=True))
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 204 and r.get_data() == b"" and r.headers["X-Kiosk-Fragment"] == "door"
    assert "HX-Request" in r.headers["Vary"] and "Set-Cookie" not in r.headers
    clock.advance(timedelta(seconds=61))
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 204 and "kiosk_device=" in r.headers["Set-Cookie"]
    with app.app_context():
        assert db.session.scalar(select(Tablet.last_seen_at)) == clock.now()
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 200 and "Förbereds för videomöte" in r.get_data(as_text=True)


def test_a_failing_fast_path_falls_through_to_the_view(door_client, app, monkeypatch):
    """Any error before Flask (here: a query the database refuses) is the view's to answer."""
    slug = door_client.slug
    v = panel_version(door_client.get(f"/rooms/{slug}/door").get_data(as_text=True))
    fast = app.wsgi_app
    assert door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}").status_code == 204  # sets the engine up

    monkeypatch.setattr(fast, "sql", "SELECT no_such_column FROM no_such_table")
    calls = []
    view = app.view_functions["rooms.door_poll"]
    monkeypatch.setitem(app.view_functions, "rooms.door_poll", lambda **kw: calls.append(kw) or view(**kw))
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")
    assert r.status_code == 204 and calls == [{"slug": slug}]


def test_administrators_see_the_boards_they_may_see(admin_app, make_admin, door_client):
    """The board for an admin: ?unit=<slug>, a manager's own unit by default; polls do not keep the session."""
    from kiosk.models import Room

    with admin_app.app_context():
        unit = db.session.get(Room, door_client.room_id).unit
        unit_id, slug = unit.id, unit.slug
    door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {})
    manager = admin_app.test_client()
    log_in(manager, make_admin("unit", unit_id=unit_id))
    html = manager.get("/board").get_data(as_text=True)
    assert "Förbereds för videomöte" in html and f"unit={slug}" in html  # the poll keeps the unit
    v = board_version(html)
    assert manager.hx_get(f"/board/poll?v={v}&unit={slug}").status_code == 204

    boss = admin_app.test_client()
    log_in(boss, make_admin("global"))
    assert boss.get("/board").status_code == 303
    assert "Förbereds för videomöte" in boss.get(f"/board?unit={slug}").get_data(as_text=True)
    assert boss.get("/board?unit=no-such-unit").status_code == 404

    with admin_app.app_context():
        from kiosk.models import Unit

        other = Unit(name="Annan", slug="annan")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    stranger = admin_app.test_client()
    log_in(stranger, make_admin("unit", unit_id=other_id))
    assert stranger.get(f"/board?unit={slug}").status_code == 403


def test_the_admin_units_page_links_to_each_units_board(admin_app, make_admin, door_client):
    boss = admin_app.test_client()
    log_in(boss, make_admin("global"))
    html = boss.get("/admin/units").get_data(as_text=True)
    assert 'href="/board?unit=mottagning-1"' in html
