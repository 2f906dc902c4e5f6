"""Opening hours and the night screen (issue 15, item 4), and the offline start's
routes (item 5): the hours in Swedish time across DST, weekends and New Year;
the door and board at night; the poll across opening and closing; the admin form;
the service worker's route, the manifests and the CSP."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from kiosk import clock, hours
from kiosk.extensions import db
from kiosk.models import Room, Unit
from kiosk.rooms import service
from kiosk.rooms.service import Actor
from kiosk.security import CSP
from tests.admin_support import events

WEEKDAYS = "07:30-17:00;07:30-17:00;07:30-17:00;07:30-17:00;07:30-16:00;;"
EVERY_DAY = ";".join(["07:30-17:00"] * 7)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def poll_v(html: str) -> str:
    return re.search(r'/door/poll\?v=([^"&]+)', html).group(1)


# ---- the hours themselves ------------------------------------------------------


def test_no_hours_means_always_open():
    for text in (None, "", ";;;;;;"):
        assert hours.parse(text) is None
        assert hours.is_open(text, utc("2026-12-24T23:00:00+01:00"))
        assert hours.night(text, False, utc("2026-12-24T23:00:00+01:00")) is None
        assert hours.version_suffix(text, False, utc("2026-12-24T23:00:00+01:00")) == ""


def test_unreadable_hours_count_as_always_open(caplog):
    """A hand-edited column must not stop the unit's doors (the admin form never writes it)."""
    for text in ("07:30-17:00", "x;;;;;;", "07:30-25:00;;;;;;", "07:30;;;;;;"):
        assert hours.parse(text) is None, text
        assert hours.night(text, False, utc("2026-11-26T22:00:00+01:00")) is None
    assert "unreadable opening hours" in caplog.text


def test_open_and_closed_on_a_weekday_in_swedish_time():
    # Thursday 26 November 2026 (CET, UTC+1).
    assert not hours.is_open(WEEKDAYS, utc("2026-11-26T07:29:59+01:00"))
    assert hours.is_open(WEEKDAYS, utc("2026-11-26T07:30:00+01:00"))
    assert hours.is_open(WEEKDAYS, utc("2026-11-26T16:59:59+01:00"))
    assert not hours.is_open(WEEKDAYS, utc("2026-11-26T17:00:00+01:00"))
    night = hours.night(WEEKDAYS, False, utc("2026-11-26T22:00:00+01:00"))
    assert night.opens_at == utc("2026-11-27T07:30:00+01:00") and night.day is None


def test_after_friday_the_next_opening_is_monday():
    # Friday 27 November 2026 closes at 16:00; Saturday and Sunday are closed.
    for at in ("2026-11-27T16:00:00+01:00", "2026-11-28T12:00:00+01:00"):
        night = hours.night(WEEKDAYS, False, utc(at))
        assert night.opens_at == utc("2026-11-30T07:30:00+01:00") and night.day == "mon", at
    # On Sunday Monday morning is tomorrow: the time alone.
    night = hours.night(WEEKDAYS, False, utc("2026-11-29T20:00:00+01:00"))
    assert night.opens_at == utc("2026-11-30T07:30:00+01:00") and night.day is None


def test_over_new_year():
    # Thursday 31 December 2026 after closing: Friday 1 January 2027 07:30 (the hours know no holidays).
    night = hours.night(WEEKDAYS, False, utc("2026-12-31T23:59:00+01:00"))
    assert night.opens_at == utc("2027-01-01T07:30:00+01:00") and night.day is None
    # Friday 31 December 2027 after closing: Monday 3 January 2028, named.
    night = hours.night(WEEKDAYS, False, utc("2027-12-31T23:30:00+01:00"))
    assert night.opens_at == utc("2028-01-03T07:30:00+01:00") and night.day == "mon"
    assert hours.version_suffix(WEEKDAYS, False, utc("2027-12-31T23:30:00+01:00")) == ".n20271231"
    assert hours.version_suffix(WEEKDAYS, False, utc("2028-01-01T00:30:00+01:00")) == ".n20280101"


