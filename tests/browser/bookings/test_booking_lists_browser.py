"""Moving a booking to another room, and finding a booking far ahead, in
Chromium on a moved clock (Thursday 3 December 2026, a weekday morning; the
unit is open 08-17 every day). Reception moves a booking from one room's day
to another room and the board's cards of both rooms follow; an overlap there
is said beside the move form with the focus on it; a booking 30 days ahead is
found in admin's list of bookings and cancelled; the new pages pass axe-core
and the Nu checker in Swedish and English."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Booking, Room, Unit
from kiosk.rooms.service import Actor
from tests.browser.helpers import FOLLOW_MS, check_page, code_for, log_in_page, pair_page
from tests.browser_support import assert_accessible

pytestmark = pytest.mark.browser

DAY = "2026-12-03"  # a Thursday
IN_30_DAYS = (date.fromisoformat(DAY) + timedelta(days=30)).isoformat()
EVERY_DAY = ";".join(["08:00-17:00"] * 7)


def at(hhmm: str, day: str = DAY):
    return bookings.parse_local(day, hhmm)


def unit_with_rooms(app) -> tuple[int, int, int]:
    """Hudmottagningen with Videorum 1 and 2, open 08-17 every day: (unit, room 1, room 2)."""
    with app.app_context():
        unit = Unit(name="Hudmottagningen", slug="hud", opening_hours=EVERY_DAY)
        one, two = Room(unit=unit, name="Videorum 1", slug="videorum-1"), Room(unit=unit, name="Videorum 2",
                                                                               slug="videorum-2")
        db.session.add_all([unit, one, two])
        db.session.commit()
        return unit.id, one.id, two.id


def room_of(app, booking_id: int) -> tuple[int, str]:
    with app.app_context():
        b = db.session.get(Booking, booking_id)
        return b.room_id, clock.local(b.starts_at).strftime("%H:%M")


def test_reception_moves_a_booking_to_another_room_and_both_days_follow(browser, fast_app, server,
                                                                         assert_valid_html):
    clock.freeze(at("08:20"))
    unit_id, one, two = unit_with_rooms(fast_app)
    with fast_app.app_context():
        moving = bookings.create(one, Actor("test"), at("10:00"), at("10:30"), holder_name="Eva Ek").id
        bookings.create(two, Actor("test"), at("13:00"), at("14:00"))
        staying = bookings.create(one, Actor("test"), at("13:30"), at("14:00")).id
    # The board on the wall (it polls) and reception's tablet on room 1's day.
    wall = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    card_one = wall.locator(".board-room", has_text="Videorum 1")
    card_two = wall.locator(".board-room", has_text="Videorum 2")
    expect(card_one.locator(".tl-booking.tl-booked")).to_have_count(2)
    expect(card_two.locator(".tl-booking.tl-booked")).to_have_count(1)
    desk = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    desk.set_viewport_size({"width": 1280, "height": 800})
    desk.get_by_role("link", name="Videorum 1").click()

    booking = desk.locator(f"#booking-{moving}")
    booking.locator("summary", has_text="Flytta").click()
    booking.get_by_label("Rum").select_option(label="Videorum 2")
    booking.get_by_label("Start").fill("11:00")
    booking.get_by_label("Slut").fill("11:30")
    check_page(desk, assert_valid_html, "board room page: the move form with the unit's rooms")
    booking.get_by_role("button", name="Flytta bokningen").click()

    # Where it went, announced, with the focus, in view; room 1's day lists it no more.
    notice = desk.locator("#moved-notice")
    expect(notice).to_contain_text("Bokningen är flyttad till Videorum 2, 2026-12-03 11.00–11.30.")
    expect(notice).to_have_attribute("role", "status")
    expect(notice).to_be_focused()
    expect(notice).to_be_in_viewport()
    expect(desk.locator(f"#booking-{moving}")).to_have_count(0)
    assert room_of(fast_app, moving) == (two, "11:00")
    check_page(desk, assert_valid_html, "board room page: a booking moved to another room")
    # The wall's board follows within its polls: one bar fewer in room 1, one more in room 2.
    expect(card_one.locator(".tl-booking.tl-booked")).to_have_count(1, timeout=FOLLOW_MS)
    expect(card_two.locator(".tl-booking.tl-booked")).to_have_count(2, timeout=FOLLOW_MS)
    # Room 2's day, from the notice's link.
    notice.get_by_role("link", name="Visa Videorum 2").click()
    expect(desk.locator(f"#booking-{moving}")).to_contain_text("Bokat 11.00–11.30 · Eva Ek")

    # An overlap in the target room: refused beside that booking's move form, focus on it; nothing moves.
    desk.goto("/board/rooms/videorum-1?lang=en")
    booking = desk.locator(f"#booking-{staying}")
    booking.locator("summary", has_text="Move").click()
    booking.get_by_label("Room").select_option(label="Videorum 2")
    booking.get_by_role("button", name="Move the booking").click()
    refusal = desk.locator(f"#move-error-{staying}")
    expect(refusal).to_contain_text("The room is already booked 13:00–14:00")
    expect(refusal).to_have_attribute("role", "alert")
    expect(refusal).to_be_focused()
    expect(refusal).to_be_in_viewport()
    expect(desk.locator(f"#booking-{staying}").get_by_label("Room")).to_have_value("videorum-2")  # as sent
    desk.watch.take()  # the 409 is expected
    assert room_of(fast_app, staying) == (one, "13:30")
    assert_accessible(desk, "board room page: a move refused (en)")

    # The unit's bookings by range, from the board, in both languages.
    for lang in ("sv", "en"):
        desk.goto(f"/board/bookings?to={IN_30_DAYS}&lang={lang}")
        expect(desk.locator(".day-booking")).to_have_count(3)
        check_page(desk, assert_valid_html, f"the board's list of bookings ({lang})")
    desk.set_viewport_size({"width": 320, "height": 640})
    desk.reload()
    assert desk.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    wall.context.close()
    desk.context.close()


def test_a_booking_30_days_ahead_is_found_and_cancelled_in_admin(admin_app, live_server, new_page, make_admin,
                                                                  assert_valid_html):
    clock.freeze(at("08:20"))
    _unit_id, one, _two = unit_with_rooms(admin_app)
    with admin_app.app_context():
        far = bookings.create(one, Actor("test"), at("10:00", IN_30_DAYS), at("10:45", IN_30_DAYS),
                              holder_name="Eva Ek").id
    page = new_page(viewport={"width": 1280, "height": 800})
    log_in_page(page, make_admin())
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Bokningar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alla bokningar")
    expect(page.get_by_text("Eva Ek")).to_have_count(0)  # today and the next two weeks: not yet
    check_page(page, assert_valid_html, "admin: every booking (sv)")

    page.get_by_label("Till och med").fill(IN_30_DAYS)
    page.get_by_role("button", name="Visa bokningarna").click()
    row = page.locator(f"#booking-{far}")
    expect(row).to_contain_text(f"{IN_30_DAYS} 10.00–10.45")
    expect(row).to_contain_text("Videorum 1 (Hudmottagningen)")
    check_page(page, assert_valid_html, "admin: a booking 30 days ahead (sv)")
    row.locator("summary", has_text="Avboka").click()
    row.get_by_role("button", name="Ja, avboka").click()
    expect(page.locator(".flash")).to_contain_text("Bokningen är avbokad.")
    expect(page.locator(f"#booking-{far}")).to_have_count(0)
    expect(page.get_by_label("Till och med")).to_have_value(IN_30_DAYS)  # the list as it was
    with admin_app.app_context():
        assert db.session.get(Booking, far).status == "cancelled"

    # A date that is no date: the form's message beside the field, in English too.
    page.goto("/admin/bookings?from=2026-02-30&lang=en")
    expect(page.locator("#list-to-error")).to_contain_text("Choose two dates")
    check_page(page, assert_valid_html, "admin: every booking, a refused range (en)")
    page.goto(f"/admin/bookings?to={IN_30_DAYS}&lang=en")
    check_page(page, assert_valid_html, "admin: every booking (en)")
