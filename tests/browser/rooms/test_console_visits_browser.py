"""The console through a clinic's day in Chromium: one console browser serves
three visits in a row (claimed per visit, and paired for good); in one of them
a passer-by's phone claims first, the clinician disconnects it at the door and
claims the new code, and the phone's next action lands on the page that says
it was disconnected. A knock at the door reaches the console within one poll.
The server's clock is frozen, so nothing depends on the hour or the weekday."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from kiosk import clock
from kiosk.extensions import db
from kiosk.i18n import local_time
from kiosk.models import Room
from kiosk.rooms import console as console_module
from kiosk.rooms import pairing, service
from tests.browser.helpers import FOLLOW_MS, POLL, check_page, code_for, console_page, pair_page
from tests.browser_support import open_page

pytestmark = pytest.mark.browser

# One poll, and the time a loaded machine takes to send, answer and swap it.
ONE_POLL_MS = POLL * 1000 + 1500
SLUG = "videorum-1"


def check_in(door) -> str:
    door.get_by_role("button", name="Checka in och förbered rummet").click()
    return door.locator(".console-code-value strong").inner_text()


def claim_by_qr(page, code: str) -> None:
    """The claim form as the QR code opens it: the code is filled in already."""
    page.goto(f"/console?code={code}")
    expect(page.locator("#claim-code")).to_have_value(code)
    page.get_by_role("button", name="Koppla", exact=True).click()
    page.wait_for_url(re.compile(rf"/rooms/{SLUG}/console$"), wait_until="load")
    expect(page.locator("#console-panel")).to_be_attached()


def run_the_meeting(console, door) -> None:
    """Skip the list (urgent), end with the confirmation, record the outcome."""
    console.get_by_text("Hoppa över checklistan").click()
    console.get_by_role("button", name="Brådskande möte").click()
    expect(console.locator(".console-meeting")).to_be_attached()
    expect(door.locator(".dnd-primary")).to_be_visible(timeout=FOLLOW_MS)
    console.locator("#console-confirm-end > summary").click()
    expect(console.locator(".console-meeting")).to_be_attached()  # the summary alone ends nothing
    console.get_by_role("button", name="Ja, avsluta videomötet").click()
    expect(console.locator(".console-wrapup")).to_be_attached()
    console.get_by_role("button", name="Mötet genomfördes").click()
    expect(console.locator("#wrapup-unticked")).to_be_visible()  # nothing ticked: asked once
    console.get_by_role("button", name="Mötet genomfördes").click()
    expect(door.locator(".door-free")).to_be_attached(timeout=FOLLOW_MS)


def test_one_console_browser_serves_three_visits_and_takes_the_console_back(
        browser, fast_app, server, room, frozen_clock, assert_valid_html):
    room_id, _ = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    door.set_viewport_size({"width": 1280, "height": 800})
    computer = console_page(browser, server)

    # Visit 1: the computer claims the door's code.
    claim_by_qr(computer, check_in(door))
    run_the_meeting(computer, door)
    expect(computer.locator(".console-ended #claim-code")).to_be_visible()  # the next visit's form, at once
    check_page(computer, assert_valid_html, "console ended, claim form (sv)")

    # Visit 2: a passer-by's phone claims first; the clinician takes the console back at the door.
    code = check_in(door)
    phone = open_page(browser, server.url, viewport={"width": 390, "height": 844})
    claim_by_qr(phone, code)
    expect(door.locator(".door-console .console-note")).to_contain_text("Besöket körs från en konsol sedan",
                                                                        timeout=FOLLOW_MS)
    check_page(door, assert_valid_html, "door with a console attached (sv)")
    # The phone's polls are held back, so what it meets next is its own action (a poll would tell it too).
    phone.route("**/console/poll*", lambda route: route.abort())
    door.locator("#door-confirm-disconnect > summary").click()
    door.get_by_role("button", name="Ja, koppla bort konsolen").click()
    fresh = door.locator(".console-code-value strong").inner_text()
    assert fresh != code
    computer.locator("#claim-code").fill(fresh)
    computer.get_by_role("button", name="Koppla", exact=True).click()
    computer.wait_for_url(re.compile(rf"/rooms/{SLUG}/console$"), wait_until="load")
    expect(computer.locator(".console-preparing")).to_be_attached()
    # The phone's next action is refused with the page that says it was disconnected.
    phone.get_by_role("button", name="Avbryt incheckningen").click()
    expect(phone.get_by_role("heading", name="Konsolen är bortkopplad")).to_be_visible()
    refused = phone.watch.take()  # the refused action's own 403 is the point (and the held-back polls)
    assert any("/console/cancel" in problem and "403" in problem for problem in refused), refused
    phone.unroute("**/console/poll*")
    check_page(phone, assert_valid_html, "console disconnected (sv)")
    expect(computer.locator(".console-preparing")).to_be_attached()  # the visit runs on

    # With the console attached the door offers a passer-by no step of the visit; the knock reaches the console.
    computer.get_by_text("Hoppa över checklistan").click()
    computer.get_by_role("button", name="Brådskande möte").click()
    expect(door.locator(".dnd-primary")).to_be_visible(timeout=FOLLOW_MS)
    expect(door.locator(f'form[action="/rooms/{SLUG}/end"]')).to_have_count(0)
    expect(door.locator(f'form[action="/rooms/{SLUG}/extend"]')).to_have_count(0)
    door.locator("#door-controls > summary").click()
    door.get_by_role("button", name="Någon väntar vid dörren").click()
    expect(door.locator("#door-knock-sent")).to_be_visible()
    notice = computer.locator("#knock-notice")
    expect(notice).to_contain_text("Någon väntar vid dörren", timeout=ONE_POLL_MS)
    assert computer.evaluate("document.activeElement && document.activeElement.closest('#knock-notice')") is None
    check_page(computer, assert_valid_html, "console with a knock (sv)")
    computer.get_by_role("button", name="Uppfattat").click()
    expect(notice).to_have_count(0)
    computer.locator("#console-confirm-end > summary").click()
    computer.get_by_role("button", name="Ja, avsluta videomötet").click()
    expect(computer.locator(".console-wrapup")).to_be_attached()
    computer.locator("#tick-ending-journal").click()
    expect(computer.locator("#tick-ending-journal")).to_have_attribute("aria-checked", "true")
    computer.get_by_role("button", name="Mötet genomfördes").click()  # something ticked: at once
    expect(door.locator(".door-free")).to_be_attached(timeout=FOLLOW_MS)

    # Visit 3: the same computer, the next code, from the QR's address.
    claim_by_qr(computer, check_in(door))
    run_the_meeting(computer, door)

    # The new states in English too.
    phone.goto(f"/rooms/{SLUG}/console?lang=en")
    expect(phone.get_by_role("heading", name="The console has been disconnected")).to_be_visible()
    check_page(phone, assert_valid_html, "console disconnected (en)")
    phone.context.close()


def test_a_computer_paired_for_good_follows_its_room_visit_after_visit(
        browser, fast_app, server, room, frozen_clock, assert_valid_html):
    room_id, _ = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    with fast_app.app_context():
        r = db.session.get(Room, room_id)
        code = pairing.format_code(pairing.new_code("console", r.unit, r, actor="test"))
    computer = console_page(browser, server)
    computer.goto("/pair")
    computer.get_by_label("Kopplingskod").fill(code)
    computer.get_by_role("button", name="Koppla", exact=True).click()
    computer.wait_for_url(re.compile(rf"/rooms/{SLUG}/console$"), wait_until="load")
    for visit in range(3):
        computer.get_by_role("button", name="Checka in och förbered rummet").click()
        expect(computer.locator(".console-preparing")).to_be_attached()
        expect(door.locator(".door-console .console-note")).to_be_visible(timeout=FOLLOW_MS)
        if visit == 1:
            door.get_by_role("button", name="Någon väntar vid dörren").click()
            expect(computer.locator("#knock-notice")).to_be_visible(timeout=ONE_POLL_MS)
            computer.goto(f"/rooms/{SLUG}/console?lang=en")
            expect(computer.locator("#knock-notice")).to_contain_text("Someone is waiting at the door")
            check_page(computer, assert_valid_html, "console with a knock (en)")
            computer.goto(f"/rooms/{SLUG}/console?lang=sv")
            computer.get_by_role("button", name="Uppfattat").click()
        if visit == 2:  # the patient has not joined: the countdown on the main page, in both languages
            with fast_app.app_context():  # the meeting was booked 80 s ago on the moved server clock
                service.record_no_show(room_id, service.Actor("test"), booked_at=clock.now() - timedelta(seconds=80))
            for lang, word, sep, call in (("en", "Countdown", ":", "call the patient at"), ("sv", "Nedräkning", ".", "ring upp")):
                with fast_app.test_request_context(f"/?lang={lang}"):
                    call_at = local_time(clock.now() + timedelta(seconds=220))
                computer.goto(f"/rooms/{SLUG}/console?lang={lang}")
                countdown = computer.locator("#console-countdown")
                expect(countdown).to_have_text(re.compile(
                    rf"^{word} 3{re.escape(sep)}[34]\d – {re.escape(call)} {re.escape(call_at)}$"))
                # The clock ticks in the page, written as the server writes it.
                expect(countdown.locator("[data-countdown]")).to_have_text(
                    re.compile(rf"^3{re.escape(sep)}3\d$"), timeout=FOLLOW_MS)
                check_page(computer, assert_valid_html, f"console with the no-show countdown ({lang})")
        run_the_meeting(computer, door)


MEASURE = """() => {
  const doc = document.documentElement;
  const bottom = sel => { const el = document.querySelector(sel); return el ? el.getBoundingClientRect().bottom : -1; };
  const buttons = [...document.querySelectorAll('.outcomes button')].map(b => b.getBoundingClientRect().bottom);
  return {height: doc.scrollHeight, viewport: innerHeight, lastItem: bottom('.ticks > li:last-child, .wrapup-items > li:last-child'),
          finish: buttons.length ? Math.max(...buttons) : -1};
}"""


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_wrap_up_fits_1280_by_800(browser, fast_app, server, room, frozen_clock, assert_valid_html, lang):
    """The console's wrap-up (its ending checklist and the finish buttons) and the
    door's own (a room with no console) need no scrolling on a 1280x800 screen."""
    room_id, _ = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id), lang=lang)
    door.set_viewport_size({"width": 1280, "height": 800})
    computer = open_page(browser, server.url, viewport={"width": 1280, "height": 800})
    with fast_app.app_context():
        actor = service.Actor("test")
        service.check_in(room_id, actor)
        code = console_module.format_code(console_module.new_code(room_id, actor))
    computer.goto(f"/console?code={code}")
    computer.locator("form.pair-form button[type=submit]").click()
    computer.wait_for_url(re.compile(rf"/rooms/{SLUG}/console$"), wait_until="load")
    with fast_app.app_context():
        service.start_meeting(room_id, actor, skip_reason="urgent")
        service.end_meeting(room_id, actor)
    computer.goto(f"/rooms/{SLUG}/console?lang={lang}")
    expect(computer.locator(".console-wrapup #checklist-ending")).to_be_attached()
    m = computer.evaluate(MEASURE)
    assert m["height"] <= 800 and 0 < m["lastItem"] <= 800 and 0 < m["finish"] <= 800, f"console wrap-up ({lang}): {m}"
    check_page(computer, assert_valid_html, f"console wrap-up at 1280x800 ({lang})")

    with fast_app.app_context():  # the next visit, run from the door alone
        service.finish(room_id, actor, "held")
        service.check_in(room_id, actor)
        service.start_meeting(room_id, actor, skip_reason="urgent")
        service.end_meeting(room_id, actor)
    door.goto(f"/rooms/{SLUG}/door?lang={lang}")
    expect(door.locator(".door-wrapup .wrapup-items")).to_be_attached()
    m = door.evaluate(MEASURE)
    assert m["height"] <= 800 and 0 < m["lastItem"] <= 800 and 0 < m["finish"] <= 800, f"door wrap-up ({lang}): {m}"
    computer.context.close()