def test_opening_time_on_the_dst_days_is_swedish_wall_clock_time():
    # Sunday 28 March 2027: clocks go forward at 02:00 (CET -> CEST). 07:30 is 05:30 UTC.
    assert hours.next_opening(EVERY_DAY, utc("2027-03-28T01:00:00+00:00")) == utc("2027-03-28T05:30:00+00:00")
    assert not hours.is_open(EVERY_DAY, utc("2027-03-28T05:29:00+00:00"))
    assert hours.is_open(EVERY_DAY, utc("2027-03-28T05:30:00+00:00"))
    assert hours.is_open(EVERY_DAY, utc("2027-03-28T14:59:00+00:00"))  # 16:59 CEST
    assert not hours.is_open(EVERY_DAY, utc("2027-03-28T15:00:00+00:00"))  # 17:00 CEST
    # Sunday 31 October 2027: clocks go back at 03:00 (CEST -> CET). 07:30 is 06:30 UTC.
    assert hours.next_opening(EVERY_DAY, utc("2027-10-31T00:30:00+00:00")) == utc("2027-10-31T06:30:00+00:00")
    assert not hours.is_open(EVERY_DAY, utc("2027-10-31T06:29:00+00:00"))
    assert hours.is_open(EVERY_DAY, utc("2027-10-31T06:30:00+00:00"))
    # The night before: Saturday 22:00 CEST (20:00 UTC) opens "07.30" the next morning, 11.5 h later (25-hour day).
    night = hours.night(EVERY_DAY, False, utc("2027-10-30T20:00:00+00:00"))
    assert night.opens_at - utc("2027-10-30T20:00:00+00:00") == timedelta(hours=10, minutes=30)


def test_an_opening_time_in_the_spring_gap_opens_after_it():
    gap = "02:30-17:00;" * 6 + "02:30-17:00"
    # 02:30 does not exist on 28 March 2027: the unit opens at 03:30 CEST (01:30 UTC), the gap's end.
    assert hours.next_opening(gap, utc("2027-03-28T00:30:00+00:00")) == utc("2027-03-28T01:30:00+00:00")
    assert not hours.is_open(gap, utc("2027-03-28T00:59:00+00:00"))  # 01:59 CET
    assert hours.is_open(gap, utc("2027-03-28T01:30:00+00:00"))


def test_a_room_in_use_stays_awake():
    at = utc("2026-11-26T22:00:00+01:00")
    assert hours.night(WEEKDAYS, True, at) is None and hours.version_suffix(WEEKDAYS, True, at) == ""
    assert hours.night(WEEKDAYS, False, at) is not None


def test_never_open_says_closed_without_a_time():
    only_sunday_morning = ";;;;;;07:00-08:00"
    assert hours.night(only_sunday_morning, False, utc("2026-11-26T12:00:00+01:00")).day == "sun"
    assert hours.night(None, False, utc("2026-11-26T12:00:00+01:00")) is None


def test_form_round_trip_and_refusals():
    form = {f"opens_{d}": "07:30" for d in hours.DAYS[:5]} | {f"closes_{d}": "17:00" for d in hours.DAYS[:5]}
    text = hours.from_form(form)
    assert text == "07:30-17:00;07:30-17:00;07:30-17:00;07:30-17:00;07:30-17:00;;"
    assert hours.for_form(text)["opens_mon"] == "07:30" and hours.for_form(text)["closes_sat"] == ""
    assert hours.from_form({}) is None
    for bad, key in (({"opens_tue": "07:30"}, "hours.error.both"),
                     ({"opens_tue": "7.30", "closes_tue": "17:00"}, "hours.error.format"),
                     ({"opens_tue": "24:00", "closes_tue": "25:00"}, "hours.error.format"),
                     ({"opens_tue": "17:00", "closes_tue": "07:30"}, "hours.error.order"),
                     ({"opens_tue": "07:30", "closes_tue": "07:30"}, "hours.error.order")):
        with pytest.raises(hours.HoursError) as caught:
            hours.from_form(bad)
        assert caught.value.day == "tue" and caught.value.key == key


# ---- the door and the board at night -------------------------------------------


@pytest.fixture
def night_door(app, make_unit, make_room, pair, frozen_clock):
    """A paired door of a unit open on weekdays 07:30-17:00 (16:00 Fridays); the clock at
    Thursday 26 November 2026, 22:00 in Stockholm."""
    unit_id = make_unit(name="Hudmottagningen", opening_hours=WEEKDAYS)
    room_id = make_room(unit_id=unit_id, name="Videorum 1", slug="videorum-1")
    clock.freeze(utc("2026-11-26T22:00:00+01:00"))
    client = pair(app.test_client(), room_id=room_id)
    client.room_id, client.unit_id, client.slug = room_id, unit_id, "videorum-1"
    return client


