"""Room health (issue 15): faults reported from the door and the console,
shown on the door and the board, fixed in admin; device checks kept per room;
their statistics."""

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Event, RoomFault


def test_smoke_report_from_door(door_client, app, frozen_clock):
    r = door_client.hx_post(f"/rooms/{door_client.slug}/fault", {"kind": "camera", "text": "Bilden fryser"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html
    assert "Fel anmält: kamera (sedan" in html, html
