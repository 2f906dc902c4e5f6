"""Door tablets and the reception board in a real Chromium: pairing, a visit,
the board following it, a server that goes away and comes back, a clock moved
by two days, and every state checked by axe-core and the Nu checker."""

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from kiosk import clock
from kiosk.extensions import db
from kiosk.rooms import service
from kiosk.rooms.service import Actor
from tests.browser.helpers import FOLLOW_MS, POLL, SIGN_SV, check_page, code_for, pair_page

pytestmark = pytest.mark.browser


def test_a_visit_on_the_door_seen_on_the_board_and_a_server_that_goes_away(
        browser, fast_app, server, room, assert_valid_html):
    room_id, unit_id = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    expect(door.get_by_role("heading", level=1)).to_have_text("Videorum 1")
    expect(door.locator(".state-word")).to_have_text("Ledigt")
    expect(board.get_by_role("heading", level=1)).to_contain_text("Hudmottagningen")
    check_page(door, assert_valid_html, "door free")
    check_page(board, assert_valid_html, "board")

    door.evaluate("window.__stillTheSamePage = true")
    door.get_by_label("45 min").check()
    door.get_by_role("button", name="Checka in och förbered rummet").click()
    expect(door.get_by_text("0 av 13 klara")).to_be_visible()
    door.locator("#door-readiness > summary").click()  # the list is folded on the door (a sign first)
    first_item = door.locator("button.tick").first
    first_item.click()
    expect(door.get_by_text("1 av 13 klara")).to_be_visible()
    expect(door.locator("button.tick").first).to_have_attribute("aria-checked", "true")
    check_page(door, assert_valid_html, "door preparing")

    door.get_by_text("Hoppa över checklistan").click()
    door.get_by_role("button", name="Brådskande möte").click()
    expect(door.get_by_text(SIGN_SV)).to_be_visible()
    expect(door.get_by_text("Video meeting in progress - please do not disturb")).to_be_visible()
    check_page(door, assert_valid_html, "door meeting")

    # The board sees it within two poll intervals, without a reload.
    card = board.locator(".board-room", has_text="Videorum 1")
    expect(card.locator(".state-word")).to_have_text("Videomöte pågår", timeout=FOLLOW_MS)

    # The server goes away: the door says so and keeps the sign.
    server.stop()
    notice = door.locator("#offline-notice")
    expect(notice).to_be_visible(timeout=8000)
    expect(notice).to_contain_text("Ingen kontakt med servern sedan")
    expect(door.get_by_text(SIGN_SV)).to_be_visible()
    expect(board.locator("#offline-notice")).to_be_visible(timeout=8000)

    # While it is away the meeting ends (an admin, say); when it returns both recover by themselves.
    with fast_app.app_context():
        service.end_meeting(room_id, Actor("test"))
    server.start()
    expect(notice).to_be_hidden(timeout=8000)
    expect(door.locator(".state-word")).to_have_text("Upptaget – efterarbete", timeout=8000)
    expect(card.locator(".state-word")).to_have_text("Upptaget – efterarbete", timeout=8000)
    assert door.evaluate("window.__stillTheSamePage") is True
    door.watch.take()  # the outage's own network errors were expected
    check_page(door, assert_valid_html, "door wrap-up")

    door.get_by_role("button", name="Mötet genomfördes").click()
    expect(door.locator(".state-word")).to_have_text("Ledigt")
    expect(card.locator(".state-word")).to_have_text("Ledigt", timeout=FOLLOW_MS)
    # The server's own messages: nothing went to the console but the expected network failures.
    door.watch.take()
    board.watch.take()
    door.context.close()
    board.context.close()


def test_every_door_state_in_english_passes_axe_and_nu(browser, fast_app, server, room, assert_valid_html):
    room_id, _unit = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id), lang="en")
    steps = [
        ("free", None),
        ("preparing", lambda: service.check_in(room_id, Actor("test"))),
        ("meeting", lambda: service.start_meeting(room_id, Actor("test"), skip_reason="urgent")),
        ("wrapup", lambda: service.end_meeting(room_id, Actor("test"))),
    ]
    for name, step in steps:
        if step:
            with fast_app.app_context():
                step()
        door.reload()
        expect(door.locator(f"#door-panel.door-{name}")).to_be_visible()  # in a meeting the sign, no state box
        assert door.locator("html").get_attribute("lang") == "en"
        check_page(door, assert_valid_html, f"door {name} (en)")
    door.context.close()


def test_the_door_survives_two_days_and_still_checks_in(browser, fast_app, server, room):
    room_id, _unit = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    expect(door.locator(".state-word")).to_have_text("Ledigt")
    clock.advance(timedelta(hours=48))
    time.sleep(POLL * 2)
    door.get_by_role("button", name="Checka in och förbered rummet").click()
    expect(door.get_by_text("Checklista innan mötet")).to_be_visible()
    with fast_app.app_context():
        assert service.open_session(room_id).state == "preparing"
    door.context.close()


def test_a_revoked_door_tablet_shows_it_at_once(browser, fast_app, server, room):
    from kiosk.models import Tablet
    from kiosk.rooms import pairing

    room_id, _unit = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    expect(door.locator(".state-word")).to_have_text("Ledigt")
    with fast_app.app_context():
        pairing.revoke(db.session.query(Tablet.id).scalar(), actor="admin:test")
    expect(door.get_by_role("heading", name="Surfplattan är avkopplad")).to_be_visible(timeout=5000)
    door.context.close()
