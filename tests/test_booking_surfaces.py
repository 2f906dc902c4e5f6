"""Bookings where people meet them (issue 13): the door's day, the board's
timelines and booking forms, check-in from reception, the staff and admin pages.
Route tests: full page, htmx fragment, bad input, another unit's room (403),
overlap (409 with its message), the past (400)."""

import re
from datetime import datetime, timedelta

import pytest

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Booking, Room
from kiosk.rooms.service import Actor

DAY = "2026-11-26"  # FROZEN_AT is 10:00 in Sweden that day
RECEPTION = Actor("board:test")


def at(hhmm: str, day: str = DAY) -> datetime:
    return bookings.parse_local(day, hhmm)


def book(app, room_id: int, start: str, end: str, day: str = DAY, **kw) -> int:
    with app.app_context():
        return bookings.create(room_id, RECEPTION, at(start, day), at(end, day), **kw).id


def door_poll_version(html: str) -> str:
    return re.search(r'/door/poll\?v=([^"&]+)', html).group(1)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# ---- the door's day ------------------------------------------------------------------


def test_the_door_says_free_for_the_rest_of_the_day(frozen_clock, app, door_client):
    html = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    assert "Ledigt resten av dagen" in text_of(html)
    assert "Nästa bokning" not in html


def test_the_door_says_until_when_then_booked_15_minutes_before(frozen_clock, app, door_client):
    book(app, door_client.room_id, "14:00", "14:30")
    clock.freeze(at("13:30"))
    html = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    words = text_of(html)
    assert "Ledigt till 14.00" in words and "Nästa bokning 14.00–14.30" in words
    assert "Bokat 14.00–14.30" not in words
    v = door_poll_version(html)
    clock.freeze(at("13:44"))
    assert door_client.hx_get(f"/rooms/{door_client.slug}/door/poll?v={v}").status_code == 204
    clock.freeze(at("13:50"))
    r = door_client.hx_get(f"/rooms/{door_client.slug}/door/poll?v={v}")
    assert r.status_code == 200
    words = text_of(r.get_data(as_text=True))
    assert "Bokat 14.00–14.30" in words and "Ledigt till" not in words
    assert "<html" not in r.get_data(as_text=True)


def test_the_door_in_english_and_a_later_booking(frozen_clock, app, door_client):
    book(app, door_client.room_id, "10:30", "11:00")
    book(app, door_client.room_id, "15:00", "15:45")
    clock.freeze(at("10:20"))
    words = text_of(door_client.get(f"/rooms/{door_client.slug}/door?lang=en").get_data(as_text=True))
    assert "Booked 10:30–11:00" in words and "Next booking 15:00–15:45" in words


def test_the_door_shows_an_ad_hoc_limit_near_the_next_booking(frozen_clock, app, door_client):
    book(app, door_client.room_id, "11:00", "11:30")
    clock.freeze(at("10:20"))
    words = text_of(door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True))
    assert "Ledigt till 11.00" in words and "Du kan använda det fram till dess" in words


def test_the_door_follows_a_new_day(frozen_clock, app, door_client):
    book(app, door_client.room_id, "09:00", "09:30", day="2026-11-27")
    clock.freeze(at("23:50"))
    html = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    assert "Ledigt resten av dagen" in text_of(html)
    v = door_poll_version(html)
    clock.freeze(at("00:05", "2026-11-27"))
    r = door_client.hx_get(f"/rooms/{door_client.slug}/door/poll?v={v}")
    assert r.status_code == 200 and "Ledigt till 09.00" in text_of(r.get_data(as_text=True))
