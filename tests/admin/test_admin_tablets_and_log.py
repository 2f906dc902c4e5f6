"""Admin as the issue-12 walk-through met it: a next step after creating a room,
the tablets' online status with a filter, the event log in words, and one
action writing one event."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Room, Tablet
from kiosk.rooms import service
from kiosk.rooms.service import Actor
from tests.admin_support import events


def test_after_creating_a_room_the_next_step_is_to_pair_its_door(admin_client, admin_app, make_unit, frozen_clock):
    unit_id = make_unit(name="Hud", slug="hud")
    r = admin_client.form_post("/admin/rooms", {"unit": unit_id, "name": "Videorum 9", "slug": "", "location": ""})
    assert r.status_code == 303
    with admin_app.app_context():
        room_id = db.session.scalar(select(Room.id).where(Room.name == "Videorum 9"))
    assert r.headers["Location"].endswith(f"/admin/rooms/{room_id}#door-tablet")
    html = admin_client.get(f"/admin/rooms/{room_id}").get_data(as_text=True)
    assert "Videorum 9 är skapat" in html or "Videorum 9" in html
    assert "Nästa steg: koppla en dörrskärm" in html
    form = html[html.index('id="door-tablet"'):]
    form = form[:form.index("</form>")]
    assert 'action="/admin/tablets/pair"' in form and 'name="kind" value="door"' in form
    assert f'name="room" value="{room_id}"' in form and ">Koppla en dörrskärm</button>" in form
    # The button gives the code right away.
    r = admin_client.form_post("/admin/tablets/pair", {"kind": "door", "room": room_id})
    assert r.status_code == 200 and 'class="pairing-code"' in r.get_data(as_text=True)
    en = admin_client.get(f"/admin/rooms/{room_id}?lang=en").get_data(as_text=True)
    assert "Next step: pair a door tablet" in en


def _tablet(app, room_id, seen_minutes_ago, revoked=False, kind="door"):
    with app.app_context():
        room = db.session.get(Room, room_id)
        now = clock.now()
        tablet = Tablet(kind=kind, unit_id=room.unit_id, room_id=room_id if kind == "door" else None,
                        paired_at=now - timedelta(days=1), token_hash=f"h-{room_id}-{seen_minutes_ago}-{revoked}",
                        last_seen_at=None if seen_minutes_ago is None else now - timedelta(minutes=seen_minutes_ago),
                        revoked_at=now if revoked else None)
        db.session.add(tablet)
        db.session.commit()
        return tablet.id


def test_the_tablet_list_shows_online_and_offline_and_filters_the_offline(admin_client, admin_app, make_room,
                                                                           frozen_clock):
    room_id = make_room(name="Videorum 1")
    online = _tablet(admin_app, room_id, 0)
    silent = _tablet(admin_app, room_id, 10)
    never = _tablet(admin_app, room_id, None)
    revoked = _tablet(admin_app, room_id, 0, revoked=True)
    html = admin_client.get("/admin/tablets").get_data(as_text=True)

    def row(tablet_id):
        start = html.index(f'<th scope="row">{tablet_id}</th>')
        return html[start:html.index("</tr>", start)]

    assert "Ansluten" in row(online) and "Svarar inte" not in row(online)
    assert "Svarar inte" in row(silent) and "Svarar inte" in row(never) and "Aldrig" in row(never)
    assert "Ansluten" not in row(revoked) and "Svarar inte" not in row(revoked)
    offline = admin_client.get("/admin/tablets?status=offline").get_data(as_text=True)
    shown = set(map(int, re.findall(r'<th scope="row">(\d+)</th>', offline)))
    assert shown == {silent, never}
    assert '<option value="offline" selected>' in offline
    shown = set(map(int, re.findall(r'<th scope="row">(\d+)</th>',
                                    admin_client.get("/admin/tablets?status=online").get_data(as_text=True))))
    assert shown == {online}
    # A minute plus three polls later, the online one is offline too.
    frozen_clock.advance(timedelta(seconds=60 + 3 * admin_app.config["POLL_SECONDS"] + 1))
    shown = set(map(int, re.findall(r'<th scope="row">(\d+)</th>',
                                    admin_client.get("/admin/tablets?status=offline").get_data(as_text=True))))
    assert shown == {online, silent, never}
    r = admin_client.get("/admin/tablets?status=sleepy")
    assert r.status_code == 400 and "Välj ett av alternativen." in r.get_data(as_text=True)
    en = admin_client.get("/admin/tablets?lang=en").get_data(as_text=True)
    assert "Not responding" in en and "Online" in en


def test_the_event_log_says_the_details_in_words(admin_client, admin_app, door_client, frozen_clock):
    room_id = door_client.room_id
    with admin_app.app_context():
        tablet_id = db.session.scalar(select(Tablet.id).where(Tablet.room_id == room_id))
        door = Actor(f"tablet:{tablet_id}", tablet_id=tablet_id)
        service.check_in(room_id, door)
        service.start_meeting(room_id, door, skip_reason="urgent")
        service.record_no_show(room_id, door, choice="no-answer")
        service.end_meeting(room_id, door)
    html = admin_client.get("/admin/events").get_data(as_text=True)
    table = html[html.index("<tbody>"):html.index("</tbody>")]
    assert "Svar vid uppringningen: svarade inte" in table
    assert "Checklistan: hoppades över; Skäl: brådskande möte" in table
    assert "Avslutat före beräknat slut: ja" in table or "Avslutat före beräknat slut: nej" in table
    assert f"Surfplatta {tablet_id} (Dörrskärm, " in table
    for raw in ("choice:", "no-answer", "early:", "True", "False", f">tablet:{tablet_id}<", "checklist: skipped"):
        assert raw not in table, raw
    en = admin_client.get("/admin/events?lang=en").get_data(as_text=True)
    assert "Answer at the call: no answer" in en and f"Tablet {tablet_id} (Door tablet, " in en


def test_one_tap_in_the_no_show_guide_writes_one_event(admin_app, door_client, frozen_clock):
    """An answer at the call step that ends the procedure ("the patient joined")
    wrote two "Patienten anslöt inte" rows; one tap is one event."""
    room_id = door_client.room_id
    with admin_app.app_context():
        service.check_in(room_id, Actor("test"))
        service.start_meeting(room_id, Actor("test"), skip_reason="urgent")
    r = door_client.form_post("/guides/no-show/start", {"now": "1"})
    assert r.status_code == 303
    assert len(events(admin_app, "no-show")) == 1
    frozen_clock.advance(timedelta(minutes=6))
    r = door_client.form_post("/guides/no-show/choose", {"step": "call", "choice": "joined"})
    assert r.status_code == 303
    rows = events(admin_app, "no-show")
    assert len(rows) == 2, rows
    assert '"choice": "joined"' in rows[-1][3] and '"result": "held"' in rows[-1][3]
    with admin_app.app_context():
        session = service.open_session(room_id)
        assert (session.no_show_outcome, session.no_show_result) == ("joined", "held")


def test_a_bookings_times_are_shown_in_swedens_time_from_before_till(admin_client, admin_app, door_client,
                                                                     frozen_clock):
    """A booking made for 09.00-09.30 tomorrow and moved to 10.00-10.45, on a
    winter day: the log says so in Sweden's time (UTC + 1), "Från" before
    "Till", in words."""
    from kiosk.bookings import service as bookings

    room_id = door_client.room_id
    with admin_app.app_context():
        booking = bookings.create(room_id, Actor("test"), bookings.parse_local("2026-11-27", "09:00"),
                                  bookings.parse_local("2026-11-27", "09:30"))
        bookings.move(booking.id, Actor("test"), bookings.parse_local("2026-11-27", "10:00"),
                      bookings.parse_local("2026-11-27", "10:45"))
        booking_id = booking.id
    html = admin_client.get("/admin/events").get_data(as_text=True)
    table = html[html.index("<tbody>"):html.index("</tbody>")]
    assert (f"Bokning nummer: {booking_id}; Bokad: i kiosken; Från: 2026-11-27 10.00; Till: 2026-11-27 10.45; "
            "Tidigare från: 2026-11-27 09.00; Tidigare till: 2026-11-27 09.30") in table
    assert f"Bokning nummer: {booking_id}; Bokad: i kiosken; Från: 2026-11-27 09.00; Till: 2026-11-27 09.30<" in table
    for raw in ("2026-11-27T08", "booking:", "source:", "from_end", "from_start", "manual"):
        assert raw not in table, raw
    en = admin_client.get("/admin/events?lang=en").get_data(as_text=True)
    assert f"Booking number: {booking_id}; Booked: in the kiosk; From: 2026-11-27 09:00; To: 2026-11-27 09:30" in en


def test_the_no_show_guide_is_one_row_in_the_log(admin_client, admin_app, door_client, frozen_clock):
    """The timer, the answer at the call and the result are the steps of one
    act: one row, its steps in the order taken."""
    room_id = door_client.room_id
    with admin_app.app_context():
        service.check_in(room_id, Actor("test"))
        service.start_meeting(room_id, Actor("test"), skip_reason="urgent")
    assert door_client.form_post("/guides/no-show/start", {"now": "1"}).status_code == 303
    frozen_clock.advance(timedelta(minutes=6))
    assert door_client.form_post("/guides/no-show/choose", {"step": "call", "choice": "joined"}).status_code == 303
    assert len(events(admin_app, "no-show")) == 2
    html = admin_client.get("/admin/events?kind=no-show").get_data(as_text=True)
    table = html[html.index("<tbody>"):html.index("</tbody>")]
    assert table.count("<tr>") == 1, table
    assert ("Nedräkningen startades (eller började om); Svar vid uppringningen: patienten anslöt; "
            "Resultat: mötet genomfördes") in table
