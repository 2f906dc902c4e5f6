"""Room health (issue 15): faults reported from the door, the console and the
device check, shown on the door and the board without blocking check-in,
fixed in admin with a note; device-check outcomes kept per room; every step
in the event log; the free text erased after the retention days."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import DeviceCheck, Event, Room, RoomFault, RoomSession, Unit

RLO = "\u202e"


def faults_of(app, room_id):
    with app.app_context():
        return list(db.session.scalars(select(RoomFault).where(RoomFault.room_id == room_id).order_by(RoomFault.id)))


def events_of(app, *kinds):
    with app.app_context():
        return list(db.session.scalars(select(Event).where(Event.kind.in_(kinds)).order_by(Event.id)))


def room_version(app, room_id):
    with app.app_context():
        return db.session.get(Room, room_id).version


def unit_of(app, room_id):
    with app.app_context():
        return db.session.get(Room, room_id).unit_id


def door_poll_version(html):
    return re.search(r'data-hx-get="[^"]*/door/poll\?v=([^"&]+)"', html).group(1)


# ---- reporting at the door ------------------------------------------------------------


def test_a_fault_reported_at_the_door_shows_on_the_door_with_kind_and_time(door_client, app, frozen_clock):
    before = room_version(app, door_client.room_id)
    r = door_client.hx_post(f"/rooms/{door_client.slug}/fault", {"kind": "camera", "text": "  Bilden   fryser "})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["X-Kiosk-Fragment"] == "door"
    # FROZEN_AT is Thursday 2026-11-26 09:00 UTC = 10.00 in Stockholm.
    assert "Fel anmält: kamera (sedan tors 10.00)" in html and "Bilden fryser" in html
    [fault] = faults_of(app, door_client.room_id)
    assert (fault.kind, fault.text, fault.source, fault.fixed_at) == ("camera", "Bilden fryser", "door", None)
    assert fault.reported_by.startswith("tablet:")
    [event] = events_of(app, "fault-report")
    assert event.room_id == door_client.room_id and '"what": "camera"' in event.detail
    assert "fryser" not in event.detail  # the free text lives on the fault only (retention erases it there)
    assert room_version(app, door_client.room_id) == before + 1


def test_the_report_is_a_plain_form_too_and_english_names_it(door_client, app, frozen_clock):
    r = door_client.form_post(f"/rooms/{door_client.slug}/fault", {"kind": "microphone"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/rooms/{door_client.slug}/door")
    html = door_client.get(f"/rooms/{door_client.slug}/door?lang=en").get_data(as_text=True)
    assert "Fault reported: microphone or headset (since Thu 10:00)" in html


def test_the_door_poll_rerenders_when_a_fault_opens(door_client, app, frozen_clock):
    html = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    v = door_poll_version(html)
    assert door_client.hx_get(f"/rooms/{door_client.slug}/door/poll?v={v}").status_code == 204
    door_client.hx_post(f"/rooms/{door_client.slug}/fault", {"kind": "network"})
    r = door_client.hx_get(f"/rooms/{door_client.slug}/door/poll?v={v}")
    assert r.status_code == 200 and "Fel anmält: nätverk" in r.get_data(as_text=True)


def test_a_fault_does_not_block_check_in_and_the_checklist_reminds(door_client, app, frozen_clock):
    door_client.hx_post(f"/rooms/{door_client.slug}/fault", {"kind": "sound"})
    r = door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {"minutes": "30"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Checklista innan mötet" in html
    assert "Fel anmält: ljud" in html and "Kontrollera utrustningen extra noga" in html
    with app.app_context():
        assert db.session.scalar(select(RoomSession.state).where(RoomSession.room_id == door_client.room_id)) \
            == "preparing"


@pytest.mark.parametrize("data,lang,words", [
    ({}, "sv", "Välj vad som inte fungerar."),
    ({"kind": "toaster"}, "en", "Choose what does not work."),
    ({"kind": "camera", "text": "x" * 141}, "sv", "högst 140 tecken"),
    ({"kind": "camera", "text": f"Trasig{RLO}kamera"}, "en", "without line breaks or invisible characters"),
    ({"kind": "camera", "text": "rad ett\nrad två"}, "sv", "utan radbrytningar"),
])
def test_bad_fault_reports_get_400_with_words_and_nothing_is_stored(door_client, app, data, lang, words):
    door_client.get(f"/?lang={lang}")
    r = door_client.hx_post(f"/rooms/{door_client.slug}/fault", data)
    assert r.status_code == 400 and r.headers["X-Kiosk-Error"] == "400"
    assert words in r.get_data(as_text=True)
    assert faults_of(app, door_client.room_id) == [] and events_of(app, "fault-report") == []


def test_another_rooms_door_and_strangers_are_refused(door_client, app, make_room, client):
    other = make_room()
    with app.app_context():
        other_slug = db.session.get(Room, other).slug
    assert door_client.hx_post(f"/rooms/{other_slug}/fault", {"kind": "camera"}).status_code == 403
    assert client.hx_post(f"/rooms/{door_client.slug}/fault", {"kind": "camera"}).status_code == 403
    assert door_client.post(f"/rooms/{door_client.slug}/fault", data={"kind": "camera"}).status_code == 400  # no CSRF
    assert door_client.hx_post("/rooms/no-such-room/fault", {"kind": "camera"}).status_code == 404
    assert faults_of(app, other) == [] and faults_of(app, door_client.room_id) == []


def test_a_room_takes_a_bounded_number_of_open_faults(door_client, app):
    from kiosk.rooms.faults import OPEN_MAX

    for _ in range(OPEN_MAX):
        assert door_client.hx_post(f"/rooms/{door_client.slug}/fault", {"kind": "other"}).status_code == 200
    r = door_client.hx_post(f"/rooms/{door_client.slug}/fault", {"kind": "other"})
    assert r.status_code == 409 and "många öppna felanmälningar" in r.get_data(as_text=True)


# ---- the board -------------------------------------------------------------------------


def test_the_board_shows_the_fault_and_its_poll_changes(door_client, app, pair, frozen_clock):
    board = pair(app.test_client(), unit_id=unit_of(app, door_client.room_id))
    html = board.get("/board").get_data(as_text=True)
    assert "Fel anmält" not in html
    v = re.search(r'/board/poll\?v=([0-9a-f]+)', html).group(1)
    assert board.hx_get(f"/board/poll?v={v}").status_code == 204
    door_client.hx_post(f"/rooms/{door_client.slug}/fault", {"kind": "screen", "text": "Spricka"})
    r = board.hx_get(f"/board/poll?v={v}")
    assert r.status_code == 200
    card = r.get_data(as_text=True)
    assert "Fel anmält: skärm eller dörrplatta (sedan tors 10.00)" in card
    assert "Spricka" not in card  # the board, in reception, shows what and since when only


# ---- the console -------------------------------------------------------------------------


def pair_console(app, client, room_id):
    from kiosk.rooms import pairing

    with app.app_context():
        room = db.session.get(Room, room_id)
        code = pairing.new_code("console", room.unit, room, actor="test")
    assert client.form_post("/pair", {"code": code}).status_code == 303
    return client


def test_the_console_reports_a_fault_for_its_room_only(door_client, app, make_room):
    console = pair_console(app, app.test_client(), door_client.room_id)
    r = console.hx_post(f"/rooms/{door_client.slug}/console/fault", {"kind": "computer"})
    assert r.status_code == 200 and r.headers["X-Kiosk-Fragment"] == "console"
    assert "Fel anmält: dator" in r.get_data(as_text=True)
    assert [f.source for f in faults_of(app, door_client.room_id)] == ["console"]
    other = make_room()
    with app.app_context():
        other_slug = db.session.get(Room, other).slug
    assert console.hx_post(f"/rooms/{other_slug}/console/fault", {"kind": "computer"}).status_code == 403
    assert door_client.hx_post(f"/rooms/{door_client.slug}/console/fault", {"kind": "computer"}).status_code == 403
    assert "Fel anmält: dator" in door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)


def test_a_visits_console_reports_while_the_visit_runs_and_not_after(door_client, app):
    html = door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {}).get_data(as_text=True)
    code = re.search(r'class="console-code-value">.*?<strong>([A-Z0-9]{3}-[A-Z0-9]{3})</strong>', html, re.S).group(1)
    console = app.test_client()
    assert console.form_post("/console", {"code": code}).status_code == 303
    assert console.hx_post(f"/rooms/{door_client.slug}/console/fault", {"kind": "sound"}).status_code == 200
    console.hx_post(f"/rooms/{door_client.slug}/console/cancel", {})
    r = console.hx_post(f"/rooms/{door_client.slug}/console/fault", {"kind": "sound"})
    assert r.status_code == 409
    assert len(faults_of(app, door_client.room_id)) == 1


# ---- admin: open faults, fixing ------------------------------------------------------------


@pytest.fixture
def reported(door_client, app):
    """A camera fault reported at the door_client's room; returns its id."""
    door_client.hx_post(f"/rooms/{door_client.slug}/fault", {"kind": "camera", "text": "Svart bild"})
    return faults_of(app, door_client.room_id)[0].id


