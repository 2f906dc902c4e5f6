"""The day plan in Chromium on a moved clock (a weekday morning; the unit is
open 08-17 every day, so the weekday does not matter): a quarter booked by a
tap and by the keyboard, an overlap said beside the form with the focus on it
and inside the viewport, the plan above the fold at 1280x800 and without
sideways scrolling at 320 px, axe-core and the Nu checker in both languages;
the board card's warning at start + 1 min and its release notice at start + 10."""

import time

import pytest
from playwright.sync_api import expect

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Booking, Room, Unit
from kiosk.rooms.service import Actor
from tests.browser.helpers import FOLLOW_MS, POLL, check_page, code_for, pair_page

pytestmark = pytest.mark.browser

DAY = "2026-12-03"
EVERY_DAY = ";".join(["08:00-17:00"] * 7)


def at(hhmm: str):
    return bookings.parse_local(DAY, hhmm)


def unit_with_room(app) -> tuple[int, int]:
    with app.app_context():
        unit = Unit(name="Hudmottagningen", slug="hud", opening_hours=EVERY_DAY)
        room = Room(unit=unit, name="Videorum 1", slug="videorum-1")
        db.session.add_all([unit, room])
        db.session.commit()
        return unit.id, room.id


def starts(app, room_id: int) -> list[str]:
    with app.app_context():
        return sorted(clock.local(b.starts_at).strftime("%H:%M") + "-" + clock.local(b.ends_at).strftime("%H:%M")
                      for b in db.session.query(Booking).filter_by(room_id=room_id, status="booked"))


def test_book_from_the_plan_by_tap_and_by_keyboard(browser, fast_app, server, assert_valid_html):
    clock.freeze(at("08:20"))
    unit_id, room_id = unit_with_room(fast_app)
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    board.set_viewport_size({"width": 1280, "height": 800})
    board.get_by_role("link", name="Videorum 1").click()
    expect(board.locator(".plan-cell")).to_have_count(36)
    # Today's plan and its button above the fold at 1280x800.
    for what in (".plan-grid", "#plan-book"):
        box = board.locator(what).bounding_box()
        assert box["y"] + box["height"] <= 800, (what, box)
    check_page(board, assert_valid_html, "board room page: the day plan")

    # A tap: the quarter, a length, Boka.
    board.locator(".plan-cell", has_text="09.00").click()
    board.locator(".plan-length").get_by_text("45 min").click()
    board.get_by_role("button", name="Boka vald tid").click()
    expect(board.locator(".day-booking")).to_contain_text("Bokat 09.00–09.45")
    assert starts(fast_app, room_id) == ["09:00-09:45"]

    # The keyboard: Tab into the quarters (one radio group), arrows to choose, Tab on, Enter.
    board.locator("#plan-day").focus()
    for _ in range(6):
        board.keyboard.press("Tab")
        if board.evaluate("document.activeElement.name") == "start":
            break
    assert board.evaluate("document.activeElement.name") == "start"
    first = board.evaluate("document.activeElement.value")
    board.keyboard.press("ArrowRight")
    chosen = board.evaluate("document.activeElement.value")
    assert (first, chosen) == ("08:30", "08:45") and board.evaluate("document.activeElement.checked")
    board.keyboard.press("Tab")  # into the lengths: 30 min is chosen
    assert board.evaluate("document.activeElement.name") == "minutes"
    board.keyboard.press("ArrowLeft")  # 15 min
    assert board.evaluate("document.activeElement.value") == "15"
    board.locator("#plan-book").focus()
    board.keyboard.press("Enter")
    expect(board.locator(".day-booking")).to_have_count(2)
    assert starts(fast_app, room_id) == ["08:45-09:00", "09:00-09:45"]

    # An overlap: the reason beside the button, announced, with the focus, in the viewport.
    board.locator(".plan-cell", has_text="08.30").click()
    board.locator(".plan-length").get_by_text("30 min").click()
    board.get_by_role("button", name="Boka vald tid").click()
    refusal = board.locator("#plan-error")
    expect(refusal).to_contain_text("Rummet är redan bokat 08.45–09.00")
    expect(refusal).to_have_attribute("role", "alert")
    expect(refusal).to_be_focused()
    expect(refusal).to_be_in_viewport()
    board.watch.take()  # the 409 is expected
    assert len(starts(fast_app, room_id)) == 2
    check_page(board, assert_valid_html, "board room page: a refusal")

    # English, and the next day's plan.
    board.goto(board.url.split("?")[0] + "?lang=en")
    expect(board.get_by_role("button", name="Book the chosen time")).to_be_visible()
    check_page(board, assert_valid_html, "board room page in English")
    board.get_by_role("link", name="Next day").click()
    expect(board.locator(".plan-cell.is-past")).to_have_count(0)
    check_page(board, assert_valid_html, "board room page, the next day, in English")

    # 320 px: nothing scrolls sideways.
    board.set_viewport_size({"width": 320, "height": 640})
    board.reload()
    overflow = board.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the day plan scrolls sideways by {overflow} px at 320 px"
    board.context.close()


def test_the_staff_day_page_plan_is_accessible_in_both_languages(browser, fast_app, server, assert_valid_html):
    from tests.browser_support import open_page

    clock.freeze(at("08:20"))
    _unit_id, _room_id = unit_with_room(fast_app)
    page = open_page(browser, server.url)
    for lang in ("sv", "en"):
        page.goto(f"/rooms/videorum-1/day?lang={lang}")
        expect(page.locator(".plan-cell")).to_have_count(36)
        check_page(page, assert_valid_html, f"staff day page ({lang})")
    page.set_viewport_size({"width": 320, "height": 640})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    page.context.close()


def test_the_board_card_warns_then_says_the_booking_was_released(browser, fast_app, server):
    clock.freeze(at("08:50"))
    unit_id, room_id = unit_with_room(fast_app)
    with fast_app.app_context():
        bookings.create(room_id, Actor("test"), at("09:00"), at("09:30"))
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    card = board.locator(".board-room", has_text="Videorum 1")
    expect(card).to_be_visible()
    expect(card.locator(".day-unclaimed")).to_have_count(0)
    clock.freeze(at("09:01"))  # start + 1 min, nobody checked in
    time.sleep(POLL * 1.5)
    expect(card.locator(".day-unclaimed")).to_have_text("Ej incheckad – släpps 09.10", timeout=FOLLOW_MS)
    clock.freeze(at("09:10"))  # start + 10 min
    time.sleep(POLL * 1.5)
    expect(card.locator(".day-released")).to_have_text("Frigjord 09.10 – ingen checkade in", timeout=FOLLOW_MS)
    expect(card.locator(".day-unclaimed")).to_have_count(0)
    board.context.close()
