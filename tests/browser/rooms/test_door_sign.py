"""The door as a sign, in Chromium, on the tablets clinics own.

In a meeting the sign "Här pågår videomöte - var god stör ej", its English line,
the expected end and the clock fill the screen: at every common tablet size, in
both orientations, no state of the door scrolls the page either way, the sign's
text stays inside its red box and clear of the room's name, and at 1280x800 and
800x1280 its letters are at least 120 px (about 88 px capitals: 15 mm at a
10.1-inch tablet's 149 ppi, readable at 3 m) and the English line and the end
time about 60 px. No line of the sign starts with a dash. The staff panel opens
beside the sign, never over its text, and folds by itself after a while
without a touch, or on Esc. The offline notice takes its room from the sign and
the door's clock keeps the server's time, in Stockholm, while it shows. A guide
opened from the door returns to the sign by itself; one accidental tap does not
end the visit."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Unit
from kiosk.rooms import console, faults, service
from kiosk.rooms.service import Actor
from tests.browser.helpers import (FOLLOW_MS, POLL, SETTLED_SHIFT, SHIFT_LISTENER, SIGN_SV, check_page, code_for,
                                   pair_page)
from tests.browser_support import assert_accessible, open_page

pytestmark = pytest.mark.browser

IDLE_SECONDS = 3
# The tablets clinics own, landscape and portrait, and a large wall screen both ways.
SIZES = [(1024, 768), (768, 1024), (800, 1280), (810, 1080), (820, 1180), (1280, 800), (1366, 768),
         (1920, 1080), (1080, 1920)]
# A 10-inch tablet (149 ppi): here the sign's letters must reach 120 px, the rest about 60.
TEN_INCH = {(1280, 800), (800, 1280)}
SIGN_PX = 120
READ_AT_3M_PX = 60
END_TIME_PX = 48
CONTROLS = "Personal: förläng, avsluta, guider"
# Thursday 26 November 2026, 22:00 in Stockholm, for a unit open on weekdays only.
WEEKDAYS = "07:30-17:00;07:30-17:00;07:30-17:00;07:30-17:00;07:30-16:00;;"
NIGHT = datetime.fromisoformat("2026-11-26T22:00:00+01:00").astimezone(timezone.utc)


@pytest.fixture
def fast_app(make_app):
    """The shared fast app, with short idle times on the door (its guide, its staff panel)."""
    return make_app(POLL_SECONDS=POLL, HTMX_TIMEOUT_MS=2000, DOOR_GUIDE_IDLE_SECONDS=IDLE_SECONDS)


MEASURE = """() => {
  const rect = (el) => { if (!el) return null; const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const textRects = (el) => {
    if (!el) return [];
    const range = document.createRange();
    range.selectNodeContents(el);
    return Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => [r.left, r.top, r.right, r.bottom]);
  };
  // The sign's lines as laid out: the characters grouped by the line box they sit on.
  const lines = (el) => {
    if (!el) return [];
    const out = [];
    let top = null;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i++) {
        const range = document.createRange();
        range.setStart(node, i); range.setEnd(node, i + 1);
        const r = range.getClientRects()[0];
        if (!r || r.width === 0) continue;
        if (top === null || r.top > top + 1) { out.push(''); top = r.top; }
        out[out.length - 1] += node.data[i];
      }
    }
    return out.map((l) => l.trim());
  };
  const px = (el) => el ? parseFloat(getComputedStyle(el).fontSize) : null;
  const q = (s) => document.querySelector(s);
  const page = document.scrollingElement;
  const body = q('#door-panel .door-controls-body');
  return {
    scrollHeight: page.scrollHeight, scrollWidth: page.scrollWidth,
    height: window.innerHeight, width: window.innerWidth,
    head: rect(q('#door-panel .door-head')), name: textRects(q('#room-name')),
    box: rect(q('#door-panel .dnd-sign')),
    primary: textRects(q('#door-panel .dnd-primary')), secondary: textRects(q('#door-panel .dnd-secondary')),
    primaryOver: (q('#door-panel .dnd-primary') || {}).scrollWidth > (q('#door-panel .dnd-primary') || {}).clientWidth,
    lines: lines(q('#door-panel .dnd-primary')), linesEn: lines(q('#door-panel .dnd-secondary')),
    font: px(q('#door-panel .dnd-primary')), fontEn: px(q('#door-panel .dnd-secondary')),
    fontEnd: px(q('#door-panel .dnd-expected')),
    end: (q('#door-panel .dnd-end') || {}).textContent || '',
    controls: body && body.offsetParent ? rect(body) : null,
    summary: rect(q('#door-controls > summary')),
    notice: q('#offline-notice') && !q('#offline-notice').hidden ? rect(q('#offline-notice')) : null,
    stateBoxes: document.querySelectorAll('#door-panel .room-state').length,
  };
}"""


def inside(inner, outer, slack=0.5) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def measure(page, label: str, sign: bool = False, size=None) -> dict:
    """The page does not scroll either way; in a meeting the sign's text sits in its
    box, clear of the header, no line starts with a dash, and on a 10-inch tablet
    its letters are at least 120 px (the English line and the end time readable at 3 m)."""
    if sign:
        # door.js fits the text when the box changes size, at the next frame: wait for it.
        page.wait_for_function("""() => { const box = document.querySelector('#door-panel .dnd-sign');
          return box && box.getAttribute('data-fitted') === box.clientWidth + 'x' + box.clientHeight; }""", polling=50)
    m = page.evaluate(MEASURE)
    assert m["scrollHeight"] <= m["height"] and m["scrollWidth"] <= m["width"], f"{label} scrolls: {m}"
    screen = [0, 0, m["width"], m["height"]]
    if m["notice"]:
        assert inside(m["notice"], screen), f"{label}: the offline notice is off-screen {m}"
    if not sign:
        return m
    assert m["stateBoxes"] == 0, f"{label}: a second state box beside the sign"
    assert inside(m["box"], screen), f"{label}: the sign's box is cut off {m}"
    assert not m["primaryOver"], f"{label}: the sign's text runs out of its line {m}"
    for r in m["primary"] + m["secondary"]:
        assert inside(r, m["box"]), f"{label}: the sign's text leaves its box {r} {m}"
        for name in m["name"]:
            assert not overlaps(r, name), f"{label}: the sign's text overprints the room's name {m}"
        if m["controls"]:
            assert not overlaps(r, m["controls"]), f"{label}: the staff panel covers the sign's text {m}"
        if m["notice"]:
            assert not overlaps(r, m["notice"]), f"{label}: the offline notice covers the sign's text {m}"
    assert m["head"][3] <= m["box"][1], f"{label}: the sign's box runs into the header {m}"
    assert inside(m["summary"], screen), f"{label}: the staff controls are off-screen {m}"
    for line in m["lines"] + m["linesEn"]:
        assert not line.startswith(("-", "–")), f"{label}: a line of the sign starts with a dash: {m['lines']} {m['linesEn']}"
    assert re.search(r"(beräknas sluta|expected to end) \d\d[.:]\d\d", m["end"]), f"{label}: no expected end: {m['end']!r}"
    if size in TEN_INCH and not m["controls"]:
        assert m["font"] >= SIGN_PX, f"{label}: the sign's letters are {m['font']} px"
        if m["fontEn"] is not None:  # a unit may turn the English line off
            assert m["fontEn"] >= READ_AT_3M_PX, f"{label}: the English line is {m['fontEn']} px"
        assert m["fontEnd"] >= END_TIME_PX, f"{label}: the end time is {m['fontEnd']} px"
    return m


def to_state(app, room_id: int, state: str, console_attached: bool = True) -> None:
    """Move the room through the state machine (as its console or door would)."""
    actor = Actor("test")
    with app.app_context():
        if state == "preparing":
            service.check_in(room_id, actor)
            code = console.new_code(room_id, actor)
            if console_attached:
                console.claim(code, "127.0.0.1")  # the visit runs from the computer in the room
        elif state == "meeting":
            service.start_meeting(room_id, actor, skip_reason="urgent")
        elif state == "wrapup":
            service.end_meeting(room_id, actor)
        elif state == "free":
            service.finish(room_id, actor, "held")


def check_offline(page, assert_valid_html, label: str) -> None:
    """axe-core and the Nu checker on the door as it stands with no network: the
    page as the browser holds it (the server, unreachable, cannot send it again)."""
    assert_valid_html(page.content(), label)
    assert_accessible(page, label)
    # The outage's own failed polls go on while the checks run: nothing else may show.
    offline = ("htmx:sendError", "htmx:afterRequest", "ERR_INTERNET_DISCONNECTED")
    problems = [p for p in page.watch.take() if not any(mark in p for mark in offline)]
    assert not problems, f"browser problems on {label}:\n" + "\n".join(problems)


def go_offline(door) -> None:
    door.context.set_offline(True)
    expect(door.locator("#offline-notice")).to_be_visible(timeout=FOLLOW_MS)


def go_online(door) -> None:
    door.context.set_offline(False)
    expect(door.locator("#offline-notice")).to_be_hidden(timeout=FOLLOW_MS)
    door.watch.take()  # the outage's own network errors were expected


@pytest.mark.parametrize("width,height", SIZES)
def test_every_door_state_fits_the_screen_and_the_sign_its_box(
        browser, fast_app, server, room, assert_valid_html, width, height):
    """One door per size walks every state, the server moving the room."""
    room_id, unit_id = room
    size = (width, height)
    label = f"{width}x{height}"
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    door.set_viewport_size({"width": width, "height": height})
    checks = size == (1280, 800)  # axe-core and the Nu checker once, on the new states
    measure(door, f"free {label}")
    go_offline(door)
    measure(door, f"free, offline {label}")
    go_online(door)

    with fast_app.app_context():
        faults.report(room_id, Actor("test"), "camera", "Bilden fryser efter en minut", "door")
    expect(door.locator(".fault-item")).to_be_visible(timeout=FOLLOW_MS)
    measure(door, f"free with a fault {label}")

    to_state(fast_app, room_id, "preparing")
    expect(door.locator(".console-note")).to_be_visible(timeout=FOLLOW_MS)
    expect(door.locator(".fault-reminder")).to_be_visible()
    measure(door, f"preparing, a fault open {label}")

    to_state(fast_app, room_id, "meeting")
    expect(door.locator(".dnd-primary")).to_have_text(SIGN_SV, timeout=FOLLOW_MS)
    measure(door, f"meeting {label}", sign=True, size=size)

    # The staff panel opens beside the sign, not over its text, and folds on Esc. A console
    # runs this visit: the panel offers the knock and, confirmed, disconnecting the console.
    door.locator("#door-controls > summary").click()
    expect(door.get_by_role("link", name="Patienten ansluter inte")).to_be_visible()
    door.locator("#door-confirm-disconnect > summary").click()
    expect(door.get_by_role("button", name="Ja, koppla bort konsolen")).to_be_visible()
    measure(door, f"meeting, staff panel open {label}", sign=True, size=size)
    if checks:
        check_page(door, assert_valid_html, "door meeting, staff panel open")
    door.keyboard.press("Escape")
    expect(door.locator("#door-controls")).not_to_have_attribute("open", "")
    measure(door, f"meeting, staff panel folded again {label}", sign=True, size=size)

    go_offline(door)
    expect(door.locator(".dnd-primary")).to_have_text(SIGN_SV)
    measure(door, f"meeting, offline {label}", sign=True, size=size)
    if checks:
        check_offline(door, assert_valid_html, "door meeting, offline")
    go_online(door)

    to_state(fast_app, room_id, "wrapup")
    expect(door.locator(".door-wrapup")).to_be_attached(timeout=FOLLOW_MS)
    measure(door, f"wrap-up {label}")
    to_state(fast_app, room_id, "free")
    expect(door.locator(".door-free")).to_be_attached(timeout=FOLLOW_MS)
    measure(door, f"free again {label}")

    # A room with no computer runs the visit from the door: the code and the folded list fit too.
    to_state(fast_app, room_id, "preparing", console_attached=False)
    expect(door.locator(".console-code-value")).to_be_visible(timeout=FOLLOW_MS)
    measure(door, f"preparing without a console {label}")
    with fast_app.app_context():
        service.cancel(room_id, Actor("test"))
    expect(door.locator(".door-free")).to_be_attached(timeout=FOLLOW_MS)

    # Closed for the night: the night screen, from the next page load.
    with fast_app.app_context():
        db.session.get(Unit, unit_id).opening_hours = WEEKDAYS
        db.session.commit()
    clock.freeze(NIGHT)
    door.reload()
    expect(door.locator(".night-screen")).to_be_visible()
    measure(door, f"closed for the night {label}")
    door.context.close()


def test_a_unit_without_the_english_line_gets_a_sign_in_swedish_alone(
        browser, fast_app, server, room, assert_valid_html):
    """The unit's setting (admin) holds in the sign's every state: run from a console
    or from the door, with the staff panel open, offline; the Swedish fits its box."""
    room_id, unit_id = room
    with fast_app.app_context():
        db.session.get(Unit, unit_id).door_sign_english = False
        db.session.commit()
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    door.set_viewport_size({"width": 1280, "height": 800})
    for console_attached in (True, False):
        to_state(fast_app, room_id, "preparing", console_attached=console_attached)
        to_state(fast_app, room_id, "meeting")
        expect(door.locator(".dnd-primary")).to_have_text(SIGN_SV, timeout=FOLLOW_MS)
        expect(door.locator(".dnd-secondary")).to_have_count(0)
        label = f"meeting without English, console {console_attached}"
        m = measure(door, label, sign=True, size=(1280, 800))
        assert m["font"] >= SIGN_PX and not m["secondary"], f"{label}: {m}"
        if console_attached:
            check_page(door, assert_valid_html, "door sign without the English line")
        door.locator("#door-controls > summary").click()
        measure(door, f"{label}, staff panel open", sign=True, size=(1280, 800))
        door.keyboard.press("Escape")
        go_offline(door)
        measure(door, f"{label}, offline", sign=True, size=(1280, 800))
        expect(door.locator(".dnd-secondary")).to_have_count(0)
        go_online(door)
        to_state(fast_app, room_id, "wrapup")
        to_state(fast_app, room_id, "free")
        expect(door.locator(".door-free")).to_be_attached(timeout=FOLLOW_MS)
    door.context.close()


def test_the_staff_panel_folds_after_a_while_untouched_and_on_esc_in_english(
        browser, fast_app, server, room, assert_valid_html):
    """The door's staff panel folds by itself 20 s after the last touch (a touch
    inside it restarts the wait), and on Esc; the idle time is the app's setting."""
    room_id, _ = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id), lang="en")
    door.set_viewport_size({"width": 800, "height": 1280})
    to_state(fast_app, room_id, "preparing", console_attached=False)  # run from the door: its controls
    to_state(fast_app, room_id, "meeting")
    expect(door.locator(".dnd-primary")).to_be_visible(timeout=FOLLOW_MS)
    panel = door.locator("#door-controls")
    summary = door.locator("#door-controls > summary")
    assert panel.get_attribute("data-idle-seconds") == str(fast_app.config["DOOR_PANEL_IDLE_SECONDS"]) == "20"

    summary.click()
    expect(panel).to_have_attribute("open", "")
    measure(door, "meeting, staff panel open (en)", sign=True, size=(800, 1280))
    check_page(door, assert_valid_html, "door meeting, staff panel open (en)")
    door.get_by_role("link", name="The patient does not join").focus()
    door.keyboard.press("Escape")
    expect(panel).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()

    # The page's clock (installed by open_page) stands still but for what the test moves.
    door.clock.pause_at(door.evaluate("Date.now()") + 1000)
    summary.click()
    expect(panel).to_have_attribute("open", "")
    door.clock.run_for(15_000)
    expect(panel).to_have_attribute("open", "")
    door.get_by_text("End the video meeting", exact=True).click()  # a touch: the wait starts again
    door.clock.run_for(15_000)
    expect(panel).to_have_attribute("open", "")
    expect(door.get_by_role("button", name="Yes, end the video meeting")).to_be_visible()
    door.clock.run_for(6_000)
    expect(panel).not_to_have_attribute("open", "")
    # Folded, it forgets the question: opened again it starts from the top.
    summary.click()
    expect(door.get_by_role("button", name="Yes, end the video meeting")).to_be_hidden()
    door.clock.run_for(21_000)
    expect(panel).not_to_have_attribute("open", "")
    expect(door.locator(".dnd-primary")).to_be_visible()
    with fast_app.app_context():
        assert service.open_session(room_id).state == "meeting"

    door.clock.resume()
    go_offline(door)
    measure(door, "meeting, offline (en)", sign=True, size=(800, 1280))
    check_offline(door, assert_valid_html, "door meeting, offline (en)")
    door.context.close()


