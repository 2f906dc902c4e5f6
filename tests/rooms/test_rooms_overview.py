"""The staff's read-only rooms overview (issue 12): the menu's "Rumsöversikt"
led staff at a desk to "Ingen behörighet"; it now leads to every unit's rooms
and their states, what the door tablets already show, nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.rooms import service
from kiosk.rooms.service import Actor

DOOR = Actor("tablet:test")


@pytest.fixture
def rooms(app, make_unit, make_room, frozen_clock):
    """Two units: Hud with a free room and one in a meeting; Öron with a room checked in."""
    hud = make_unit(name="Hudmottagningen", slug="hud")
    oron = make_unit(name="Öronmottagningen", slug="oron")
    free = make_room(unit_id=hud, name="Videorum 1", slug="v1", location="Plan 2")
    busy = make_room(unit_id=hud, name="Videorum 2", slug="v2")
    prep = make_room(unit_id=oron, name="Öronrum", slug="o1")
    make_room(unit_id=oron, name="Gammalt rum", slug="old", active=False)
    with app.app_context():
        service.check_in(busy, DOOR, name="Dr Hemlig", title="Läkare")
        service.start_meeting(busy, DOOR, skip_reason="urgent")
        service.check_in(prep, DOOR)
    return hud, oron, free, busy, prep


def _card(html: str, name: str) -> str:
    start = html.index(f"<h3>{name}</h3>")
    return html[start:html.index("</li>", start)]


def test_the_menu_leads_staff_at_a_desk_to_the_overview(client, rooms):
    html = client.get("/checklists/").get_data(as_text=True)
    assert '<a href="/rooms">Rumsöversikt</a>' in html and 'href="/board"' not in html
    assert 'href="/rooms"' in client.get("/").get_data(as_text=True)
    assert client.get("/board").status_code == 403  # the board itself stays paired or admin only


def test_staff_at_a_desk_see_every_units_rooms_read_only(client, rooms):
    r = client.get("/rooms")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<h1>Rumsöversikt</h1>" in html
    assert html.index("Hudmottagningen") < html.index("Öronmottagningen")
    assert "Ledigt" in _card(html, "Videorum 1") and "Plan 2" in _card(html, "Videorum 1")
    assert "state-meeting" in _card(html, "Videorum 2")
    assert "state-preparing" in _card(html, "Öronrum")
    assert "Gammalt rum" not in html
    # Read-only: no form, no button, nothing about the door tablets or the clinician.
    main = html[html.index("<main"):html.index("</main>")]
    assert "<form" not in main and "<button" not in main and "data-hx-post" not in main
    assert "Dr Hemlig" not in html and "Dörrskärmen" not in main
    assert "receptionstavlan för" not in main  # no board link for someone not logged in
    en = client.get("/rooms?lang=en").get_data(as_text=True)
    assert "<h1>Room overview</h1>" in en and "Free" in en


def test_the_overview_writes_nothing_and_shows_an_expired_session_free(app, client, rooms, frozen_clock):
    from kiosk.extensions import db
    from kiosk.models import Event, RoomSession

    frozen_clock.advance(timedelta(hours=30))
    with app.app_context():
        before = (db.session.query(Event).count(), db.session.query(RoomSession).filter(
            RoomSession.ended_at.is_(None)).count())
    html = client.get("/rooms").get_data(as_text=True)
    assert "state-meeting" not in _card(html, "Videorum 2") and "Ledigt" in _card(html, "Videorum 2")
    with app.app_context():
        after = (db.session.query(Event).count(), db.session.query(RoomSession).filter(
            RoomSession.ended_at.is_(None)).count())
    assert before == after


def test_the_overview_as_htmx_fragment_and_bad_input(client, rooms):
    r = client.get("/rooms", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "Videorum 1" in r.get_data(as_text=True)
    assert client.post("/rooms").status_code in (400, 405)
    assert client.get("/rooms?unit=%00").status_code == 200  # unknown parameters are ignored


def test_an_administrator_gets_a_link_to_each_units_board(admin_client, manager_client, rooms):
    html = admin_client.get("/rooms").get_data(as_text=True)
    assert 'href="/board?unit=hud"' in html and 'href="/board?unit=oron"' in html
    mine = manager_client.get("/rooms").get_data(as_text=True)
    assert 'href="/board?unit=' not in mine  # a manager of another unit: states only


def test_without_rooms_the_overview_says_so(client):
    assert "Det finns inga videorum att visa." in client.get("/rooms").get_data(as_text=True)
