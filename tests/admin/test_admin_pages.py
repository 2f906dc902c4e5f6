"""The admin pages: units and rooms, tablets (pairing with a QR code, revoking),
open sessions (force-end with a reason), the event log, the start page and
accounts - each change validated on the server and written to the audit log."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Event, Room, RoomSession, Tablet, Unit
from kiosk.rooms import service
from kiosk.rooms.service import Actor
from tests.admin_support import events


def room_of(app, room_id):
    with app.app_context():
        room = db.session.get(Room, room_id)
        db.session.expunge(room)
        return room


# ---- the start page ----------------------------------------------------------------------


def test_start_page_shows_content_version_and_the_routines_validity(admin_client, admin_app, frozen_clock):
    html = admin_client.get("/admin/").get_data(as_text=True)
    version = admin_app.extensions["kiosk_content"].version
    assert f"<code>{version}</code>" in html and "RHS9919-529963968-26" in html
    assert "Rutinen gäller." in html and "2028-06-11" in html
    assert "efter 14 dagar" in html
    en = admin_client.get("/admin/?lang=en").get_data(as_text=True)
    assert "The routine is valid." in en or "routine" in en.lower()


def test_admin_pages_are_never_cached(admin_client):
    assert admin_client.get("/admin/rooms").headers["Cache-Control"] == "no-store"


def test_a_unit_manager_sees_only_their_own_section(manager_client, make_room, make_unit):
    make_room(unit_id=manager_client.unit_id, name="Mitt rum", slug="mitt-rum")
    make_room(name="Annans rum", slug="annans-rum")
    html = manager_client.get("/admin/rooms").get_data(as_text=True)
    assert "Mitt rum" in html and "Annans rum" not in html
    assert 'href="/admin/units"' not in html and 'href="/admin/accounts"' not in html
    r = manager_client.get("/admin/units")
    assert r.status_code == 403 and "global administratör" in r.get_data(as_text=True)


# ---- units and rooms ----------------------------------------------------------------------


def test_create_rename_and_deactivate_a_unit(admin_client, admin_app):
    r = admin_client.form_post("/admin/units", {"name": "Hudmottagningen Östra", "slug": ""})
    assert r.status_code == 303
    assert "Enheten Hudmottagningen Östra är skapad." in admin_client.get("/admin/units").get_data(as_text=True)
    with admin_app.app_context():
        unit = db.session.scalar(select(Unit))
        assert unit.slug == "hudmottagningen-ostra"
        db.session.add(Room(unit_id=unit.id, name="Videorum 1", slug="vr-1"))
        db.session.commit()
        unit_id = unit.id
    r = admin_client.form_post(f"/admin/units/{unit_id}", {"name": "Hud Östra", "show_clinician": "1"})
    assert r.status_code == 303
    r = admin_client.form_post(f"/admin/units/{unit_id}/deactivate")
    assert r.status_code == 303
    with admin_app.app_context():
        unit = db.session.get(Unit, unit_id)
        assert (unit.name, unit.slug, unit.show_clinician) == ("Hud Östra", "hudmottagningen-ostra", True)
        assert [room.active for room in unit.rooms] == [False]
    kinds = [e[0] for e in events(admin_app) if e[0].startswith("unit-")]
    assert kinds == ["unit-create", "unit-update", "unit-deactivate"]


def test_a_unit_turns_the_door_signs_english_line_off_and_on(admin_client, admin_app, door_client):
    slug = door_client.slug
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "urgent"})
    with admin_app.app_context():
        unit = db.session.get(Room, door_client.room_id).unit
        unit_id, name = unit.id, unit.name
        assert unit.door_sign_english  # on, as before
    english = 'class="dnd-secondary" lang="en">Video meeting in progress'
    assert english in door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)
    page = admin_client.get(f"/admin/units/{unit_id}").get_data(as_text=True)
    assert 'name="door_sign_english" type="checkbox" value="1" checked' in page
    assert "Visa dörrskyltens engelska rad" in page
    assert "Show the door sign&#39;s English line" in admin_client.get(
        f"/admin/units/{unit_id}?lang=en").get_data(as_text=True)
    admin_client.get(f"/admin/units/{unit_id}?lang=sv")
    v = re.search(r'/door/poll\?v=([^"&]+)', door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)).group(1)
    # Unticked, the box sends nothing: the line is off.
    r = admin_client.form_post(f"/admin/units/{unit_id}", {"name": name})
    assert r.status_code == 303
    with admin_app.app_context():
        assert db.session.get(Unit, unit_id).door_sign_english is False
    update = [e for e in events(admin_app) if e[0] == "unit-update"][-1]
    assert json.loads(update[3])["door_sign_english"] is False and update[1] == f"admin:{admin_client.account.id}"
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v={v}")  # the door follows at its next poll
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Här pågår videomöte" in html and 'lang="en"' not in html and "Video meeting in progress" not in html
    page = admin_client.get(f"/admin/units/{unit_id}").get_data(as_text=True)
    assert 'name="door_sign_english" type="checkbox" value="1" aria' in page  # shown unticked
    # A value that is not the checkbox's is refused with words, and nothing changes.
    r = admin_client.form_post(f"/admin/units/{unit_id}", {"name": name, "door_sign_english": "yes"})
    assert r.status_code == 400 and "Välj ett av alternativen." in r.get_data(as_text=True)
    r = admin_client.form_post(f"/admin/units/{unit_id}", {"name": name, "door_sign_english": "1"})
    assert r.status_code == 303
    assert english in door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)


def test_room_lifecycle_and_a_stable_slug(admin_client, admin_app, make_unit):
    unit_id = make_unit()
    r = admin_client.form_post("/admin/rooms", {"unit": str(unit_id), "name": "Videorum Ö4", "location": "Plan 3"})
    assert r.status_code == 303
    with admin_app.app_context():
        room = db.session.scalar(select(Room))
        room_id, slug = room.id, room.slug
    assert slug == "videorum-o4"
    # A second room of the same name gets a free slug of its own.
    admin_client.form_post("/admin/rooms", {"unit": str(unit_id), "name": "Videorum Ö4"})
    with admin_app.app_context():
        assert sorted(db.session.scalars(select(Room.slug))) == ["videorum-o4", "videorum-o4-2"]
    r = admin_client.form_post(f"/admin/rooms/{room_id}", {"name": "Samtalsrum 4", "location": "Plan 4",
                                                            "slug": "hacked"})
    assert r.status_code == 303
    r = admin_client.form_post(f"/admin/rooms/{room_id}/active", {"active": "0"})
    assert r.status_code == 303
    room = room_of(admin_app, room_id)
    assert (room.name, room.slug, room.location, room.active) == ("Samtalsrum 4", "videorum-o4", "Plan 4", False)
    assert room.version > 1  # doors and boards re-render at their next poll
    admin_client.form_post(f"/admin/rooms/{room_id}/active", {"active": "1"})
    assert room_of(admin_app, room_id).active is True
    logged = [(kind, actor, address) for kind, actor, address, _ in events(admin_app) if kind.startswith("room-")]
    me = f"admin:{admin_client.account.id}"
    assert logged == [("room-create", me, "127.0.0.1"), ("room-create", me, "127.0.0.1"),
                      ("room-update", me, "127.0.0.1"), ("room-deactivate", me, "127.0.0.1"),
                      ("room-activate", me, "127.0.0.1")]
    detail = json.loads([e for e in events(admin_app, "room-update")][0][3])
    assert detail == {"location": "Plan 4", "name": "Samtalsrum 4", "old_name": "Videorum Ö4"}


@pytest.mark.parametrize("data,message", [
    ({"name": ""}, "Fyll i fältet."),
    ({"name": "x" * 81}, "Högst 80 tecken."),
    ({"name": "<script>alert(1)</script>"}, "Använd bokstäver, siffror"),
    ({"name": "Rum\x00"}, "Använd bokstäver, siffror"),
    ({"name": "=HYPERLINK(\"x\")"}, "Använd bokstäver, siffror"),
    ({"name": "Rum 5", "slug": "Rum 5"}, "Adressnamnet får ha små bokstäver"),
    ({"name": "Rum 5", "slug": "taken"}, "Adressnamnet används redan."),
    ({"name": "Rum 5", "location": "y" * 121}, "Högst 120 tecken."),
    ({"name": "Rum 5", "unit": "abc"}, "Välj ett av alternativen."),
])
def test_room_fields_are_checked_on_the_server(admin_client, admin_app, make_unit, make_room, data, message):
    unit_id = make_unit()
    make_room(unit_id=unit_id, slug="taken")
    form = {"unit": str(unit_id), "name": "", "slug": "", "location": "", **data}
    r = admin_client.form_post("/admin/rooms", form)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and message in html and 'aria-invalid="true"' in html
    assert "<script>alert(1)</script>" not in html
    with admin_app.app_context():
        assert db.session.scalar(select(Room.id).where(Room.slug != "taken")) is None


def test_a_unit_manager_cannot_touch_another_units_rooms(manager_client, make_room, admin_app):
    mine = make_room(unit_id=manager_client.unit_id)
    theirs = make_room()
    with admin_app.app_context():
        other_unit = db.session.get(Room, theirs).unit_id
    assert manager_client.get(f"/admin/rooms/{mine}").status_code == 200
    assert manager_client.get(f"/admin/rooms/{theirs}").status_code == 403
    assert manager_client.form_post(f"/admin/rooms/{theirs}", {"name": "Mitt nu"}).status_code == 403
    assert manager_client.form_post(f"/admin/rooms/{theirs}/active", {"active": "0"}).status_code == 403
    r = manager_client.form_post("/admin/rooms", {"unit": str(other_unit), "name": "Smyg"})
    assert r.status_code == 403
    assert manager_client.form_post("/admin/rooms", {"unit": str(manager_client.unit_id), "name": "Eget"}).status_code == 303
    assert room_of(admin_app, theirs).name != "Mitt nu"


# ---- tablets -------------------------------------------------------------------------------------


def test_pairing_shows_the_code_and_an_inline_svg_qr_code_that_works(admin_client, admin_app, make_room):
    room_id = make_room(name="Videorum 7")
    r = admin_client.form_post("/admin/tablets/pair", {"kind": "door", "room": str(room_id)})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Dörrskärm för Videorum 7" in html
    code = re.search(r'<p class="pairing-code"><strong>([A-Z0-9]{4}-[A-Z0-9]{4})</strong>', html).group(1)
    assert f"/pair?code={code}" in html
    assert re.search(r'<svg role="img" aria-labelledby="qr-title"[^>]*class="qr-code"', html)
    assert "data:image" not in html and "style=" not in html
    tablet = admin_app.test_client()
    assert tablet.form_post("/pair", {"code": code}).status_code == 303
    with admin_app.app_context():
        event = db.session.scalar(select(Event).where(Event.kind == "pairing-code"))
        assert (event.actor, event.address) == (f"admin:{admin_client.account.id}", "127.0.0.1")
    listing = admin_client.get("/admin/tablets").get_data(as_text=True)
    assert "Dörrskärm" in listing and "Videorum 7" in listing and "Koppla bort" in listing


def test_a_board_code_for_the_unit(admin_client, make_unit):
    unit_id = make_unit(name="Hudmottagningen")
    html = admin_client.form_post("/admin/tablets/pair", {"kind": "board", "unit": str(unit_id)}).get_data(as_text=True)
    assert "Receptionsskärm för Hudmottagningen" in html


@pytest.mark.parametrize("data", [{"kind": "door"}, {"kind": "window", "room": "1"}, {"kind": "door", "room": "x"},
                                  {"kind": "board", "unit": ""}])
def test_bad_pairing_requests_are_400(admin_client, make_room, data):
    make_room()
    assert admin_client.form_post("/admin/tablets/pair", data).status_code == 400


def test_an_inactive_room_gets_no_new_door(admin_client, make_room):
    room_id = make_room(active=False)
    r = admin_client.form_post("/admin/tablets/pair", {"kind": "door", "room": str(room_id)})
    assert r.status_code == 400 and "ur bruk" in r.get_data(as_text=True)


def test_a_revoked_tablet_stops_at_once(admin_client, admin_app, door_client):
    with admin_app.app_context():
        tablet_id = db.session.scalar(select(Tablet.id))
    slug = door_client.slug
    assert door_client.get(f"/rooms/{slug}/door").status_code == 200
    r = admin_client.form_post(f"/admin/tablets/{tablet_id}/revoke")
    assert r.status_code == 303
    r = door_client.hx_get(f"/rooms/{slug}/door/poll?v=1")
    assert r.status_code == 403 and r.headers["X-Kiosk-Fragment"] == "revoked"
    assert door_client.hx_post(f"/rooms/{slug}/check-in", {}).status_code == 403
    listing = admin_client.get("/admin/tablets").get_data(as_text=True)
    assert "Bortkopplad" in listing
    assert events(admin_app, "revoke")[0][1:3] == (f"admin:{admin_client.account.id}", "127.0.0.1")


def test_a_unit_manager_cannot_revoke_or_pair_for_another_unit(manager_client, admin_app, door_client):
    with admin_app.app_context():
        tablet_id = db.session.scalar(select(Tablet.id))
    assert manager_client.form_post(f"/admin/tablets/{tablet_id}/revoke").status_code == 403
    r = manager_client.form_post("/admin/tablets/pair", {"kind": "door", "room": str(door_client.room_id)})
    assert r.status_code == 403
    assert "Videorum" not in manager_client.get("/admin/tablets").get_data(as_text=True)


# ---- open sessions ---------------------------------------------------------------------------------


def test_force_end_needs_a_reason_and_frees_the_room(admin_client, admin_app, make_room):
    room_id = make_room(name="Videorum 3")
    with admin_app.app_context():
        session_id = service.check_in(room_id, Actor("test")).id
    html = admin_client.get("/admin/sessions").get_data(as_text=True)
    assert "Videorum 3" in html and "Förbereds för videomöte" in html
    r = admin_client.form_post(f"/admin/rooms/{room_id}/force-end", {"session": str(session_id), "reason": "  "})
    assert r.status_code == 400 and "Fyll i fältet." in r.get_data(as_text=True)
    r = admin_client.form_post(f"/admin/rooms/{room_id}/force-end", {"session": str(session_id + 1), "reason": "Kvar"})
    assert r.status_code == 409
    r = admin_client.form_post(f"/admin/rooms/{room_id}/force-end",
                               {"session": str(session_id), "reason": "Glömd incheckning"})
    assert r.status_code == 303
    with admin_app.app_context():
        assert service.open_session(room_id) is None
        s = db.session.get(RoomSession, session_id)
        assert s.end_reason == "force-ended"
    kind, actor, address, detail = events(admin_app, "force-ended")[0]
    assert (actor, address) == (f"admin:{admin_client.account.id}", "127.0.0.1")
    assert json.loads(detail)["reason"] == "Glömd incheckning"
    assert "Inga rum är incheckade" in admin_client.get("/admin/sessions").get_data(as_text=True)


# ---- the event log -----------------------------------------------------------------------------------


def test_event_log_filters_by_room_and_date_and_pages(admin_client, admin_app, make_room, frozen_clock):
    admin_app.config["ADMIN_EVENTS_PER_PAGE"] = 5
    a, b = make_room(name="Rum A"), make_room(name="Rum B")
    with admin_app.app_context():
        for days in range(8):  # one meeting a day in room A, the last 8 days
            at = frozen_clock.now() - timedelta(days=days)
            db.session.add(Event(at=at, kind="check-in", room_id=a, unit_id=db.session.get(Room, a).unit_id,
                                 actor="tablet:1", detail=json.dumps({"minutes": 30})))
        db.session.add(Event(at=frozen_clock.now(), kind="check-in", room_id=b, actor="tablet:2"))
        db.session.commit()
    html = admin_client.get(f"/admin/events?room={a}&from=2026-11-20&to=2026-11-26").get_data(as_text=True)
    assert "7 händelser." in html and "Sida 1 av 2" in html and "tablet:2" not in html
    assert 'rel="next"' in html and "page=2" in html
    page2 = admin_client.get(f"/admin/events?room={a}&from=2026-11-20&to=2026-11-26&page=2").get_data(as_text=True)
    assert page2.count("<time") == 2 and 'rel="prev"' in page2
    whole = admin_client.get("/admin/events").get_data(as_text=True)
    assert "tablet:2" in whole and "Minuter: 30" in whole and "minutes: 30" not in whole
    for bad in ("from=2026-13-01", "to=igår", "from=2026-11-26&to=2026-11-01", "page=0", "room=abc"):
        r = admin_client.get(f"/admin/events?{bad}")
        assert r.status_code == 400, bad
    assert "ÅÅÅÅ-MM-DD" in admin_client.get("/admin/events?from=26/11/2026").get_data(as_text=True)


def test_event_log_names_each_kind_and_filters_by_kind(admin_client, admin_app, make_room):
    a = make_room(name="Rum A")
    with admin_app.app_context():
        unit_id = db.session.get(Room, a).unit_id
        for kind in ("check-in", "force-ended", "revoke"):
            db.session.add(Event(kind=kind, room_id=a, unit_id=unit_id, actor=f"actor-{kind}"))
        db.session.commit()
    html = admin_client.get("/admin/events").get_data(as_text=True)
    assert "Incheckningen avslutades av administratör" in html and '<code class="event-code">force-ended</code>' in html
    assert '<optgroup label="Surfplattor">' in html
    only = admin_client.get("/admin/events?kind=force-ended").get_data(as_text=True)
    assert "actor-force-ended" in only and "actor-check-in" not in only and "actor-revoke" not in only
    assert '<option value="force-ended" selected>' in only
    en = admin_client.get("/admin/events?kind=revoke&lang=en").get_data(as_text=True)
    assert "Tablet unpaired" in en and "actor-revoke" in en and "actor-check-in" not in en
    r = admin_client.get("/admin/events?kind=drop-table&lang=sv")
    assert r.status_code == 400 and "Välj ett av alternativen." in r.get_data(as_text=True)


def _csv_rows(response, delimiter):
    import csv
    import io

    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=delimiter))


def test_the_event_log_downloads_as_csv_with_the_same_filter_and_the_download_is_logged(
        admin_client, admin_app, make_room, frozen_clock):
    a, b = make_room(name="Rum A"), make_room(name="Rum B")
    with admin_app.app_context():
        unit_id = db.session.get(Room, a).unit_id
        for days, kind, room, actor in ((1, "check-in", a, "tablet:1"), (0, "force-ended", a, "=HYPERLINK(1)"),
                                        (0, "check-in", b, "tablet:2"), (40, "check-in", a, "tablet:old")):
            db.session.add(Event(at=frozen_clock.now() - timedelta(days=days), kind=kind, room_id=room,
                                 unit_id=unit_id, actor=actor, address="10.0.0.1",
                                 detail=json.dumps({"reason": "Rummet behövdes"}) if kind == "force-ended" else ""))
        db.session.commit()
    page = admin_client.get(f"/admin/events?room={a}").get_data(as_text=True)
    assert f'href="/admin/events.csv?room={a}&amp;kind=&amp;from=2026-10-27&amp;to=2026-11-26"' in page
    r = admin_client.get(f"/admin/events.csv?room={a}&from=2026-10-27&to=2026-11-26")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="handelselogg-2026-10-27-2026-11-26.csv"'
    assert r.data.startswith("\ufeff".encode())
    rows = _csv_rows(r, ";")
    assert rows[0] == ["Tid", "Händelse", "Kod", "Rum", "Vem", "Konto", "Adress", "Detaljer"]
    assert [row[2] for row in rows[1:]] == ["check-in", "force-ended"]  # oldest first; room B and day 40 left out
    forced = rows[2]
    assert forced[1] == "Incheckningen avslutades av administratör" and forced[3] == "Rum A"
    assert forced[4] == "'=HYPERLINK(1)"  # never a formula in Excel
    assert json.loads(forced[7]) == {"reason": "Rummet behövdes"} and forced[0].endswith("+01:00")
    only = _csv_rows(admin_client.get("/admin/events.csv?kind=check-in&lang=en&from=2026-11-01"), ",")
    assert only[0][0] == "Time" and {row[2] for row in only[1:]} == {"check-in"} and len(only) == 3
    exports = [json.loads(e[3]) for e in events(admin_app, "events-export")]
    assert exports == [{"room": str(a), "from": "2026-10-27", "to": "2026-11-26"},
                       {"event_kind": "check-in", "from": "2026-11-01", "to": "2026-11-26"}]
    assert admin_client.get("/admin/events.csv?from=igår").status_code == 400
    assert len(events(admin_app, "events-export")) == 2  # a refused download is not one


def test_a_unit_manager_downloads_only_their_units_events(manager_client, admin_app, make_room):
    mine, theirs = make_room(unit_id=manager_client.unit_id), make_room()
    with admin_app.app_context():
        for room_id, actor in ((mine, "tablet:mine"), (theirs, "tablet:theirs")):
            db.session.add(Event(kind="check-in", room_id=room_id, unit_id=db.session.get(Room, room_id).unit_id,
                                 actor=actor))
        db.session.commit()
    body = manager_client.get("/admin/events.csv").data.decode("utf-8-sig")
    assert "tablet:mine" in body and "tablet:theirs" not in body
    assert manager_client.get(f"/admin/events.csv?room={theirs}").status_code == 403


def test_every_event_kind_has_a_name_in_each_language_and_no_other_kind_is_written(admin_app):
    from kiosk.models import ALL_EVENT_KINDS

    for lang, content in admin_app.extensions["kiosk_content"].languages.items():
        missing = [k for k in sorted(ALL_EVENT_KINDS) if f"admin.events.kinds.{k}" not in content.ui]
        assert not missing, (lang, missing)
    with pytest.raises(ValueError, match="unknown event kind 'made-up'"):
        Event(kind="made-up")


def test_a_unit_manager_sees_only_their_units_events(manager_client, admin_app, make_room):
    mine, theirs = make_room(unit_id=manager_client.unit_id), make_room()
    with admin_app.app_context():
        for room_id, actor in ((mine, "tablet:mine"), (theirs, "tablet:theirs")):
            db.session.add(Event(kind="check-in", room_id=room_id, unit_id=db.session.get(Room, room_id).unit_id,
                                 actor=actor))
        db.session.commit()
    html = manager_client.get("/admin/events").get_data(as_text=True)
    assert "tablet:mine" in html and "tablet:theirs" not in html
    assert manager_client.get(f"/admin/events?room={theirs}").status_code == 403


# ---- accounts ----------------------------------------------------------------------------------------


def test_a_global_admin_creates_accounts_and_sees_the_password_once(admin_client, admin_app, make_unit):
    unit_id = make_unit()
    r = admin_client.form_post("/admin/accounts", {"email": "Chef@Regionhalsan.example", "role": "unit",
                                                   "unit": str(unit_id)})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "chef@regionhalsan.example" in html
    password = re.search(r'<code id="new-password">([^<]+)</code>', html).group(1)
    manager = admin_app.test_client()
    manager.form_post("/admin/login", {"email": "chef@regionhalsan.example", "password": password})
    assert manager.get("/admin/rooms").status_code == 200
    r = admin_client.form_post("/admin/accounts", {"email": "chef@regionhalsan.example", "role": "global", "unit": ""})
    assert r.status_code == 400 and "finns redan ett konto" in r.get_data(as_text=True)
    r = admin_client.form_post("/admin/accounts", {"email": "x@y.z", "role": "unit", "unit": ""})
    assert r.status_code == 400
    r = admin_client.form_post(f"/admin/accounts/{admin_client.account.id}/active", {"active": "0"})
    assert r.status_code == 409
    assert [e[0] for e in events(admin_app, "admin-create")] == ["admin-create", "admin-create"]


def test_only_a_global_admin_manages_accounts(manager_client):
    assert manager_client.get("/admin/accounts").status_code == 403
    r = manager_client.form_post("/admin/accounts", {"email": "ny@regionhalsan.example", "role": "global"})
    assert r.status_code == 403


def test_every_admin_change_names_who_and_where(admin_client, admin_app, make_unit, frozen_clock):
    """Audit: each admin action is one event with the account, the address and the time."""
    admin_client.environ_base["REMOTE_ADDR"] = "10.20.30.40"
    unit_id = make_unit()
    admin_client.form_post("/admin/rooms", {"unit": str(unit_id), "name": "Rum 9"})
    admin_client.form_post("/admin/units", {"name": "Ny enhet"})
    with admin_app.app_context():
        changes = db.session.scalars(select(Event).where(Event.kind.in_(("room-create", "unit-create")))).all()
        assert {(e.actor, e.address, e.at) for e in changes} == {
            (f"admin:{admin_client.account.id}", "10.20.30.40", frozen_clock.now())}


# ---- the accessibility statement ------------------------------------------------------------------


@pytest.mark.parametrize("lang,words", [
    ("sv", ["Tillgänglighet för Vårdmöteskiosken", "WCAG 2.1 på nivå AA", "Kända brister", "Rapportera brister",
            "Myndigheten för digital förvaltning (Digg)"]),
    ("en", ["Accessibility of the Vårdmöteskiosk", "WCAG 2.1 level AA", "Known shortcomings", "Report a problem",
            "Agency for Digital Government (Digg)"]),
])
def test_the_accessibility_statement_is_public_and_names_its_contact(client, app, lang, words):
    r = client.get(f"/tillganglighet?lang={lang}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    for word in words:
        assert word in html
    email = app.extensions["kiosk_content"].get(lang).t("a11y.contact.email")  # from the content files
    assert f'href="mailto:{email}">{email}</a>' in html
    assert 'href="https://www.digg.se/tdosanmalan"' in html


@pytest.mark.parametrize("value", ["", "yes", "2", "true"])
def test_on_off_fields_take_0_or_1_only(admin_client, admin_app, make_room, make_admin, value):
    room_id = make_room()
    other = make_admin()
    assert admin_client.form_post(f"/admin/rooms/{room_id}/active", {"active": value}).status_code == 400
    assert admin_client.form_post(f"/admin/accounts/{other.id}/active", {"active": value}).status_code == 400
    assert room_of(admin_app, room_id).active is True


OPTIONAL_WORDS = re.compile(r"\((?:valfritt|frivilligt|optional)\)")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_fields_label_says_optional_once(admin_client, door_client, lang):
    """The form's own marker says a field may be left empty: a label whose text
    already said so read "Vad gjordes? (frivilligt) (valfritt)"."""
    door_client.hx_post(f"/rooms/{door_client.slug}/fault", {"kind": "camera", "text": "Svart bild"})
    room = door_client.room_id
    checked = 0
    for path in ("/admin/faults", f"/admin/rooms/{room}", f"/admin/rooms/{room}/bookings", "/admin/rooms",
                 "/admin/units", "/admin/accounts", "/admin/tablets", "/admin/account"):
        html = admin_client.get(f"{path}?lang={lang}").get_data(as_text=True)
        for label in re.findall(r"<label\b[^>]*>(.*?)</label>", html, flags=re.S):
            text = re.sub(r"<[^>]+>", "", label)
            assert len(OPTIONAL_WORDS.findall(text)) <= 1, f"{path}: {text!r}"
            checked += bool(OPTIONAL_WORDS.search(text))
    assert checked, "no optional field was looked at"
    faults = admin_client.get(f"/admin/faults?lang={lang}").get_data(as_text=True)
    assert ("Vad gjordes?" if lang == "sv" else "What was done?") in faults
