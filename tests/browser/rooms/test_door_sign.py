"""The door as a sign (issue 11, items 3 and 5), in Chromium.

In a meeting the sign "Här pågår videomöte - var god stör ej", its English line,
the expected end and the clock fill the screen with no scrolling at 1280x800
(landscape) and 800x1280 (portrait), in letters of at least 120 px (about 88 px
capitals: 15 mm at a 10.1-inch tablet's 149 ppi, readable at 3 m). The door's
other states fit as well. A guide opened from the door opens in the kiosk view
and the sign comes back by itself; one accidental tap does not end the visit."""

import re

import pytest
from playwright.sync_api import expect

from kiosk.rooms import console, service
from kiosk.rooms.service import Actor
from tests.browser.helpers import FOLLOW_MS, POLL, SIGN_SV, code_for, pair_page
from tests.browser.helpers import check_page

pytestmark = pytest.mark.browser

IDLE_SECONDS = 3
SIZES = [(1280, 800), (800, 1280)]


@pytest.fixture
def fast_app(make_app):
    """The shared fast app, with a short idle time before a door's guide returns to the sign."""
    return make_app(POLL_SECONDS=POLL, HTMX_TIMEOUT_MS=2000, DOOR_GUIDE_IDLE_SECONDS=IDLE_SECONDS)


MEASURE = """() => {
  const page = document.scrollingElement;
  const sign = document.querySelector('#door-panel .dnd-primary');
  const box = document.querySelector('#door-panel .dnd-sign');
  const b = box ? box.getBoundingClientRect() : null;
  return {
    scrollHeight: page.scrollHeight, scrollWidth: page.scrollWidth,
    height: window.innerHeight, width: window.innerWidth,
    font: sign ? parseFloat(getComputedStyle(sign).fontSize) : null,
    sign: b ? [b.left, b.top, b.right, b.bottom] : null,
    stateBoxes: document.querySelectorAll('#door-panel .room-state').length,
    end: (document.querySelector('#door-panel .dnd-end') || {}).textContent || '',
  };
}"""


def measure(page, label: str, sign: bool) -> dict:
    m = page.evaluate(MEASURE)
    assert m["scrollHeight"] <= m["height"] and m["scrollWidth"] <= m["width"], f"{label} scrolls: {m}"
    if sign:
        left, top, right, bottom = m["sign"]
        assert left >= 0 and top >= 0 and right <= m["width"] and bottom <= m["height"], f"{label}: sign cut off {m}"
        assert m["font"] >= 120, f"{label}: the sign's letters are {m['font']} px"
        assert m["stateBoxes"] == 0, f"{label}: a second state box beside the sign"
        assert re.search(r"beräknas sluta \d\d[.:]\d\d", m["end"]), f"{label}: no expected end: {m['end']!r}"
    return m


def to_state(app, room_id: int, state: str) -> None:
    """Move the room through the state machine (as its console or door would)."""
    actor = Actor("test")
    with app.app_context():
        if state == "preparing":
            service.check_in(room_id, actor)
            code = console.new_code(room_id, actor)
            console.claim(code, "127.0.0.1")  # the visit runs from the computer in the room
        elif state == "meeting":
            service.start_meeting(room_id, actor, skip_reason="urgent")
        elif state == "wrapup":
            service.end_meeting(room_id, actor)
        elif state == "free":
            service.finish(room_id, actor, "held")


@pytest.mark.parametrize("width,height", SIZES)
def test_each_door_state_fits_the_screen_and_the_sign_is_big(browser, fast_app, server, room, width, height):
    room_id, _ = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    door.set_viewport_size({"width": width, "height": height})
    label = f"{width}x{height}"
    measure(door, f"free {label}", sign=False)
    to_state(fast_app, room_id, "preparing")
    expect(door.locator(".console-note")).to_be_visible(timeout=FOLLOW_MS)
    expect(door.locator("#readiness-progress")).to_contain_text("0 av 13")
    measure(door, f"preparing {label}", sign=False)
    to_state(fast_app, room_id, "meeting")
    expect(door.locator(".dnd-primary")).to_have_text(SIGN_SV, timeout=FOLLOW_MS)
    measure(door, f"meeting {label}", sign=True)
    # The folded staff controls open above the sign, without scrolling the page.
    door.get_by_text("Personal: förläng, avsluta, guider").click()
    expect(door.get_by_role("link", name="Patienten ansluter inte")).to_be_visible()
    measure(door, f"meeting, controls open {label}", sign=True)
    to_state(fast_app, room_id, "wrapup")
    expect(door.locator(".door-wrapup")).to_be_attached(timeout=FOLLOW_MS)
    measure(door, f"wrap-up {label}", sign=False)
    to_state(fast_app, room_id, "free")
    expect(door.locator(".door-free")).to_be_attached(timeout=FOLLOW_MS)
    measure(door, f"free again {label}", sign=False)


def test_a_guide_from_the_door_returns_to_the_sign_and_one_tap_does_not_end(
        browser, fast_app, server, room, assert_valid_html):
    room_id, _ = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    door.set_viewport_size({"width": 1280, "height": 800})
    to_state(fast_app, room_id, "preparing")
    to_state(fast_app, room_id, "meeting")
    expect(door.locator(".dnd-primary")).to_be_visible(timeout=FOLLOW_MS)
    check_page(door, assert_valid_html, "door meeting")

    # One tap on "end" only opens the question; the sign stays through the next polls.
    door.get_by_text("Personal: förläng, avsluta, guider").click()
    door.get_by_text("Avsluta videomötet", exact=True).click()
    expect(door.get_by_role("button", name="Ja, avsluta videomötet")).to_be_visible()
    door.wait_for_timeout(2500 * POLL)
    expect(door.locator(".dnd-primary")).to_be_visible()
    with fast_app.app_context():
        assert service.open_session(room_id).state == "meeting"

    # A guide opens in the kiosk view: no staff menu, no administration, a way back.
    door.get_by_role("link", name="Patienten ansluter inte").click()
    door.wait_for_url(re.compile(r"/rooms/videorum-1/door/guides/no-show$"))
    expect(door.get_by_role("heading", level=1)).to_have_text("Patienten ansluter inte")
    expect(door.locator(".site-header")).to_have_count(0)
    expect(door.get_by_role("link", name=re.compile("Administration"))).to_have_count(0)
    check_page(door, assert_valid_html, "door guide")
    # Nobody touches it: the sign comes back by itself.
    door.wait_for_url(re.compile(r"/rooms/videorum-1/door$"), timeout=(IDLE_SECONDS + 10) * 1000)
    expect(door.locator(".dnd-primary")).to_have_text(SIGN_SV)


@pytest.mark.parametrize("width,height", SIZES)
def test_a_door_without_a_console_fits_while_preparing(browser, fast_app, server, room, width, height):
    """A room with no computer runs the visit from the door: the code, the progress
    and the whole readiness list fit the screen too (no scrolling)."""
    room_id, _ = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    door.set_viewport_size({"width": width, "height": height})
    with fast_app.app_context():
        service.check_in(room_id, Actor("test"))
        console.new_code(room_id, Actor("test"))  # as a check-in at the door does
    expect(door.locator("#readiness-progress")).to_contain_text("0 av 13", timeout=FOLLOW_MS)
    expect(door.locator(".console-code-value")).to_be_visible()
    measure(door, f"preparing without a console {width}x{height}", sign=False)
    # The list is folded under one clear control; opened, it holds all 13 items.
    door.locator("#door-readiness > summary").click()
    expect(door.locator("button.tick")).to_have_count(13)
    expect(door.locator("button.tick").first).to_be_visible()
