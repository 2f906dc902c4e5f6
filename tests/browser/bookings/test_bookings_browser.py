"""Bookings in a real Chromium (issue 13, and the board of issue 12): reception
checks a clinician in from the board and books a room; on a moved clock the door
says "Ledigt till 14.00", then "Bokat 14.00–14.30"; the clinician checks in at
14.02; another room's unclaimed booking is released at 14.10; the board's
timeline shows it all. The board shows every room without scrolling at
1280x800 and 800x1280 for 4, 12 and 24 rooms, the state word the largest text
of each card and at least 28 px. axe-core and the Nu checker on every new page."""

import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Booking, CalendarFeed, Room, Unit
from kiosk.rooms import service
from kiosk.rooms.service import Actor
from tests.browser.helpers import FOLLOW_MS, POLL, check_page, code_for, pair_page
from tests.browser_support import assert_no_console_errors, open_page

pytestmark = pytest.mark.browser

DAY = "2026-12-03"


def at(hhmm: str):
    return bookings.parse_local(DAY, hhmm)


def move_clock_to(hhmm: str) -> None:
    clock.freeze(at(hhmm))
    time.sleep(POLL * 1.5)


def test_a_day_of_bookings_on_board_and_door(browser, fast_app, server, assert_valid_html):
    clock.freeze(at("13:30"))
    with fast_app.app_context():
        unit = Unit(name="Hudmottagningen", slug="hud")
        rooms = [Room(unit=unit, name=f"Videorum {n}", slug=f"videorum-{n}") for n in (1, 2, 3)]
        db.session.add_all([unit, *rooms])
        db.session.commit()
        ids = {r.name: r.id for r in rooms}
        unit_id = unit.id
        # Videorum 3 has a booking nobody will claim.
        unclaimed = bookings.create(ids["Videorum 3"], Actor("test"), at("14:00"), at("14:30")).id
    door1 = pair_page(browser, server, code_for(fast_app, room_id=ids["Videorum 1"]))
    door2 = pair_page(browser, server, code_for(fast_app, room_id=ids["Videorum 2"]))
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    check_page(board, assert_valid_html, "board with a booking")

    # Reception checks a clinician into Videorum 1 from the board; the door follows.
    board.get_by_role("link", name="Videorum 1").click()
    expect(board.get_by_role("heading", level=1)).to_have_text("Videorum 1 – dagens bokningar")
    check_page(board, assert_valid_html, "board room page")
    board.get_by_role("button", name="Checka in i rummet").click()
    expect(board.locator(".state-word")).to_have_text("Förbereds för videomöte")
    expect(door1.locator(".state-word")).to_have_text("Förbereds för videomöte", timeout=FOLLOW_MS)
    check_page(board, assert_valid_html, "board room page, preparing")

    # Reception books Videorum 2 for 14:00-14:30 from the day plan: the quarter, a length, Boka.
    board.get_by_role("link", name="Tillbaka till rumsöversikten").click()
    board.get_by_role("link", name="Videorum 2").click()
    board.locator(".plan-cell", has_text="14.00").click()
    board.locator(".plan-length").get_by_text("30 min").click()
    board.locator("#plan-name").fill("Eva Ek")
    board.get_by_role("button", name="Boka vald tid").click()
    expect(board.locator(".day-booking")).to_contain_text("Bokat 14.00–14.30 · Eva Ek")
    # An overlapping booking is refused with a message beside the form, with the focus.
    board.locator(".plan-cell", has_text="13.45").click()
    board.get_by_role("button", name="Boka vald tid").click()
    expect(board.locator("#plan-error")).to_contain_text("Rummet är redan bokat 14.00–14.30")
    expect(board.locator("#plan-error")).to_be_focused()
    expect(board.locator("#plan-error")).to_be_in_viewport()
    board.watch.take()  # the 409 is expected
    check_page(board, assert_valid_html, "board room page with a booking")

    # The door of Videorum 2: free until 14.00, then booked from 15 minutes before.
    move_clock_to("13:44")
    expect(door2.locator("#door-day")).to_contain_text("Ledigt till 14.00", timeout=FOLLOW_MS)
    check_page(door2, assert_valid_html, "door free until")
    move_clock_to("13:50")
    expect(door2.locator("#door-day")).to_contain_text("Bokat 14.00–14.30", timeout=FOLLOW_MS)
    check_page(door2, assert_valid_html, "door booked soon")

    # The clinician checks in at 14.02 at the door: the booking is claimed.
    move_clock_to("14:02")
    door2.get_by_role("button", name="Checka in och förbered rummet").click()
    expect(door2.locator(".state-word")).to_have_text("Förbereds för videomöte")
    with fast_app.app_context():
        claimed = db.session.query(Booking).filter_by(room_id=ids["Videorum 2"]).one()
        assert claimed.status == "claimed"
        assert db.session.get(Booking, unclaimed).status == "booked"

    # Videorum 3's booking goes unclaimed and is released at 14.10; the board shows it all.
    move_clock_to("14:10")
    board.get_by_role("link", name="Tillbaka till rumsöversikten").click()
    card3 = board.locator(".board-room", has_text="Videorum 3")
    expect(card3.locator(".tl-released")).to_have_count(1, timeout=FOLLOW_MS)
    expect(card3.locator(".state-word")).to_have_text("Ledigt")
    card2 = board.locator(".board-room", has_text="Videorum 2")
    expect(card2.locator(".tl-claimed")).to_have_count(1)
    expect(card2.locator(".tl-session")).to_have_count(1)
    expect(board.locator(".board-room", has_text="Videorum 1").locator(".state-word")).to_have_text(
        "Förbereds för videomöte")
    assert board.locator(".tl-now").count() == 3
    with fast_app.app_context():
        assert db.session.get(Booking, unclaimed).status == "released"
    board.locator(".board-room", has_text="Videorum 3").get_by_role("link").click()
    expect(board.locator(".day-booking")).to_contain_text("Frigjord – ingen checkade in")
    check_page(board, assert_valid_html, "board room page, released")
    board.get_by_role("link", name="Tillbaka till rumsöversikten").click()

    # The filter "free now for at least 30 min" (a GET form): only Videorum 3 is free now.
    board.get_by_label("Visa").select_option("30")
    board.get_by_role("button", name="Visa rummen").click()
    expect(board.locator(".board-room")).to_have_count(1)
    expect(board.locator(".board-room h2")).to_have_text("Videorum 3")
    check_page(board, assert_valid_html, "board filtered")
    for page in (door1, door2, board):
        page.context.close()


