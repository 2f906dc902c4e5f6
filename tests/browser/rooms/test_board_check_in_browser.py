"""The board's own check-in in Chromium on a moved clock (a weekday morning;
the unit is open 08.30-16.30 every day): checked in, undone within the
seconds allowed, checked in again, the undo gone when its time runs out and
the check-in cancelled (asked first) by keyboard; a room without a door tablet
shows the visit's console code; a booking outside the hours refused beside its
form with the focus on it; axe-core and the Nu checker on each new state in
Swedish and English."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Booking, ConsoleCode, Room, RoomSession, Unit
from tests.browser.helpers import check_page, code_for, pair_page

pytestmark = pytest.mark.browser

DAY = "2026-12-03"  # a Thursday
HOURS = ";".join(["08:30-16:30"] * 7)


def at(hhmm: str):
    return bookings.parse_local(DAY, hhmm)


def unit_with_rooms(app) -> tuple[int, int, int]:
    """A unit open 08.30-16.30 with Videorum 1 (a door tablet) and Videorum 2 (none): (unit, room 1, room 2)."""
    with app.app_context():
        unit = Unit(name="Hudmottagningen", slug="hud", opening_hours=HOURS)
        with_door = Room(unit=unit, name="Videorum 1", slug="videorum-1")
        without = Room(unit=unit, name="Videorum 2", slug="videorum-2")
        db.session.add_all([unit, with_door, without])
        db.session.commit()
        ids = unit.id, with_door.id, without.id
    door = app.test_client()
    assert door.form_post("/pair", {"code": code_for(app, room_id=ids[1])}).status_code == 303
    return ids


def open_session(app, room_id: int):
    with app.app_context():
        return db.session.scalar(select(RoomSession.id).where(RoomSession.room_id == room_id,
                                                              RoomSession.ended_at.is_(None)))


def test_check_in_undo_again_and_cancel_from_the_board(browser, fast_app, server, assert_valid_html):
    clock.freeze(at("08:40"))
    unit_id, room_id, _ = unit_with_rooms(fast_app)
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    board.set_viewport_size({"width": 1280, "height": 800})
    board.get_by_role("link", name="Videorum 1").click()

    board.get_by_role("button", name="Checka in i rummet").click()
    undo = board.get_by_role("button", name="Ångra incheckningen")
    expect(undo).to_be_focused()
    expect(undo).to_be_in_viewport()
    expect(board.locator(".check-in-undo")).to_contain_text("Incheckad 08.40 härifrån")
    assert open_session(fast_app, room_id) is not None
    check_page(board, assert_valid_html, "board room page: a check-in that can be undone")

    # Undone within the seconds allowed: one key, the room free, said where the focus is.
    undo.press("Enter")
    notice = board.locator("#check-in-notice")
    expect(notice).to_have_text("Incheckningen är ångrad. Rummet är ledigt.")
    expect(notice).to_be_focused()
    assert open_session(fast_app, room_id) is None
    board.watch.take()

    # Checked in again a minute later; the undo goes when its seconds are over, its focus to the heading.
    clock.freeze(at("08:41"))
    board.reload()  # the page's own clock follows the moved server clock
    board.get_by_role("button", name="Checka in i rummet").click()
    expect(undo).to_be_focused()
    expect(undo).to_be_hidden(timeout=15_000)
    expect(board.locator("#session-title")).to_be_focused()
    clock.freeze(at("08:41") + timedelta(seconds=11))

    # Cancelled by keyboard: the question first, then the answer.
    board.keyboard.press("Tab")
    expect(board.locator("#check-in-cancel summary")).to_be_focused()
    board.keyboard.press("Enter")
    confirm = board.get_by_role("button", name="Ja, avbryt incheckningen")
    expect(confirm).to_be_visible()
    expect(board.locator("#check-in-cancel")).to_contain_text("Avbryta incheckningen 08.41?")
    check_page(board, assert_valid_html, "board room page: cancelling a check-in")
    board.keyboard.press("Tab")
    expect(confirm).to_be_focused()
    board.keyboard.press("Enter")
    expect(board.locator("#check-in-notice")).to_have_text("Incheckningen är avbruten. Rummet är ledigt.")
    assert open_session(fast_app, room_id) is None

    # English: the undo's state is accessible and valid too.
    clock.freeze(at("08:45"))
    board.goto(board.url.split("?")[0] + "?lang=en")
    board.get_by_role("button", name="Check in to the room").click()
    expect(board.get_by_role("button", name="Undo the check-in")).to_be_focused()
    check_page(board, assert_valid_html, "board room page in English: a check-in that can be undone")
    board.context.close()


def test_a_room_without_a_door_shows_the_console_code(browser, fast_app, server, assert_valid_html):
    clock.freeze(at("09:00"))
    unit_id, _, room_id = unit_with_rooms(fast_app)
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    board.get_by_role("link", name="Videorum 2").click()
    board.get_by_role("button", name="Checka in i rummet").click()
    expect(board.get_by_role("button", name="Ångra incheckningen")).to_be_focused()
    with fast_app.app_context():
        code = db.session.scalar(select(ConsoleCode.code).where(ConsoleCode.room_id == room_id))
    section = board.locator(".console-code")
    expect(section).to_contain_text(f"{code[:3]}-{code[3:]}")
    expect(section).to_contain_text("Koden gäller till 09.05 och fungerar en gång.")
    expect(board.get_by_text("Rummet har ingen dörrskärm")).to_be_visible()
    check_page(board, assert_valid_html, "board room page: a room without a door, its console code")
    board.goto(board.url.split("?")[0] + "?lang=en")
    expect(board.locator(".console-code")).to_contain_text(f"Code: {code[:3]}-{code[3:]}")
    check_page(board, assert_valid_html, "board room page in English: the console code")
    # Videorum 1 has a door: its code stays on the door.
    board.goto(board.url.replace("videorum-2", "videorum-1").split("?")[0] + "?lang=sv")
    board.get_by_role("button", name="Checka in i rummet").click()
    expect(board.get_by_role("button", name="Ångra incheckningen")).to_be_visible()
    expect(board.locator(".console-code")).to_have_count(0)
    board.context.close()


def test_a_closed_slot_is_refused_with_its_message_in_view(browser, fast_app, server, assert_valid_html):
    clock.freeze(at("08:35"))
    unit_id, room_id, _ = unit_with_rooms(fast_app)
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    board.set_viewport_size({"width": 1280, "height": 800})
    board.get_by_role("link", name="Videorum 1").click()
    closed = board.locator(".plan-cell.is-closed")
    expect(closed).to_have_count(4)  # 08.00, 08.15, 16.30, 16.45
    expect(closed.first).to_have_text(re.compile(r"08\.00\s+stängt"))
    check_page(board, assert_valid_html, "board room page: closed quarters")

    # The plan: the last quarter with an hour's length runs past the closing.
    board.locator(".plan-cell", has_text="16.15").click()
    board.locator(".plan-length").get_by_text("60 min").click()
    board.get_by_role("button", name="Boka vald tid").click()
    refusal = board.locator("#plan-error")
    expect(refusal).to_contain_text("Enheten har öppet 08.30–16.30 den dagen")
    expect(refusal).to_have_attribute("role", "alert")
    expect(refusal).to_be_focused()
    expect(refusal).to_be_in_viewport()
    board.watch.take()  # the 409 is expected

    # The typed form, by keyboard: after the closing, refused beside it.
    board.locator("details.book-typed summary").click()
    board.locator("#book-start").fill("16:30")
    board.locator("#book-end").fill("17:00")
    board.locator("#book-end").press("Enter")
    refusal = board.locator("#book-error")
    expect(refusal).to_contain_text("Enheten har öppet 08.30–16.30 den dagen")
    expect(refusal).to_be_focused()
    expect(refusal).to_be_in_viewport()
    board.watch.take()
    from tests.browser_support import assert_accessible
    assert_accessible(board, "board room page: a closed time refused")
    with fast_app.app_context():
        assert db.session.query(Booking).filter_by(room_id=room_id).count() == 0

    board.goto(board.url.split("?")[0] + "?lang=en")
    expect(board.locator(".plan-cell.is-closed").first).to_have_text(re.compile(r"08:00\s+closed"))
    board.locator(".plan-cell", has_text="16:15").click()
    board.locator(".plan-length").get_by_text("60 min").click()
    board.get_by_role("button", name="Book the chosen time").click()
    expect(board.locator("#plan-error")).to_contain_text("The unit is open 08:30–16:30 on that day")
    expect(board.locator("#plan-error")).to_be_focused()
    board.watch.take()
    assert_accessible(board, "board room page in English: a closed time refused")
    check_page(board, assert_valid_html, "board room page in English: closed quarters")
    board.context.close()
