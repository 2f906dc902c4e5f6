"""The console through a clinic's day: visit after visit on the same browser,
the door deciding who runs the visit (disconnect, a new code, the knock), an
end that takes intent, and the console's write limits."""

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Booking, DeviceCheck, Room, RoomSession
from kiosk.rooms import pairing, service

DAY = "2026-11-26"  # FROZEN_AT is 10:00 in Sweden that day


def door_code(html: str) -> str:
    return re.search(r'class="console-code-value">.*?<strong>([A-Z0-9]{3}-[A-Z0-9]{3})</strong>', html, re.S).group(1)


def check_in(door_client) -> str:
    """Check in at the door; the code the door shows."""
    return door_code(door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {"minutes": "30"})
                     .get_data(as_text=True))


def claim(client, code: str):
    r = client.form_post("/console", {"code": code})
    assert r.status_code == 303, r.get_data(as_text=True)
    return r


def state(app, room_id):
    with app.app_context():
        session = db.session.scalar(select(RoomSession).where(RoomSession.room_id == room_id,
                                                              RoomSession.ended_at.is_(None)))
        return session.state if session else "free"


def count(app, model, **where):
    with app.app_context():
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query)


@pytest.fixture
def console_client(app, door_client):
    client = app.test_client()
    claim(client, check_in(door_client))
    client.slug, client.room_id = door_client.slug, door_client.room_id
    return client


def test_one_browser_serves_visit_after_visit(app, door_client):
    computer = app.test_client()
    slug = door_client.slug
    for visit in range(3):
        code = check_in(door_client)
        if visit:
            # The ended console offers the claim form, filled from the QR's code, and drops the old binding.
            r = computer.get(f"/console?code={code}")
            html = r.get_data(as_text=True)
            assert r.status_code == 200 and f'value="{code}"' in html and 'id="claim-code"' in html
            assert "kiosk_console=;" in r.headers.get("Set-Cookie", "")
        claim(computer, code)
        assert computer.get("/console").headers["Location"].endswith(f"/rooms/{slug}/console")
        computer.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
        computer.hx_post(f"/rooms/{slug}/console/end", {"confirmed": "yes"})
        html = computer.hx_post(f"/rooms/{slug}/console/finish",
                                {"outcome": "held", "anyway": "yes"}).get_data(as_text=True)
        assert state(app, door_client.room_id) == "free"
        assert "Besöket är avslutat" in html and 'id="claim-code"' in html  # the next visit's form, at once


def test_a_computer_paired_for_good_follows_its_room(app, door_client):
    computer = app.test_client()
    with app.app_context():
        room = db.session.get(Room, door_client.room_id)
        code = pairing.new_code("console", room.unit, room, actor="test")
    assert computer.form_post("/pair", {"code": code}).status_code == 303
    slug = door_client.slug
    for _ in range(3):
        html = computer.hx_post(f"/rooms/{slug}/console/check-in", {"minutes": "30"}).get_data(as_text=True)
        assert "Checklista innan mötet" in html
        computer.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
        computer.hx_post(f"/rooms/{slug}/console/end", {"confirmed": "yes"})
        computer.hx_post(f"/rooms/{slug}/console/finish", {"outcome": "held", "anyway": "yes"})
        assert state(app, door_client.room_id) == "free"


def test_the_door_disconnects_a_passer_by_and_the_clinician_claims_anew(app, door_client):
    slug = door_client.slug
    phone, computer = app.test_client(), app.test_client()
    claim(phone, check_in(door_client))
    door = door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)
    assert re.search(r"Besöket körs från en konsol sedan \d\d\.\d\d", door)
    assert 'id="door-confirm-disconnect"' in door and f'action="/rooms/{slug}/console-disconnect"' in door
    html = door_client.hx_post(f"/rooms/{slug}/console-disconnect", {}).get_data(as_text=True)
    fresh = door_code(html)
    claim(computer, fresh)
    # The phone's next poll and its next action: the page that says it was disconnected.
    for r in (phone.hx_get(f"/rooms/{slug}/console/poll?v=x"), phone.hx_post(f"/rooms/{slug}/console/cancel", {}),
              phone.get(f"/rooms/{slug}/console")):
        assert r.status_code == 403 and "Konsolen är bortkopplad" in r.get_data(as_text=True)
    assert phone.hx_get(f"/rooms/{slug}/console/poll?v=x").headers.get("HX-Refresh") == "true"
    assert state(app, door_client.room_id) == "preparing"
    assert computer.get(f"/rooms/{slug}/console").status_code == 200


def test_a_new_code_ends_every_earlier_binding(app, door_client, console_client):
    slug = door_client.slug
    door_code(door_client.hx_post(f"/rooms/{slug}/console-code", {}).get_data(as_text=True))
    r = console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    assert r.status_code == 403 and state(app, door_client.room_id) == "preparing"