NO_SCROLL_JS = """() => {
  const doc = document.scrollingElement;
  const cards = [...document.querySelectorAll('.board-room')].map(card => {
    const box = card.getBoundingClientRect();
    const word = card.querySelector('.state-word');
    const wordSize = parseFloat(getComputedStyle(word).fontSize);
    let largest = 0, largestText = '';
    card.querySelectorAll('*').forEach(el => {
      const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
      if (!own || el.closest('.state-word') || el.getClientRects().length === 0) return;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size > largest) { largest = size; largestText = el.textContent.trim(); }
    });
    return {top: box.top, bottom: box.bottom, left: box.left, right: box.right, wordSize, largest, largestText,
            clipped: card.scrollHeight > card.clientHeight + 1 || card.scrollWidth > card.clientWidth + 1};
  });
  return {scrollH: doc.scrollHeight, scrollW: doc.scrollWidth, h: innerHeight, w: innerWidth, cards};
}"""


@pytest.mark.parametrize("count", [4, 12, 24])
def test_the_board_shows_every_room_without_scrolling(browser, fast_app, server, count):
    clock.freeze(at("10:00"))
    with fast_app.app_context():
        unit = Unit(name="Vårdcentralen Norra Ängby", slug="norra")
        rooms = [Room(unit=unit, name=f"Videorum {n}", slug=f"videorum-{n}", location="Plan 3, korridor B")
                 for n in range(1, count + 1)]
        db.session.add_all([unit, *rooms])
        db.session.commit()
        ids = [r.id for r in rooms]
        unit_id = unit.id
        # A day in every room; some rooms taken, one in a meeting.
        for n, rid in enumerate(ids):
            bookings.create(rid, Actor("test"), at("11:00"), at("11:30"))
            if n % 3 == 1:
                service.check_in(rid, Actor("test"))
            if n % 6 == 2:
                service.check_in(rid, Actor("test"))
                service.start_meeting(rid, Actor("test"), skip_reason="urgent")
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    for width, height in ((1280, 800), (800, 1280)):
        board.set_viewport_size({"width": width, "height": height})
        board.reload()
        expect(board.locator(".board-room")).to_have_count(count)
        m = board.evaluate(NO_SCROLL_JS)
        label = f"{count} rooms at {width}x{height}"
        assert m["scrollH"] <= m["h"] and m["scrollW"] <= m["w"], (label, m["scrollH"], m["scrollW"])
        for card in m["cards"]:
            assert 0 <= card["top"] and card["bottom"] <= m["h"] and card["right"] <= m["w"], (label, card)
            assert not card["clipped"], (label, card)
            assert card["wordSize"] >= 28, (label, card)
            assert card["wordSize"] > card["largest"], (label, card)
    board.context.close()