def test_admin_lists_open_faults_and_fixes_one_with_a_note(admin_client, door_client, app, reported):
    html = admin_client.get("/admin/faults").get_data(as_text=True)
    assert "Fel anmält: kamera" in html and "Svart bild" in html and "dörren" in html
    v = door_poll_version(door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True))
    r = admin_client.form_post(f"/admin/faults/{reported}/fix", {"note": "Ny kamera monterad"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/admin/faults")
    page = admin_client.get("/admin/faults").get_data(as_text=True)
    assert "markerat som åtgärdat" in page and "Inga öppna felanmälningar." in page
    [fault] = faults_of(app, door_client.room_id)
    assert fault.fixed_at is not None and fault.fix_note == "Ny kamera monterad"
    assert fault.fixed_by == f"admin:{admin_client.account.id}"
    [event] = events_of(app, "fault-fix")
    assert event.actor == fault.fixed_by and '"fault": %d' % reported in event.detail
    poll = door_client.hx_get(f"/rooms/{door_client.slug}/door/poll?v={v}")
    assert poll.status_code == 200 and "Fel anmält" not in poll.get_data(as_text=True)
    assert admin_client.form_post(f"/admin/faults/{reported}/fix", {}).status_code == 409


def test_fixing_with_a_bad_note_is_400_and_keeps_the_fault_open(admin_client, door_client, app, reported):
    r = admin_client.form_post(f"/admin/faults/{reported}/fix", {"note": "x" * 201})
    assert r.status_code == 400 and "högst 200 tecken" in r.get_data(as_text=True)
    admin_client.get("/?lang=en")
    r = admin_client.form_post(f"/admin/faults/{reported}/fix", {"note": f"a{RLO}b"})
    assert r.status_code == 400 and "invisible characters" in r.get_data(as_text=True)
    assert faults_of(app, door_client.room_id)[0].fixed_at is None
    assert admin_client.form_post("/admin/faults/999999/fix", {}).status_code == 404
    assert admin_client.post(f"/admin/faults/{reported}/fix", data={}).status_code == 400  # no CSRF


def test_a_unit_manager_sees_and_fixes_only_the_units_faults(manager_client, door_client, app, make_room, reported,
                                                            pair):
    own_room = make_room(unit_id=manager_client.unit_id)
    own_door = pair(app.test_client(), room_id=own_room)
    with app.app_context():
        own_slug = db.session.get(Room, own_room).slug
    own_door.hx_post(f"/rooms/{own_slug}/fault", {"kind": "network", "text": "Wifi borta"})
    html = manager_client.get("/admin/faults").get_data(as_text=True)
    assert "Wifi borta" in html and "Svart bild" not in html
    r = manager_client.form_post(f"/admin/faults/{reported}/fix", {})
    assert r.status_code == 403
    assert faults_of(app, door_client.room_id)[0].fixed_at is None
    own_fault = faults_of(app, own_room)[0].id
    assert manager_client.form_post(f"/admin/faults/{own_fault}/fix", {}).status_code == 303


def test_the_faults_page_needs_a_login(client):
    r = client.get("/admin/faults")
    assert r.status_code in (302, 303) and "/admin/login" in r.headers["Location"]
    assert client.form_post("/admin/faults/1/fix", {}).status_code in (302, 303)


# ---- device checks ---------------------------------------------------------------------------


def test_a_console_saves_its_rooms_device_check(door_client, app, frozen_clock):
    console = pair_console(app, app.test_client(), door_client.room_id)
    html = console.get("/check/devices").get_data(as_text=True)
    assert "Spara resultatet för rummet" in html and 'name="room"' not in html
    r = console.form_post("/check/devices/result", {"camera": "ok", "microphone": "ok", "sound": "fail"})
    assert r.status_code == 303
    assert "Resultatet sparades" in console.get(r.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        [check] = db.session.scalars(select(DeviceCheck)).all()
        assert (check.room_id, check.camera, check.microphone, check.sound, check.ok) == \
            (door_client.room_id, "ok", "ok", "fail", False)
    [event] = events_of(app, "device-check")
    assert event.room_id == door_client.room_id
    other = console.form_post("/check/devices/result", {"camera": "ok", "microphone": "ok", "sound": "ok",
                                                          "room": str(door_client.room_id + 1000)})
    assert other.status_code == 403


@pytest.mark.parametrize("data", [
    {"camera": "ok", "microphone": "ok"}, {"camera": "great", "microphone": "ok", "sound": "ok"},
    {"camera": "untested", "microphone": "untested", "sound": "untested"},
])
def test_bad_device_check_results_are_400(admin_client, make_room, app, data):
    room_id = make_room()
    r = admin_client.form_post("/check/devices/result", {**data, "room": str(room_id)})
    assert r.status_code == 400 and "Kör testet igen" in r.get_data(as_text=True)
    admin_client.get("/?lang=en")
    r = admin_client.form_post("/check/devices/result", {**data, "room": str(room_id)})
    assert r.status_code == 400 and "Run the test again" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(DeviceCheck).count() == 0


def test_device_check_room_choice_is_for_admins_of_that_unit(manager_client, client, make_room, app):
    own, other = make_room(unit_id=manager_client.unit_id), make_room()
    html = manager_client.get("/check/devices").get_data(as_text=True)
    assert f'<option value="{own}"' in html and f'<option value="{other}"' not in html
    ok = {"camera": "ok", "microphone": "ok", "sound": "ok"}
    assert manager_client.form_post("/check/devices/result", {**ok, "room": str(other)}).status_code == 403
    assert manager_client.form_post("/check/devices/result", {**ok, "room": "abc"}).status_code == 400
    assert manager_client.form_post("/check/devices/result", {**ok, "room": "999999"}).status_code == 404
    assert manager_client.form_post("/check/devices/result", {**ok, "room": str(own)}).status_code == 303
    # A browser that is neither a console nor an administrator cannot save or report.
    assert "kan sparas när testet körs på rummets dator" in client.get("/check/devices").get_data(as_text=True)
    assert client.form_post("/check/devices/result", {**ok, "room": str(own)}).status_code == 403
    assert client.form_post("/check/devices/fault", {"kind": "camera", "room": str(own)}).status_code == 403


def test_a_fault_reported_from_the_device_check(admin_client, make_room, app):
    room_id = make_room()
    r = admin_client.form_post("/check/devices/fault", {"kind": "microphone", "room": str(room_id),
                                                        "camera": "ok", "microphone": "fail", "sound": "untested"})
    assert r.status_code == 303
    assert [(f.kind, f.source) for f in faults_of(app, room_id)] == [("microphone", "devicecheck")]
    assert admin_client.form_post("/check/devices/fault", {"kind": "x", "room": str(room_id)}).status_code == 400


def test_admin_shows_the_last_good_check_and_the_rooms_whose_last_check_failed(admin_client, make_room, app,
                                                                               frozen_clock):
    good, bad = make_room(name="Rum Bra"), make_room(name="Rum Trasigt")
    make_room(name="Rum Aldrig")  # never checked
    ok = {"camera": "ok", "microphone": "ok", "sound": "ok"}
    admin_client.form_post("/check/devices/result", {**ok, "room": str(good)})
    admin_client.form_post("/check/devices/result", {**ok, "room": str(bad)})
    clock.advance(timedelta(minutes=20))  # within the admin's idle limit
    assert admin_client.form_post("/check/devices/result", {**ok, "camera": "fail", "room": str(bad)}).status_code == 303
    html = admin_client.get("/admin/faults").get_data(as_text=True)
    failing = html[html.index('id="failing-rooms"'):html.index('id="device-checks"')]
    assert "Rum Trasigt" in failing and "Rum Bra" not in failing and "Rum Aldrig" not in failing
    assert "Kamera fungerar inte" in failing or "kamera fungerar inte" in failing.lower()
    table = html[html.index('id="device-checks"'):]
    row = table[table.index("Rum Trasigt"):].split("</tr>")[0]
    assert "2026-11-26 10.20" in row and "2026-11-26 10.00" in row  # the last check failed; the last good before it
    never_row = table[table.index("Rum Aldrig"):].split("</tr>")[0]
    assert never_row.count("Aldrig") >= 2


# ---- retention ---------------------------------------------------------------------------------


def test_retention_erases_the_faults_free_text_and_keeps_the_rows(door_client, admin_client, app, frozen_clock):
    from kiosk import retention

    door_client.hx_post(f"/rooms/{door_client.slug}/fault", {"kind": "camera", "text": "Anna Svensson sa"})
    fault_id = faults_of(app, door_client.room_id)[0].id
    admin_client.form_post(f"/admin/faults/{fault_id}/fix", {"note": "Bytt av Per"})
    clock.advance(timedelta(days=13))
    with app.app_context():
        assert retention.purge()["faults"] == 0
    assert faults_of(app, door_client.room_id)[0].text == "Anna Svensson sa"
    clock.advance(timedelta(days=2))
    with app.app_context():
        done = retention.purge()
        assert done["faults"] == 1
    [fault] = faults_of(app, door_client.room_id)
    assert (fault.kind, fault.text, fault.fix_note) == ("camera", None, None) and fault.fixed_at is not None


# ---- statistics ----------------------------------------------------------------------------------


@pytest.fixture
def fault_data(admin_app, make_unit, make_room):
    """A unit with rooms A and B: faults in November and December 2026 (some
    fixed), device checks (some failed), and a fault in another unit that must not count."""
    from datetime import datetime, timezone

    from kiosk.rooms import faults
    from kiosk.rooms.service import Actor

    door, admin = Actor("tablet:test"), Actor("admin:test")

    def at(month, day, hour=9):
        return datetime(2026, month, day, hour, 0, tzinfo=timezone.utc)

    unit_id = make_unit(name="Hudmottagningen", slug="hud")
    a = make_room(unit_id=unit_id, name="Rum A", slug="rum-a")
    b = make_room(unit_id=unit_id, name="Rum B", slug="rum-b")
    other = make_room(name="Annat rum")
    ok = faults.CheckOutcome("ok", "ok", "ok")
    failed = faults.CheckOutcome("fail", "ok", "untested")
    with admin_app.app_context():
        clock.freeze(at(11, 10))
        f1 = faults.report(a, door, "camera", None, "door").id
        clock.freeze(at(11, 10, 13))                          # fixed after 4 hours
        faults.fix(f1, admin, "Bytt")
        clock.freeze(at(11, 20))
        f2 = faults.report(a, door, "sound", None, "door").id
        faults.report(b, door, "camera", None, "door")        # never fixed
        clock.freeze(at(11, 21))                              # fixed after 24 hours
        faults.fix(f2, admin, None)
        clock.freeze(at(12, 2))
        faults.report(b, door, "network", None, "door")
        faults.record_check(a, admin, ok)
        faults.record_check(b, admin, failed)
        clock.freeze(at(12, 3))
        faults.record_check(b, admin, failed)
        faults.report(other, door, "camera", None, "door")
        faults.record_check(other, admin, failed)
    clock.reset()  # the logins of the test run on the real clock
    return {"unit": unit_id, "a": a, "b": b}


RANGE_ = "from=2026-11-01&to=2026-12-04"


def test_fault_statistics_count_per_room_kind_and_month_and_add_up(admin_client, fault_data):
    from kiosk.admin.stats.faults import compute_faults

    with admin_client.application.app_context():
        unit = db.session.get(Unit, fault_data["unit"])
        s = compute_faults(unit, date(2026, 11, 1), date(2026, 12, 4))
        assert s.months == ["2026-11", "2026-12"]
        a, b = fault_data["a"], fault_data["b"]
        assert (s.cell("2026-11", a).reported, s.cell("2026-11", b).reported) == (2, 1)
        assert (s.cell("2026-12", a).reported, s.cell("2026-12", b).reported) == (0, 1)
        total = s.total()
        assert total.reported == 4 == sum(total.kinds.values())
        assert total.reported == sum(s.total(room_id=r.id).reported for r in s.rooms) \
            == sum(s.total(period=m).reported for m in s.months)
        assert dict(total.kinds) == {"camera": 2, "sound": 1, "network": 1}
        assert total.fixed == 2 and sorted(s.total(room_id=a).hours) == [4.0, 24.0]
        assert (total.checks, total.failed_checks) == (3, 2)
        assert s.cell("2026-12", b).failed_checks == 2 and s.cell("2026-12", a).failed_checks == 0


def test_fault_statistics_page_csv_and_charts(admin_client, fault_data, app):
    html = admin_client.get(f"/admin/stats/faults?unit={fault_data['unit']}&{RANGE_}").get_data(as_text=True)
    assert "<h1>Statistik: fel och utrustningstest</h1>" in html and "Annat rum" not in html
    per_kind = html[html.index('id="table-per-kind"'):].split("</table>")[0]
    assert re.search(r"<th scope=\"row\">2026-11</th><td>2</td><td>0</td><td>1</td>(<td>0</td>){4}<td>3</td>",
                     per_kind), per_kind
    fix_time = html[html.index('id="table-fix-time"'):].split("</table>")[0]
    assert "<th scope=\"row\">Rum A</th><td>2</td><td>2</td><td>14,0</td>" in fix_time
    for name in ("per-room", "per-kind", "fix-time", "failed-checks"):
        assert f"/admin/stats/faults/{name}.svg?" in html
        r = admin_client.get(f"/admin/stats/faults/{name}.svg?unit={fault_data['unit']}&{RANGE_}")
        assert r.status_code == 200 and r.mimetype == "image/svg+xml" and b"<script" not in r.data
    assert admin_client.get(f"/admin/stats/faults/nope.svg?unit={fault_data['unit']}").status_code == 404
    r = admin_client.get(f"/admin/stats/faults.csv?unit={fault_data['unit']}&{RANGE_}")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Månad", "Rum", "Anmälda"] and len(rows) == 1 + 2 * 2
    assert sum(int(row[2]) for row in rows[1:]) == 4
    kinds = slice(3, 3 + 7)
    assert all(int(row[2]) == sum(int(x) for x in row[kinds]) for row in rows[1:])
    assert sum(int(row[-1]) for row in rows[1:]) == 2 and sum(int(row[-2]) for row in rows[1:]) == 3
    assert '"what": "faults"' in events_of(app, "stats-export")[-1].detail
    assert "Statistik för fel och utrustningstest" in admin_client.get(
        f"/admin/stats?unit={fault_data['unit']}&{RANGE_}").get_data(as_text=True)


def test_fault_statistics_refuse_bad_dates_and_other_units(manager_client, fault_data):
    r = manager_client.get(f"/admin/stats/faults?unit={fault_data['unit']}&{RANGE_}")
    assert r.status_code == 403
    assert manager_client.get(f"/admin/stats/faults.csv?unit={fault_data['unit']}").status_code == 403
    assert manager_client.get(f"/admin/stats/faults/per-room.svg?unit={fault_data['unit']}").status_code == 403
    r = manager_client.get("/admin/stats/faults?from=2026-12-04&to=2026-11-01")
    assert r.status_code == 400
    manager_client.get("/?lang=en")
    r = manager_client.get("/admin/stats/faults?from=nonsense")
    assert r.status_code == 400 and "date" in r.get_data(as_text=True).lower()
    assert manager_client.get("/admin/stats/faults").status_code == 200