@pytest.mark.parametrize("step,data", [("extend", {}), ("end", {}), ("cancel", {}), ("skip", {"reason": "urgent"}),
                                       ("finish", {"outcome": "held"}), ("start", {}),
                                       ("checklists/environment/items/private-room", {"ticked": "1"}),
                                       ("checklists/identity/reset", {})])
def test_with_a_console_the_door_changes_nothing_of_the_visit(app, door_client, console_client, step, data):
    slug = door_client.slug
    if step in ("extend", "end", "finish"):
        console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    if step == "finish":
        console_client.hx_post(f"/rooms/{slug}/console/end", {"confirmed": "yes"})
    before = state(app, door_client.room_id)
    page = door_client.get(f"/rooms/{slug}/door").get_data(as_text=True)
    assert f'action="/rooms/{slug}/{step}"' not in page
    r = door_client.hx_post(f"/rooms/{slug}/{step}", data)
    assert r.status_code == 409 and "Besöket körs från konsolen" in r.get_data(as_text=True)
    assert state(app, door_client.room_id) == before


def test_without_a_console_the_door_keeps_its_controls(app, door_client):
    slug = door_client.slug
    check_in(door_client)
    assert door_client.hx_post(f"/rooms/{slug}/knock", {}).status_code == 409
    html = door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "urgent"}).get_data(as_text=True)
    assert f'action="/rooms/{slug}/end"' in html and 'id="door-knock"' not in html
    assert door_client.hx_post(f"/rooms/{slug}/end", {}).status_code == 200