def test_the_door_at_night_shows_the_night_screen(night_door):
    html = night_door.get("/rooms/videorum-1/door").get_data(as_text=True)
    assert 'class="night-screen"' in html and "Stängt – öppnar 07.30" in html
    assert "Tryck för att visa panelen" in html
    # The panel is still there behind it (a tap wakes it), and it still polls.
    assert 'id="room-name"' in html and "/door/poll?v=" in html and poll_v(html).endswith(".n20261126")
    en = night_door.get("/rooms/videorum-1/door?lang=en").get_data(as_text=True)
    assert "Closed – opens 07:30" in en and "Tap to show the panel" in en


def test_the_door_by_day_has_no_night_screen(night_door):
    clock.freeze(utc("2026-11-26T10:00:00+01:00"))
    html = night_door.get("/rooms/videorum-1/door").get_data(as_text=True)
    assert "night-screen" not in html and "Stängt" not in html and ".n2026" not in poll_v(html)


def test_after_friday_the_door_names_monday(night_door):
    clock.freeze(utc("2026-11-28T11:00:00+01:00"))  # Saturday
    html = night_door.get("/rooms/videorum-1/door").get_data(as_text=True)
    assert "Stängt – öppnar mån 07.30" in html
    assert "Closed – opens Mon 07:30" in night_door.get("/rooms/videorum-1/door?lang=en").get_data(as_text=True)


def test_a_room_in_a_meeting_at_night_keeps_its_sign(night_door, app):
    with app.app_context():
        service.check_in(night_door.room_id, Actor("test"))
        service.start_meeting(night_door.room_id, Actor("test"), skip_reason="urgent")
    html = night_door.get("/rooms/videorum-1/door").get_data(as_text=True)
    assert "night-screen" not in html and "Här pågår videomöte\u00a0- var god stör ej" in html


def test_the_poll_changes_at_the_opening_and_closing_time(night_door):
    """A poll never answers "unchanged" across the moment the night screen comes or goes
    (through the fast path, which answers the unchanged poll, and the view)."""
    html = night_door.get("/rooms/videorum-1/door").get_data(as_text=True)
    v = poll_v(html)
    url = f"/rooms/videorum-1/door/poll?v={v}"
    assert night_door.hx_get(url).status_code == 204
    clock.freeze(utc("2026-11-27T07:29:59+01:00"))  # the same night, after midnight: the text is rendered again
    r = night_door.hx_get(url)
    assert r.status_code == 200 and "Stängt – öppnar 07.30" in r.get_data(as_text=True)
    v = poll_v(r.get_data(as_text=True))
    assert night_door.hx_get(f"/rooms/videorum-1/door/poll?v={v}").status_code == 204
    clock.freeze(utc("2026-11-27T07:30:00+01:00"))  # opening time
    r = night_door.hx_get(f"/rooms/videorum-1/door/poll?v={v}")
    assert r.status_code == 200 and "night-screen" not in r.get_data(as_text=True)
    v = poll_v(r.get_data(as_text=True))
    clock.freeze(utc("2026-11-27T15:59:59+01:00"))  # Friday closes at 16:00
    assert night_door.hx_get(f"/rooms/videorum-1/door/poll?v={v}").status_code == 204
    clock.freeze(utc("2026-11-27T16:00:00+01:00"))
    r = night_door.hx_get(f"/rooms/videorum-1/door/poll?v={v}")
    assert r.status_code == 200 and "Stängt – öppnar mån 07.30" in r.get_data(as_text=True)


def test_the_fast_path_and_the_view_agree_on_the_night(night_door, app):
    """poll.decide sees the unit's hours in the one query both paths run."""
    import hashlib

    from kiosk.rooms import poll

    html = night_door.get("/rooms/videorum-1/door").get_data(as_text=True)
    token = night_door.get_cookie("kiosk_device").value
    with app.app_context():
        row = db.session.execute(poll.QUERY, {"slug": "videorum-1",
                                              "token": hashlib.sha256(token.encode()).hexdigest()}).first()
        content = app.extensions["kiosk_content"].version
        night = clock.now()
        assert poll.decide(row, poll_v(html), night, content, service.max_session()).answer == poll.UNCHANGED
        morning = utc("2026-11-27T07:30:00+01:00")
        assert poll.decide(row, poll_v(html), morning, content, service.max_session()).answer == poll.CHANGED


