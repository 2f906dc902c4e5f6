"""Booking from the room console and from a staff page in Chromium (issue 13).

A clinician checks in at Videorum 1's door, claims the console on a 480 px
window and, by keyboard, books the room for a follow-up later today; a
colleague at a desk finds Videorum 2's next free slot on the overview and
books it in their own name. The board and Videorum 2's door show both. Every
new page passes axe-core and the Nu checker, in Swedish and English."""

import re

import pytest
from playwright.sync_api import expect

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Booking
from tests.browser.helpers import FOLLOW_MS, code_for, pair_page
from tests.browser.helpers import console_page, tab_to
from tests.browser.helpers import check_page
from tests.browser_support import open_page

pytestmark = pytest.mark.browser

DAY = "2026-12-03"


def at(hhmm: str):
    return bookings.parse_local(DAY, hhmm)


def desk_page(browser, server):
    """A desk computer's browser window (a staff page, no pairing)."""
    return open_page(browser, server.url, viewport={"width": 1280, "height": 900})


def type_into(page, label: str, text: str) -> None:
    """Tab to a field by its label and type, as a keyboard user does."""
    field = page.get_by_label(label, exact=True)
    for _ in range(60):
        if page.evaluate("document.activeElement ? document.activeElement.id : ''") == field.get_attribute("id"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError(f"no field {label!r} reached by Tab")
    page.keyboard.press("Control+a")
    page.keyboard.type(text)


def book_at_desk(page, start: str, minutes: int, name: str) -> None:
    """Book from the staff page's day plan: the quarter, a length, one's name, Boka."""
    page.locator(".plan-cell.is-free", has_text=start).click()
    page.locator(".plan-length").get_by_text(f"{minutes} min", exact=True).click()
    page.locator("#plan-name").fill(name)
    page.get_by_role("button", name="Boka vald tid").click()


def test_a_clinician_books_from_the_console_and_from_a_staff_page(browser, fast_app, server, room,
                                                                  assert_valid_html):
    clock.freeze(at("10:00"))
    room_id, unit_id = room
    door1 = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    with fast_app.app_context():
        from kiosk.models import Room

        room2 = db.session.query(Room).filter_by(slug="videorum-2").one().id
    door2 = pair_page(browser, server, code_for(fast_app, room_id=room2))
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))

    # The clinician checks in at the door and claims the console on a narrow window.
    door1.get_by_role("button", name="Checka in och förbered rummet").click()
    code = door1.locator(".console-code-value strong").inner_text()
    console = console_page(browser, server)
    console.goto(f"/console?code={code}")
    console.locator("form.pair-form button[type=submit]").click()
    console.wait_for_url(re.compile(r"/rooms/videorum-1/console$"), wait_until="load")

    # By keyboard: the link to the room's day, then the booking form.
    console.locator("body").focus()
    tab_to(console, "Rummets dag / boka")
    console.keyboard.press("Enter")
    console.wait_for_url(re.compile(r"/rooms/videorum-1/console/bookings$"), wait_until="load")
    expect(console.get_by_role("heading", level=1)).to_have_text("Videorum 1 – boka rummet")
    check_page(console, assert_valid_html, "console bookings (sv)")
    assert console.evaluate("document.scrollingElement.scrollWidth") <= 480, "the page scrolls sideways at 480 px"
    # The day plan by keyboard: Tab into the quarters, arrows to 14.00, Tab past the
    # length (30 min) to the name, Enter.
    console.locator("#plan-day").focus()
    for _ in range(6):
        console.keyboard.press("Tab")
        if console.evaluate("document.activeElement.name") == "start":
            break
    assert console.evaluate("document.activeElement.value") == "10:00"
    for _ in range(16):
        console.keyboard.press("ArrowRight")
    assert console.evaluate("document.activeElement.value") == "14:00"
    console.keyboard.press("Tab")
    assert console.evaluate("document.activeElement.value") == "30"
    console.keyboard.press("Tab")
    assert console.evaluate("document.activeElement.id") == "plan-name"
    console.keyboard.type("Eva Ek")
    console.keyboard.press("Enter")
    expect(console.locator(".day-booking")).to_contain_text("Bokat 14.00–14.30 · Eva Ek")
    check_page(console, assert_valid_html, "console bookings with a booking (sv)")
    with fast_app.app_context():
        b = db.session.query(Booking).filter_by(room_id=room_id).one()
        assert b.created_by.startswith("console-code:") and b.starts_at == at("14:00")
    console.goto("/rooms/videorum-1/console/bookings?lang=en")
    expect(console.get_by_role("heading", level=1)).to_have_text("Videorum 1 – book the room")
    check_page(console, assert_valid_html, "console bookings (en)")

    # A colleague at a desk: the overview shows the next free slot; the room's day; a booking.
    desk = desk_page(browser, server)
    desk.goto("/rooms?lang=sv")
    expect(desk.locator(".overview-rooms li", has_text="Videorum 2")).to_contain_text("Nästa lediga 30 min: nu")
    check_page(desk, assert_valid_html, "overview with next free slots (sv)")
    desk.get_by_role("link", name="Videorum 2: dagen och bokning").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Videorum 2 – rummets dag")
    check_page(desk, assert_valid_html, "staff room day (sv)")
    book_at_desk(desk, "13.00", 30, "Per Berg")
    expect(desk.locator(".day-booking")).to_contain_text("Bokat 13.00–13.30 · Per Berg")
    expect(desk.locator(".day-booking summary", has_text="Avboka")).to_be_visible()  # it asks first
    check_page(desk, assert_valid_html, "staff room day with my booking (sv)")
    # Overlapping: refused with the message; the form keeps what was typed.
    book_at_desk(desk, "12.45", 30, "Per Berg")
    expect(desk.locator("#plan-error")).to_contain_text("Rummet är redan bokat 13.00–13.30")
    expect(desk.locator("#plan-error")).to_be_focused()
    expect(desk.locator("#plan-error")).to_be_in_viewport()
    expect(desk.locator("#plan-name")).to_have_value("Per Berg")
    desk.watch.take()  # the 409 is expected
    check_page(desk, assert_valid_html, "staff room day, refused (sv)")
    desk.goto("/rooms/videorum-1/day?lang=en")
    expect(desk.locator(".day-booking")).to_contain_text("Booked 14:00–14:30 · Eva Ek")
    expect(desk.locator(".day-booking")).to_contain_text("Changed by reception or an administrator.")
    check_page(desk, assert_valid_html, "staff room day, others' booking (en)")
    desk.goto("/rooms?lang=en")
    check_page(desk, assert_valid_html, "overview (en)")

    # The board and Videorum 2's door show both bookings.
    expect(door2.locator("#door-day")).to_contain_text("Ledigt till 13.00", timeout=FOLLOW_MS)
    expect(door2.locator("#door-day")).to_contain_text("Nästa bokning 13.00–13.30")
    card2 = board.locator(".board-room", has_text="Videorum 2")
    expect(card2).to_contain_text("Ledigt till 13.00", timeout=FOLLOW_MS)
    expect(card2.locator(".tl-booked")).to_have_count(1)
    expect(board.locator(".board-room", has_text="Videorum 1").locator(".tl-booked")).to_have_count(1)
    board.locator(".board-room", has_text="Videorum 1").get_by_role("link").first.click()
    expect(board.locator(".day-booking")).to_contain_text("Bokat 14.00–14.30 · Eva Ek")
    for page in (door1, door2, board, console, desk):
        page.context.close()