def test_a_knock_reaches_the_console_within_one_poll_and_one_tap_clears_it(app, door_client, console_client):
    slug = door_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    html = console_client.get(f"/rooms/{slug}/console").get_data(as_text=True)
    v = re.search(r'/console/poll\?v=([^"&]+)', html).group(1)
    assert console_client.hx_get(f"/rooms/{slug}/console/poll?v={v}").status_code == 204
    door = door_client.hx_post(f"/rooms/{slug}/knock", {}).get_data(as_text=True)
    assert 'id="door-knock-sent"' in door
    r = console_client.hx_get(f"/rooms/{slug}/console/poll?v={v}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="knock-notice"' in html and 'aria-live="polite"' in html
    assert "Någon väntar vid dörren (knackade" in html and "autofocus" not in html
    html = console_client.hx_post(f"/rooms/{slug}/console/knock-seen", {}).get_data(as_text=True)
    assert 'id="knock-notice"' not in html and state(app, door_client.room_id) == "meeting"


def test_the_console_ends_only_when_confirmed(app, console_client):
    slug = console_client.slug
    html = console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"}).get_data(as_text=True)
    assert 'id="console-confirm-end"' in html and 'name="confirmed" value="yes"' in html
    r = console_client.hx_post(f"/rooms/{slug}/console/end", {})
    assert r.status_code == 400 and "Bekräfta först" in r.get_data(as_text=True)
    assert state(app, console_client.room_id) == "meeting"
    assert console_client.hx_post(f"/rooms/{slug}/console/end", {"confirmed": "yes"}).status_code == 200
    assert state(app, console_client.room_id) == "wrapup"


def test_a_stranger_learns_nothing_from_the_end_form(app, console_client):
    assert app.test_client().hx_post(f"/rooms/{console_client.slug}/console/end", {}).status_code == 403


def test_two_console_cookies_are_refused(app, console_client):
    token = console_client.get_cookie("kiosk_console").value
    other = app.test_client(use_cookies=False)  # the header as written
    r = other.get(f"/rooms/{console_client.slug}/console",
                  headers={"Cookie": f"kiosk_console={token}; kiosk_console=planted"})
    assert r.status_code == 403
    r = other.get(f"/rooms/{console_client.slug}/console", headers={"Cookie": f"kiosk_console={token}"})
    assert r.status_code == 200


def test_the_consoles_eleventh_booking_gets_429_and_writes_nothing(app, frozen_clock, console_client):
    url = f"/rooms/{console_client.slug}/console/bookings"
    most = int(app.config["STAFF_BOOKING_LIMIT_PER_HOUR"])
    for n in range(most):
        start = clock.wall(clock.today(), time(11)) + timedelta(minutes=15 * n)
        hhmm = clock.local(start).strftime("%H:%M")
        end = clock.local(start + timedelta(minutes=15)).strftime("%H:%M")
        assert console_client.hx_post(url, {"day": DAY, "start": hhmm, "end": end}).status_code == 200
    r = console_client.hx_post(url, {"day": DAY, "start": "16:00", "end": "16:15"})
    assert r.status_code == 429 and "För många ändringar från konsolen" in r.get_data(as_text=True)
    assert count(app, Booking) == most


def test_the_console_books_no_further_ahead_than_the_pages_show(app, frozen_clock, console_client):
    url = f"/rooms/{console_client.slug}/console/bookings"
    last = (clock.today() + timedelta(days=14)).isoformat()
    beyond = (clock.today() + timedelta(days=15)).isoformat()
    r = console_client.hx_post(url, {"day": beyond, "start": "10:00", "end": "10:30"})
    assert r.status_code == 400 and "högst 14 dagar framåt" in r.get_data(as_text=True)
    assert count(app, Booking) == 0
    assert console_client.hx_post(url, {"day": last, "start": "10:00", "end": "10:30"}).status_code == 200
    assert count(app, Booking) == 1


def test_a_room_records_one_device_check_a_minute(app, frozen_clock, console_client):
    data = {"camera": "ok", "microphone": "ok", "sound": "ok"}
    assert console_client.form_post("/check/devices/result", data).status_code == 303
    r = console_client.form_post("/check/devices/result", data)
    assert r.status_code == 429 and "mindre än en minut sedan" in r.get_data(as_text=True)
    assert count(app, DeviceCheck) == 1
    clock.advance(timedelta(seconds=61))
    assert console_client.form_post("/check/devices/result", data).status_code == 303
    assert count(app, DeviceCheck) == 2


def test_over_https_the_console_and_device_cookies_are_host_cookies(app, door_client, pair):
    code = check_in(door_client)
    secure = app.test_client()
    r = secure.post("/console", data={"code": code}, base_url="https://localhost",
                    headers={"Sec-Fetch-Site": "same-origin"})
    if r.status_code == 400:  # the CSRF token: take the form's
        html = secure.get("/console", base_url="https://localhost").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        r = secure.post("/console", data={"code": code, "csrf_token": token}, base_url="https://localhost",
                        headers={"Referer": "https://localhost/console"})
    cookie = r.headers.get("Set-Cookie", "")
    assert r.status_code == 303 and cookie.startswith("__Host-kiosk_console=") and "Secure" in cookie
    assert secure.get(f"/rooms/{door_client.slug}/console", base_url="https://localhost").status_code == 200
    # The plain name over https is not the console's cookie.
    value = cookie.split(";")[0].split("=", 1)[1]
    plain = app.test_client(use_cookies=False)
    r = plain.get(f"/rooms/{door_client.slug}/console", base_url="https://localhost",
                  headers={"Cookie": f"kiosk_console={value}"})
    assert r.status_code == 403


def test_two_device_cookies_are_refused(app, door_client):
    token = door_client.get_cookie("kiosk_device").value
    other = app.test_client(use_cookies=False)  # the header as written
    headers = {"Cookie": f"kiosk_device={token}; kiosk_device=planted"}
    assert other.get(f"/rooms/{door_client.slug}/door", headers=headers).status_code == 403
    assert other.get(f"/rooms/{door_client.slug}/door/poll?v=x", headers=headers,
                     environ_base={"HTTP_HX_REQUEST": "true"}).status_code == 403
    assert other.get(f"/rooms/{door_client.slug}/door", headers={"Cookie": f"kiosk_device={token}"}).status_code == 200


def test_a_visits_claims_have_a_failure_budget_until_the_door_shows_a_new_code(app, door_client):
    slug = door_client.slug
    used = check_in(door_client)
    claim(app.test_client(), used)
    most = int(app.config["CONSOLE_CLAIM_FAILURES_PER_VISIT"])
    for _ in range(most):  # fewer tries than the address limit allows: the visit's budget bites first
        assert app.test_client().form_post("/console", {"code": used}).status_code == 400
    r = app.test_client().form_post("/console", {"code": used})
    assert r.status_code == 429 and "För många misslyckade försök" in r.get_data(as_text=True)
    fresh = door_code(door_client.hx_post(f"/rooms/{slug}/console-disconnect", {}).get_data(as_text=True))
    assert app.test_client().form_post("/console", {"code": fresh}).status_code == 303


def test_finishing_a_wrap_up_with_nothing_ticked_asks_once(app, console_client):
    slug = console_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    console_client.hx_post(f"/rooms/{slug}/console/end", {"confirmed": "yes"})
    html = console_client.hx_post(f"/rooms/{slug}/console/finish", {"outcome": "held"}).get_data(as_text=True)
    assert 'id="wrapup-unticked"' in html and 'name="anyway" value="yes"' in html
    assert state(app, console_client.room_id) == "wrapup"
    console_client.hx_post(f"/rooms/{slug}/console/finish", {"outcome": "held", "anyway": "yes"})
    assert state(app, console_client.room_id) == "free"


def test_a_wrap_up_with_a_tick_finishes_at_once(app, console_client):
    slug = console_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    console_client.hx_post(f"/rooms/{slug}/console/end", {"confirmed": "yes"})
    assert console_client.hx_post(f"/rooms/{slug}/console/checklists/ending/items/journal",
                                  {"ticked": "1"}).status_code == 200
    console_client.hx_post(f"/rooms/{slug}/console/finish", {"outcome": "held"})
    assert state(app, console_client.room_id) == "free"


def test_the_no_show_countdown_shows_on_the_consoles_main_page_while_it_runs(app, frozen_clock, console_client):
    slug = console_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    html = console_client.get(f"/rooms/{slug}/console").get_data(as_text=True)
    assert 'id="console-countdown"' not in html
    with app.app_context():
        service.record_no_show(console_client.room_id, service.Actor("test"),
                               booked_at=clock.now() - timedelta(seconds=80))
    html = console_client.get(f"/rooms/{slug}/console").get_data(as_text=True)
    with app.test_request_context():
        from kiosk.i18n import local_time

        call_at = local_time(clock.now() + timedelta(seconds=220))
    assert 'id="console-countdown"' in html and 'data-seconds-left="220"' in html
    assert f"Nedräkning</a> <span" in html and f">3.40</span> – ring upp {call_at}" in html
    english = console_client.get(f"/rooms/{slug}/console?lang=en").get_data(as_text=True)
    with app.test_request_context("/?lang=en"):
        call_at_en = local_time(clock.now() + timedelta(seconds=220))
    assert f"Countdown</a> <span" in english and f">3:40</span> – call the patient at {call_at_en}" in english
    console_client.get(f"/rooms/{slug}/console?lang=sv")
    v = re.search(r'/console/poll\?v=([^"&]+)', html).group(1)
    assert console_client.hx_get(f"/rooms/{slug}/console/poll?v={v}").status_code == 204
    clock.advance(timedelta(seconds=221))  # time to call: the panel changes without a write
    r = console_client.hx_get(f"/rooms/{slug}/console/poll?v={v}")
    assert r.status_code == 200 and 'id="console-countdown"' not in r.get_data(as_text=True)


TEACH_BACK = ("summarise", "understood", "more-questions", "save-attachments", "evaluation")


def test_a_no_shows_wrap_up_asks_only_the_journal_note_and_a_new_time(app, console_client):
    slug = console_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    with app.app_context():  # the no-show guide ran to its end: the patient did not join
        service.record_no_show(console_client.room_id, service.Actor("test"), choice="no-answer")
        service.record_no_show(console_client.room_id, service.Actor("test"), result="no-show")
    html = console_client.hx_post(f"/rooms/{slug}/console/end", {"confirmed": "yes"}).get_data(as_text=True)
    assert 'id="tick-ending-journal"' in html and 'id="tick-ending-new-time"' in html
    assert "Boka om mötet vid behov" in html and "0 av 2 avbockade." in html
    assert 'id="na-ending-new-time"' in html  # "vid behov": it may not apply
    for item in TEACH_BACK:
        assert f'id="tick-ending-{item}"' not in html
    # A tick answers with the item and the progress of what is asked.
    body = console_client.hx_post(f"/rooms/{slug}/console/checklists/ending/items/new-time",
                                  {"ticked": "1"}).get_data(as_text=True)
    assert 'id="item-ending-new-time"' in body and "1 av 2 avbockade." in body
    english = console_client.get(f"/rooms/{slug}/console?lang=en").get_data(as_text=True)
    assert "Rebook the meeting when needed" in english and 'id="tick-ending-summarise"' not in english
    console_client.get(f"/rooms/{slug}/console?lang=sv")
    console_client.hx_post(f"/rooms/{slug}/console/finish", {"outcome": "no-show"})  # a tick: at once
    assert state(app, console_client.room_id) == "free"


def test_a_held_meetings_wrap_up_asks_the_teach_back_and_no_new_time(app, console_client):
    slug = console_client.slug
    console_client.hx_post(f"/rooms/{slug}/console/skip", {"reason": "urgent"})
    html = console_client.hx_post(f"/rooms/{slug}/console/end", {"confirmed": "yes"}).get_data(as_text=True)
    for item in (*TEACH_BACK, "journal"):
        assert f'id="tick-ending-{item}"' in html
    assert 'id="tick-ending-new-time"' not in html and "0 av 6 avbockade." in html


def test_the_doors_own_wrap_up_lists_what_applies_to_a_no_show(app, door_client):
    slug = door_client.slug
    check_in(door_client)
    door_client.hx_post(f"/rooms/{slug}/skip", {"reason": "urgent"})
    with app.app_context():
        service.record_no_show(door_client.room_id, service.Actor("test"), result="no-show")
    html = door_client.hx_post(f"/rooms/{slug}/end", {}).get_data(as_text=True)
    items = re.search(r'<ul class="wrapup-items">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", items) == ["Journalför mötet", "Boka om mötet vid behov"]