def test_the_door_clock_keeps_the_servers_stockholm_time_while_offline(browser, fast_app, server, room):
    """A tablet set to another zone, whose network goes: the notice says since when,
    and the clock runs on in the server's time, in Stockholm."""
    room_id, _ = room
    start = (clock.now() + timedelta(minutes=1)).replace(second=0, microsecond=0)
    clock.freeze(start)  # the server's time stands at a whole minute; the page's runs on
    at_start = f"{clock.local(start):%H.%M}"
    three_later = f"{clock.local(start + timedelta(minutes=3)):%H.%M}"
    door = open_page(browser, server.url, timezone_id="America/Sao_Paulo", viewport={"width": 1280, "height": 800})
    door.goto("/pair")
    door.get_by_label("Kopplingskod").fill(code_for(fast_app, room_id=room_id))
    door.get_by_role("button", name="Koppla").click()
    door.wait_for_url(re.compile(r"/rooms/[^/]+/door$"), wait_until="load")
    to_state(fast_app, room_id, "preparing")
    to_state(fast_app, room_id, "meeting")
    expect(door.locator(".dnd-primary")).to_be_visible(timeout=FOLLOW_MS)
    door_clock = door.locator(".door-clock time")
    expect(door_clock).to_have_text(at_start)
    go_offline(door)
    expect(door.locator("#offline-notice")).to_contain_text(f"sedan {at_start}")
    door.clock.run_for(3 * 60_000 + 5_000)
    expect(door_clock).to_have_text(three_later)
    expect(door.locator(".dnd-primary")).to_have_text(SIGN_SV)
    measure(door, "meeting, offline three minutes", sign=True, size=(1280, 800))
    door.context.close()