def test_the_board_on_a_phone_late_in_the_evening_does_not_scroll_sideways(browser, fast_app, server):
    """WCAG 1.4.10 at 320 px, after closing time (the every-page sweep found the
    free-slot list pushing the board 63 px sideways when it ran at 22.41): the
    slot list wraps instead."""
    clock.freeze(at("22:45"))
    with fast_app.app_context():
        unit = Unit(name="Hudmottagningen", slug="hud", show_clinician=True)
        rooms = [Room(unit=unit, name=f"Videorum {n}", slug=f"videorum-{n}", location="Plan 2") for n in (1, 2)]
        db.session.add_all([unit, *rooms])
        db.session.commit()
        service.check_in(rooms[0].id, Actor("test"), name="Anna Berg", title="Sjuksköterska")
        service.start_meeting(rooms[0].id, Actor("test"), skip_reason="urgent")
        unit_id = unit.id
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    board.set_viewport_size({"width": 320, "height": 640})
    board.reload()
    expect(board.locator(".board-room")).to_have_count(2)
    expect(board.locator(".slots dd").first).to_be_visible()
    overflow = board.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the board scrolls sideways by {overflow} px at 320 px"
    assert_no_console_errors(board, "board at 320 px in the evening")
    board.context.close()


def test_admin_booking_pages_pass_axe_and_nu(browser, fast_app, server, assert_valid_html, make_admin):
    from kiosk.bookings import feeds
    from tests.admin_support import PASSWORD

    fast_app.config["ADMIN_PASSWORD_METHOD"] = "scrypt:1024:8:1"
    clock.freeze(at("09:00"))
    with fast_app.app_context():
        unit = Unit(name="Hudmottagningen", slug="hud")
        room = Room(unit=unit, name="Videorum 1", slug="videorum-1")
        db.session.add_all([unit, room])
        db.session.commit()
        room_id, unit_id = room.id, unit.id
        bookings.create(room_id, Actor("test"), at("10:00"), at("10:30"), holder_name="Eva Ek")
        feed = feeds.set_feed(room_id, "http://127.0.0.1:9/feed.ics", Actor("test"))
        feeds.sync(feed.id)  # loopback, not listed: refused, and the page shows the error
        # What a full read held and a feed failing for two days: every part of the feed's health shows.
        row = db.session.get(CalendarFeed, feed.id)
        row.last_read_at = row.failing_since = at("09:00") - timedelta(days=2)
        row.read_counts = "meetings=2,series=1,bookings=7,unknown_zone=1,all_day=1,free=2,overlap_manual=1"
        db.session.commit()
        service.check_in(room_id, Actor("test"))
        service.start_meeting(room_id, Actor("test"), skip_reason="urgent")
    account = make_admin("global")
    page = open_page(browser, server.url)
    page.goto("/admin/login")
    page.locator("#login-email").fill(account.email)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("form.admin-form button[type=submit]").click()
    page.wait_for_url("**/admin/")
    for lang in ("sv", "en"):
        page.goto(f"/admin/rooms/{room_id}/bookings?lang={lang}")
        expect(page.locator("table.admin-table")).to_contain_text("Eva Ek")
        check_page(page, assert_valid_html, f"admin bookings ({lang})")
        expect(page.locator("#calendar ~ dl.facts")).to_contain_text(
            "2 enstaka möten och 1 mötesserier" if lang == "sv" else "2 single meetings and 1 meeting series")
        page.goto(f"/admin/?lang={lang}")
        expect(page.locator("#failing-feeds")).to_be_visible()
        check_page(page, assert_valid_html, f"admin start page with a failing feed ({lang})")
        page.goto(f"/admin/stats/bookings?unit={unit_id}&from={DAY}&to={DAY}&lang={lang}")
        expect(page.locator("#booking-table")).to_be_visible()
        check_page(page, assert_valid_html, f"booking statistics ({lang})")
    page.context.close()
