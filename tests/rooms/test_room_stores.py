"""Checklists and the no-show procedure opened on a door tablet belong to the
room's session; at a desk they stay in the browser."""

from datetime import timedelta

from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import ChecklistTick, RoomSession


def first_item(app, checklist="ending"):
    with app.app_context():
        return app.extensions["kiosk_content"].get("sv").checklists[checklist].items[0].key


def test_a_door_tablets_ticks_go_to_the_room_session(door_client, app):
    slug = door_client.slug
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "urgent"})
    item = first_item(app)
    html = door_client.get("/checklists/ending").get_data(as_text=True)
    assert "Tillbaka till dörrskärmen" in html and "pågående mötet" in html
    # The page's forms post to the room's one tick route, whose answer is the item.
    room_tick = f"/rooms/{slug}/checklists/ending/items/{item}"
    assert f'action="{room_tick}"' in html and f'action="/rooms/{slug}/checklists/ending/reset"' in html
    r = door_client.hx_post(room_tick, {"ticked": "1"})
    assert r.status_code == 200 and f'id="item-ending-{item}"' in r.get_data(as_text=True)
    with app.app_context():
        tick = db.session.scalar(select(ChecklistTick))
        assert (tick.checklist_key, tick.item_key) == ("ending", item)
    # A form from before, posted to the desk's route, is sent to the room's (307 keeps the POST).
    r = door_client.hx_post(f"/checklists/ending/items/{item}", {"ticked": "0"})
    assert r.status_code == 307 and r.headers["Location"].endswith(room_tick)
    r = door_client.hx_post("/checklists/ending/reset", {})
    assert r.status_code == 307 and r.headers["Location"].endswith(f"/rooms/{slug}/checklists/ending/reset")
    with app.app_context():
        assert db.session.query(ChecklistTick).count() == 1
    r = door_client.hx_post(f"/rooms/{slug}/checklists/ending/reset", {})
    assert r.status_code == 200 and 'id="checklist-ending"' in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(ChecklistTick).count() == 0


def test_does_not_apply_on_a_door_tablet_is_kept_on_the_room_session(door_client, app):
    slug = door_client.slug
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "urgent"})
    tick = f"/rooms/{slug}/checklists/identity/items/child-guardian"
    body = door_client.hx_post(tick, {"ticked": "na"}).get_data(as_text=True)
    assert "(1 gäller inte.)" in body
    with app.app_context():
        row = db.session.scalar(select(ChecklistTick))
        assert (row.item_key, row.state) == ("child-guardian", "na")
    body = door_client.hx_post(tick, {"ticked": "1"}).get_data(as_text=True)
    assert "gäller inte." not in body and "1 av 4 avbockade." in body
    with app.app_context():
        assert [t.state for t in db.session.scalars(select(ChecklistTick))] == ["done"]
    r = door_client.hx_post(f"/rooms/{slug}/checklists/dress/items/name-tag", {"ticked": "na"})
    assert r.status_code == 400
    with app.app_context():
        assert db.session.query(ChecklistTick).count() == 1


def test_a_desk_browsers_ticks_stay_in_the_browser(client, door_client, app):
    door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {})
    item = first_item(app)
    assert client.hx_post(f"/checklists/ending/items/{item}", {"ticked": "1"}).status_code == 200
    with app.app_context():
        assert db.session.query(ChecklistTick).count() == 0
    assert "Tillbaka till dörrskärmen" not in client.get("/checklists/ending").get_data(as_text=True)


def test_a_free_rooms_tablet_uses_its_own_browser_store(door_client, app):
    item = first_item(app)
    assert door_client.hx_post(f"/checklists/ending/items/{item}", {"ticked": "1"}).status_code == 200
    with app.app_context():
        assert db.session.query(ChecklistTick).count() == 0


def test_the_no_show_timer_of_a_room_runs_on_the_room_session(frozen_clock, door_client, app):
    slug = door_client.slug
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "urgent"})
    assert door_client.hx_post("/guides/no-show/start", {"now": "1"}).status_code == 200
    clock.advance(timedelta(minutes=5))
    r = door_client.hx_post("/guides/no-show/choose", {"step": "call", "choice": "no-answer"})
    assert r.status_code == 200
    with app.app_context():
        s = db.session.scalar(select(RoomSession))
        assert s.no_show_booked_at == clock.now() - timedelta(minutes=5)
        assert s.no_show_outcome == "no-answer"
    # The door's wrap-up then takes "the patient did not join" as its answer (issue 11).
    door_client.hx_post(f"/rooms/{slug}/end", {})
    html = door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)
    assert "Utfall enligt guiden: Patienten anslöt inte." in html and "Hur gick mötet?" not in html
    assert 'name="outcome" value="no-show">' in html.replace("\n", "")


def test_a_room_that_became_free_refuses_the_guide_clearly(door_client, app):
    slug = door_client.slug
    door_client.hx_post(f"/rooms/{slug}/check-in", {})
    door_client.hx_get("/guides/no-show")
    from kiosk.rooms import service
    from kiosk.rooms.service import Actor

    with app.app_context():
        service.cancel(door_client.room_id, Actor("test"))
    # The room is free now: the guide works in the browser's own store again.
    assert door_client.hx_post("/guides/no-show/start", {"now": "1"}).status_code == 200