def test_the_board_dims_at_night_unless_a_room_is_in_use(app, night_door, pair):
    board = pair(app.test_client(), unit_id=night_door.unit_id)
    html = board.get("/board").get_data(as_text=True)
    assert 'class="night-screen"' in html and "Hudmottagningen" in html and "Stängt – öppnar 07.30" in html
    v = re.search(r'/board/poll\?v=([^"&]+)', html).group(1)
    assert board.hx_get(f"/board/poll?v={v}").status_code == 204
    with app.app_context():
        service.check_in(night_door.room_id, Actor("test"))
    r = board.hx_get(f"/board/poll?v={v}")
    assert r.status_code == 200 and "night-screen" not in r.get_data(as_text=True)
    with app.app_context():
        service.cancel(night_door.room_id, Actor("test"))
    html = board.get("/board").get_data(as_text=True)
    v = re.search(r'/board/poll\?v=([^"&]+)', html).group(1)
    assert "night-screen" in html
    clock.freeze(utc("2026-11-27T07:30:00+01:00"))
    r = board.hx_get(f"/board/poll?v={v}")
    assert r.status_code == 200 and "night-screen" not in r.get_data(as_text=True)


# ---- admin: setting the hours ----------------------------------------------------


def _unit_form(name: str, **times) -> dict:
    form = {"name": name}
    for day in hours.DAYS:
        form[f"opens_{day}"] = times.get(f"opens_{day}", "")
        form[f"closes_{day}"] = times.get(f"closes_{day}", "")
    return form


def test_admin_sets_and_clears_the_hours(admin_app, admin_client, make_unit):
    unit_id = make_unit(name="Hudmottagningen")
    page = admin_client.get(f"/admin/units/{unit_id}").get_data(as_text=True)
    assert "Öppettider" in page and 'name="opens_mon"' in page and 'type="time"' in page
    weekdays = {f"opens_{d}": "07:30" for d in hours.DAYS[:5]} | {f"closes_{d}": "17:00" for d in hours.DAYS[:5]}
    r = admin_client.form_post(f"/admin/units/{unit_id}", _unit_form("Hudmottagningen", **weekdays))
    assert r.status_code == 303
    with admin_app.app_context():
        assert db.session.get(Unit, unit_id).opening_hours == "07:30-17:00;" * 5 + ";"
    page = admin_client.get(f"/admin/units/{unit_id}").get_data(as_text=True)
    assert re.search(r'name="opens_fri" type="time" value="07:30"', page)
    detail = json.loads(events(admin_app, "unit-update")[-1][3])
    assert detail["opening_hours"] == "07:30-17:00;" * 5 + ";"
    r = admin_client.form_post(f"/admin/units/{unit_id}", _unit_form("Hudmottagningen"))
    assert r.status_code == 303
    with admin_app.app_context():
        assert db.session.get(Unit, unit_id).opening_hours is None


def test_saving_the_hours_bumps_the_rooms(admin_app, admin_client, make_unit, make_room):
    """The doors show the new hours at their next poll."""
    unit_id = make_unit()
    room_id = make_room(unit_id=unit_id)
    with admin_app.app_context():
        before = db.session.get(Room, room_id).version
    admin_client.form_post(f"/admin/units/{unit_id}", _unit_form("Mottagning", opens_sun="08:00", closes_sun="09:00"))
    with admin_app.app_context():
        assert db.session.get(Room, room_id).version == before + 1


@pytest.mark.parametrize("times, message", [
    ({"opens_wed": "07:30"}, "Onsdag: fyll i både"),
    ({"opens_wed": "7", "closes_wed": "17:00"}, "Onsdag: skriv tiderna som TT:MM"),
    ({"opens_wed": "18:00", "closes_wed": "08:00"}, "Onsdag: stängningstiden måste komma efter"),
    ({"opens_wed": "<script>", "closes_wed": "17:00"}, "Onsdag: skriv tiderna som TT:MM"),
])
def test_bad_hours_are_refused_with_a_message(admin_app, admin_client, make_unit, times, message):
    unit_id = make_unit(name="Hudmottagningen")
    r = admin_client.form_post(f"/admin/units/{unit_id}", _unit_form("Hudmottagningen", **times))
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and message in html and 'aria-invalid="true"' in html
    assert "<script>" not in html.split("<main", 1)[1]
    with admin_app.app_context():
        assert db.session.scalar(select(Unit.opening_hours).where(Unit.id == unit_id)) is None
    en = admin_client.form_post(f"/admin/units/{unit_id}?lang=en", _unit_form("Hudmottagningen", **times))
    assert en.status_code == 400 and "Wednesday:" in en.get_data(as_text=True)


