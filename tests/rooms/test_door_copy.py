"""The door's words in each state of a visit: what has lasted how long."""

from __future__ import annotations

from datetime import timedelta

from kiosk.rooms import service
from kiosk.rooms.service import Actor


def test_wrap_up_says_since_when_and_never_pagatt_0_min(door_client, app, frozen_clock):
    slug, room_id = door_client.slug, door_client.room_id
    with app.app_context():
        service.check_in(room_id, Actor("test"))
    frozen_clock.advance(timedelta(minutes=3))
    preparing = door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)
    assert "Pågått 3 min" in preparing  # time since check-in, while the room is prepared
    with app.app_context():
        service.start_meeting(room_id, Actor("test"), skip_reason="urgent")
    frozen_clock.advance(timedelta(minutes=30))
    with app.app_context():
        service.end_meeting(room_id, Actor("test"))
    wrapup = door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)
    assert "door-wrapup" in wrapup and "Sedan " in wrapup
    assert "Pågått" not in wrapup and 'class="elapsed"' not in wrapup