def test_a_guide_from_the_door_returns_to_the_sign_and_one_tap_does_not_end(
        browser, fast_app, server, room, assert_valid_html):
    room_id, _ = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    door.set_viewport_size({"width": 1280, "height": 800})
    to_state(fast_app, room_id, "preparing", console_attached=False)  # run from the door: its controls
    to_state(fast_app, room_id, "meeting")
    expect(door.locator(".dnd-primary")).to_be_visible(timeout=FOLLOW_MS)
    check_page(door, assert_valid_html, "door meeting")

    # One tap on "end" only opens the question; the sign stays through the next polls.
    door.get_by_text(CONTROLS).click()
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


# The sign holds still: summed over the loads below, its shifts stay under this
# (measured: 0 to 0.001 on every size; drawn first at the CSS size and then fitted,
# it moved by 0.015 at 1280x800 and 0.09 upright).
STILL = 0.01


def test_the_sign_stands_still_from_its_first_paint(browser, fast_app, server, room):
    """door.js fits the sign's text after the page is drawn; the text waits
    unseen until then, so the door never moves after it appears (a person at the
    door sees the sign at its size at once), landscape and upright, and a new
    panel swapped in by a poll is fitted and shown the same way."""
    room_id, _ = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    door.context.add_init_script(script=SHIFT_LISTENER)
    to_state(fast_app, room_id, "preparing")
    to_state(fast_app, room_id, "meeting")
    for width, height in ((1280, 800), (800, 1280), (1080, 1920)):
        door.set_viewport_size({"width": width, "height": height})
        door.goto("/rooms/videorum-1/door")
        shift = door.evaluate(SETTLED_SHIFT)
        assert shift < STILL, f"{width}x{height}: the door moves after it appears (layout shift {shift:.3f})"
        expect(door.locator(".dnd-primary")).to_be_visible()
        measure(door, f"still {width}x{height}", sign=True, size=(width, height))
    # A poll's new panel (the meeting extended): the sign is there again, fitted, not moved.
    before = door.locator(".dnd-expected").inner_text()
    with fast_app.app_context():
        service.extend(room_id, Actor("test"))
    expect(door.locator(".dnd-expected")).not_to_have_text(before, timeout=FOLLOW_MS)
    door.wait_for_function("() => !document.querySelector('#door-panel .dnd-text.is-fitting')", timeout=FOLLOW_MS)
    assert door.evaluate(SETTLED_SHIFT) < STILL
    door.context.close()