def test_a_unit_manager_cannot_set_hours(manager_client, make_unit):
    other = make_unit(name="Annan enhet")
    r = manager_client.form_post(f"/admin/units/{other}", _unit_form("Annan enhet", opens_mon="07:00",
                                                                       closes_mon="08:00"))
    assert r.status_code == 403


# ---- the offline start: worker, manifests, CSP ----------------------------------------


def test_the_service_worker_is_served_at_the_root(client):
    r = client.get("/sw.js")
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert r.headers["Cache-Control"] == "no-cache"
    body = r.get_data(as_text=True)
    assert 'addEventListener("fetch"' in body and "X-Kiosk-Offline" in body
    assert r.headers["Content-Security-Policy"] == CSP
    r.close()


def test_the_csp_allows_our_worker_and_manifest_only():
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["worker-src"] == "'self'" and directives["manifest-src"] == "'self'"


def test_the_door_links_its_manifest_and_offline_script(door_client):
    html = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    assert f'<link rel="manifest" href="/rooms/{door_client.slug}/door/manifest.webmanifest" ' \
           'crossorigin="use-credentials">' in html
    assert re.search(r'<script src="/static/js/offline\.js\?v=\w+" defer data-worker="/sw\.js">', html)


def test_the_door_manifest_starts_at_its_own_panel(door_client, app):
    r = door_client.get(f"/rooms/{door_client.slug}/door/manifest.webmanifest")
    assert r.status_code == 200 and r.mimetype == "application/manifest+json"
    manifest = json.loads(r.get_data(as_text=True))
    with app.app_context():
        name = db.session.get(Room, door_client.room_id).name
    assert manifest["start_url"] == f"/rooms/{door_client.slug}/door" and manifest["scope"] == "/"
    assert manifest["display"] == "fullscreen" and manifest["short_name"] == name
    assert manifest["name"] == f"{name} – Vårdmöteskiosk"
    sizes = {i["sizes"] for i in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        got = door_client.get(icon["src"])
        assert got.status_code == 200 and got.mimetype == icon["type"], icon
        got.close()


def test_manifests_only_for_their_tablet(door_client, app, client, make_room, pair):
    assert client.get(f"/rooms/{door_client.slug}/door/manifest.webmanifest").status_code == 403
    other = pair(app.test_client(), room_id=make_room())
    assert other.get(f"/rooms/{door_client.slug}/door/manifest.webmanifest").status_code == 403
    assert door_client.get("/rooms/no-such-room/door/manifest.webmanifest").status_code == 404
    assert door_client.get("/board/manifest.webmanifest").status_code == 403
    assert client.get("/board/manifest.webmanifest").status_code == 403


def test_only_a_tablets_full_page_may_be_kept_offline(door_client, app, pair, admin_client):
    """The worker keeps only answers marked X-Kiosk-Offline: never a fragment, an admin's view or a POST answer."""
    full = door_client.get(f"/rooms/{door_client.slug}/door")
    assert full.headers["X-Kiosk-Offline"] == "keep"
    assert "X-Kiosk-Offline" not in door_client.hx_get(f"/rooms/{door_client.slug}/door").headers
    posted = door_client.form_post(f"/rooms/{door_client.slug}/check-in", {"minutes": "30"})
    assert "X-Kiosk-Offline" not in posted.headers
    with app.app_context():
        unit = db.session.get(Room, door_client.room_id).unit
        unit_id, unit_slug = unit.id, unit.slug
    board = pair(app.test_client(), unit_id=unit_id)
    r = board.get("/board")
    assert r.headers["X-Kiosk-Offline"] == "keep" and '<link rel="manifest" href="/board/manifest.webmanifest"' in \
        r.get_data(as_text=True)
    seen = admin_client.get(f"/board?unit={unit_slug}")
    assert seen.status_code == 200 and "X-Kiosk-Offline" not in seen.headers
    assert 'rel="manifest"' not in seen.get_data(as_text=True)
    for path in ("/admin/", "/checklists/", "/"):
        assert "X-Kiosk-Offline" not in admin_client.get(path).headers
