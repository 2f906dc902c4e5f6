"""The room console in Chromium (issue 11): a whole visit run from a narrow
console window by keyboard alone, with the door (1280x800) and the board
following it, and the console checked by axe-core and the Nu checker in every
state, in Swedish and English."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import FOLLOW_MS, POLL, SIGN_SV, check_page, code_for, console_page, pair_page, tab_to

pytestmark = pytest.mark.browser


@pytest.fixture
def fast_app(make_app):
    """The shared fast poll, with htmx's production timeout: on a loaded machine a
    poll that takes over 2 s logged an error the page checks count as a fault."""
    return make_app(POLL_SECONDS=POLL, HTMX_TIMEOUT_MS=8000)


def checked_in_with_console(browser, server, fast_app, room):  # noqa: F811
    """Check in at the door of ``room`` and claim the visit's console with the
    code the door shows (through the claim link, as the QR code gives it)."""
    room_id, _ = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    door.get_by_role("button", name="Checka in och förbered rummet").click()
    code = door.locator(".console-code-value strong").inner_text()
    console = console_page(browser, server)
    console.goto(f"/console?code={code}")
    console.get_by_role("button", name="Koppla", exact=True).click()
    console.wait_for_url(re.compile(r"/rooms/videorum-1/console$"), wait_until="load")
    return door, console


def focused_id(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def assert_focus_on(page, wanted: str, within_ms: int = 2000) -> None:
    """The keyboard focus is on the element with id ``wanted`` (after the swap has
    settled), and stays there over the next poll."""
    deadline = within_ms / 100
    for _ in range(int(deadline)):
        if focused_id(page) == wanted:
            break
        page.wait_for_timeout(100)
    assert focused_id(page) == wanted, f"focus on {focused_id(page)!r}, not {wanted!r}"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_visit_run_from_the_console_by_keyboard(browser, fast_app, server, room, assert_valid_html, lang):  # noqa: F811
    sv = lang == "sv"
    room_id, unit_id = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    door.set_viewport_size({"width": 1280, "height": 800})
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))

    door.get_by_role("button", name="Checka in och förbered rummet").click()
    code = door.locator(".console-code-value strong").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{3}-[A-Z0-9]{3}", code)
    expect(board.locator(".board-progress").first).to_contain_text("0 av 13", timeout=FOLLOW_MS)

    console = console_page(browser, server)
    console.goto(f"/console?lang={lang}")
    check_page(console, assert_valid_html, f"console claim ({lang})")
    console.get_by_label("Kod från dörren" if sv else "Code from the door").focus()
    console.keyboard.type(code)
    console.keyboard.press("Enter")
    console.wait_for_url(re.compile(r"/rooms/videorum-1/console$"), wait_until="load")
    expect(console.locator("#console-panel")).to_be_attached()
    check_page(console, assert_valid_html, f"console preparing ({lang})")
    expect(door.locator(".console-note")).to_be_visible(timeout=FOLLOW_MS)
    expect(board.locator(".board-console").first).to_be_visible(timeout=FOLLOW_MS)

    # The readiness list by keyboard: Enter on each item ticks it.
    ticks = console.locator("button.tick")
    total = ticks.count()
    assert total == 13
    for n in range(1, total):
        # Each tick by keyboard: focus the item, press Enter; after the swap the focus
        # is still on the item that was ticked (same id, now marked done).
        ticks.nth(n - 1).focus()
        used = ticks.nth(n - 1).get_attribute("id")
        console.keyboard.press("Enter")
        expect(console.locator(".readiness-progress")).to_contain_text(f"{n} {'av' if sv else 'of'} {total}")
        assert_focus_on(console, used)
        if n == 1:
            expect(door.locator("#readiness-progress")).to_contain_text("1 av 13", timeout=FOLLOW_MS)
    ticks.nth(total - 1).focus()
    console.keyboard.press("Enter")  # the last item starts the meeting
    expect(console.locator(".console-meeting")).to_be_attached()
    check_page(console, assert_valid_html, f"console meeting ({lang})")
    expect(door.locator(".dnd-primary")).to_be_visible(timeout=FOLLOW_MS)
    expect(board.locator(".state-meeting").first).to_be_visible(timeout=FOLLOW_MS)

    tab_to(console, "Avsluta videomötet" if sv else "End the video meeting")
    console.keyboard.press("Enter")  # opens the confirmation; the meeting runs on
    expect(console.locator(".console-meeting")).to_be_attached()
    check_page(console, assert_valid_html, f"console end confirmation ({lang})")
    tab_to(console, "Ja, avsluta videomötet" if sv else "Yes, end the video meeting")
    console.keyboard.press("Enter")
    expect(console.locator(".console-wrapup")).to_be_attached()
    check_page(console, assert_valid_html, f"console wrap-up ({lang})")
    expect(door.locator(".door-wrapup")).to_be_attached(timeout=FOLLOW_MS)

    tab_to(console, "Mötet genomfördes" if sv else "The meeting was held")
    console.keyboard.press("Enter")
    expect(console.locator("#wrapup-unticked")).to_be_visible()  # nothing ticked: asked once
    check_page(console, assert_valid_html, f"console wrap-up, nothing ticked ({lang})")
    tab_to(console, "Mötet genomfördes" if sv else "The meeting was held")
    console.keyboard.press("Enter")
    expect(console.locator(".console-ended")).to_be_visible()
    check_page(console, assert_valid_html, f"console ended ({lang})")
    expect(door.locator(".door-free")).to_be_attached(timeout=FOLLOW_MS)
    expect(board.locator(".state-free").first).to_be_visible(timeout=FOLLOW_MS)


def _mark_page(page) -> None:
    """A marker that a full page load would wipe: a native form post (htmx not yet
    bound to a freshly swapped form) reloads the page and drops the focus."""
    page.evaluate("window.__sameDocument = true")


def _same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def _tick_all_by_enter(page, surface: str, progress, of_word: str) -> None:
    ticks = page.locator("button.tick")
    total = ticks.count()
    assert total == 13
    _mark_page(page)
    for n in range(1, total):
        button = ticks.nth(n - 1)
        used = button.get_attribute("id")
        assert used and used.startswith("tick-")  # the one item markup of every checklist
        action = button.locator("xpath=ancestor::form[1]").get_attribute("action")
        assert ("/console/checklists/" in action) == (surface == "console"), action  # the surface's tick route
        button.focus()
        page.keyboard.press("Enter")
        expect(progress).to_contain_text(f"{n} {of_word} {total}")
        expect(page.locator(f"#{used}")).to_have_attribute("aria-checked", "true")
        # Focus on the ticked item at once (htmx keeps it by id during the swap) ...
        assert focused_id(page) == used, f"tick {n}: focus on {focused_id(page)!r}, not {used!r}"
        # ... and still after the next poll has come and gone.
        if n % 4 == 0:
            page.wait_for_timeout(1200)
            assert focused_id(page) == used, f"tick {n} after a poll: focus on {focused_id(page)!r}"
        assert _same_document(page), f"tick {n} reloaded the page"


def test_focus_stays_on_the_ticked_item(browser, fast_app, server, room):  # noqa: F811
    """After every Enter on the readiness list, on the console and on the door,
    the focus is on the item that was ticked; the last tick (the meeting starts)
    moves it to the new state's heading. The polls (every second here) race the
    ticks all the way."""
    room_id, _ = room
    door, console = checked_in_with_console(browser, server, fast_app, room)
    _tick_all_by_enter(console, "console", console.locator(".readiness-progress"), "av")
    last = console.locator("button.tick").last
    last.focus()
    console.keyboard.press("Enter")
    expect(console.locator(".console-meeting")).to_be_attached()
    assert focused_id(console) == "console-heading"
    assert _same_document(console)

    # The meeting's own checklists (the checklists' component, over the room session):
    # Enter ticks an item, the focus stays on it, the progress follows.
    for n, item in enumerate(("call", "eye-contact", "introduce"), start=1):
        button = console.locator(f"#tick-meeting-start-{item}")
        button.focus()
        console.keyboard.press("Enter")
        expect(button).to_have_attribute("aria-checked", "true")
        expect(console.locator("#progress-meeting-start")).to_contain_text(f"{n} av 6")
        assert focused_id(console) == f"tick-meeting-start-{item}"
    console.wait_for_timeout(1500)  # the console's poll re-renders the panel: the focus stays
    assert focused_id(console) == "tick-meeting-start-introduce" and _same_document(console)
    na = console.locator("#na-identity-bankid")
    na.focus()
    console.keyboard.press("Enter")
    expect(na).to_have_attribute("aria-pressed", "true")
    assert focused_id(console) == "na-identity-bankid"

    # The door of a room run without a console: the same list, the same focus.
    expect(door.locator(".dnd-primary")).to_be_visible(timeout=FOLLOW_MS)
    with fast_app.app_context():
        from kiosk.rooms import service
        from kiosk.rooms.service import Actor

        service.end_meeting(room_id, Actor("test"))
        service.finish(room_id, Actor("test"), "held")
    expect(door.locator(".door-free")).to_be_attached(timeout=FOLLOW_MS)
    door.get_by_role("button", name="Checka in och förbered rummet").click()
    door.locator("#door-readiness > summary").click()  # the list is folded on the door (a sign first)
    expect(door.locator("button.tick").first).to_be_visible()
    _tick_all_by_enter(door, "door", door.locator("#readiness-progress"), "av")


def test_an_item_pressed_right_after_a_swap_is_ticked_in_place(browser, fast_app, server, room):  # noqa: F811
    """The cause of the lost focus: htmx binds a swapped-in form only when the swap
    settles (20 ms later by default); an Enter in between posted the form natively,
    reloaded the page and left the focus on the body. The panels swap with
    settle:0ms, so the new list is live the moment it is shown."""
    room_id, _ = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    door.get_by_role("button", name="Checka in och förbered rummet").click()
    door.locator("#door-readiness > summary").click()  # the list is folded on the door (a sign first)
    expect(door.locator("button.tick").first).to_be_visible()
    _mark_page(door)
    door.evaluate("""() => { document.addEventListener('htmx:afterSwap', function once() {
        document.removeEventListener('htmx:afterSwap', once);
        setTimeout(function () { var b = document.querySelectorAll('button.tick')[1]; b.focus(); b.click(); }, 0);
    }); }""")
    door.locator("button.tick").first.focus()
    door.keyboard.press("Enter")
    expect(door.locator("#readiness-progress")).to_contain_text("2 av 13")
    assert _same_document(door), "the second item was posted natively (page reloaded)"
    assert focused_id(door) == door.locator("button.tick").nth(1).get_attribute("id")


def test_the_console_offline_keeps_its_state_and_says_what_was_not_saved(browser, fast_app, server, room):  # noqa: F811
    """Issue 11, item 7: with the server out of reach the console keeps its last
    state and says since when; a tick that fails is shown as not saved (never as
    saved); both go when the server answers again."""
    room_id, _ = room
    _door, console = checked_in_with_console(browser, server, fast_app, room)
    first = console.locator("button.tick").first
    first.focus()
    console.keyboard.press("Enter")
    expect(console.locator(".readiness-progress")).to_contain_text("1 av 13")

    console.route("**/rooms/videorum-1/console/**", lambda route: route.abort())
    second = console.locator("button.tick").nth(1)
    second.focus()
    console.keyboard.press("Enter")
    expect(console.locator("#messages")).to_contain_text("Ingen kontakt med servern. Inget har ändrats")
    expect(second).to_have_class(re.compile(r"is-unsaved"))
    expect(second).to_have_attribute("aria-checked", "false")
    expect(console.locator(".readiness-progress")).to_contain_text("1 av 13")  # never shown as saved
    notice = console.locator("#offline-notice")
    expect(notice).to_be_visible(timeout=FOLLOW_MS)
    expect(notice).to_contain_text(re.compile(r"Ingen kontakt med servern sedan \d\d[.:]\d\d"))
    expect(console.locator("#console-panel")).to_contain_text("Checklista innan mötet")  # the last state stays

    console.unroute("**/rooms/videorum-1/console/**")
    expect(notice).to_be_hidden(timeout=FOLLOW_MS)
    expect(console.locator("#messages")).not_to_contain_text("Ingen kontakt")
    expect(console.locator(".is-unsaved")).to_have_count(0)
    with fast_app.app_context():
        from kiosk.rooms import service

        assert len(service.ticks(service.open_session(room_id))) == 1  # the failed tick was not saved


def test_a_whole_visit_driven_from_the_console_in_three_windows(browser, fast_app, server, room,  # noqa: F811
                                                               assert_valid_html):
    """Issue 11's walk: the door (1280x800), the console (480x900) and the board
    follow one visit driven from the console - check in at the door, claim with
    the code, tick on the console while the door's progress follows, the sign
    turns on, the no-show timer reaches 5 minutes on a moved server clock, the
    voicemail and journal texts are filled and copied on the console's computer,
    the guide's outcome starts wrap-up with that answer, and the room is freed."""
    from datetime import timedelta

    from kiosk import clock

    room_id, unit_id = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    door.set_viewport_size({"width": 1280, "height": 800})
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    card = board.locator(".board-room", has_text="Videorum 1")

    door.get_by_role("button", name="Checka in och förbered rummet").click()
    code = door.locator(".console-code-value strong").inner_text()
    expect(card.locator(".state-word")).to_have_text("Förbereds för videomöte", timeout=FOLLOW_MS)
    console = console_page(browser, server)
    console.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    console.goto("/console")
    console.get_by_label("Kod från dörren").fill(code)
    console.get_by_role("button", name="Koppla", exact=True).click()
    console.wait_for_url(re.compile(r"/rooms/videorum-1/console$"), wait_until="load")
    expect(door.locator(".console-note")).to_be_visible(timeout=FOLLOW_MS)
    expect(card.locator(".board-console")).to_be_visible(timeout=FOLLOW_MS)

    ticks = console.locator("button.tick")
    total = ticks.count()
    for n in range(1, total + 1):
        console.locator('button.tick[aria-checked="false"]').first.click()
        if n < total:
            expect(console.locator(".readiness-progress")).to_contain_text(f"{n} av {total}")
        if n in (1, 7):
            expect(door.locator("#readiness-progress")).to_contain_text(f"{n} av {total}", timeout=FOLLOW_MS)
            expect(card.locator(".board-progress")).to_contain_text(f"{n} av {total}", timeout=FOLLOW_MS)
    expect(console.locator(".console-meeting")).to_be_attached()
    expect(door.locator(".dnd-primary")).to_have_text(SIGN_SV, timeout=FOLLOW_MS)
    expect(card.locator(".state-word")).to_have_text("Videomöte pågår", timeout=FOLLOW_MS)

    # The patient does not join: the no-show guide on the console, on the server's clock.
    console.locator("#console-guide-no-show").click()
    console.wait_for_url(re.compile(r"/rooms/videorum-1/console/guides/no-show$"))
    expect(console.locator(".site-header")).to_have_count(0)
    console.get_by_role("button", name="Mötet skulle börja nu").click()
    expect(console.get_by_text("Väntar på att patienten ska ansluta")).to_be_visible()
    expect(console.locator("[data-countdown]")).to_have_text(re.compile(r"^[45]\.\d\d$"))
    check_page(console, assert_valid_html, "console no-show guide, waiting")
    clock.advance(timedelta(minutes=5))  # the server's clock: the page asks and is told it is time
    expect(console.get_by_text("Ring patienten på det telefonnummer som står i bokningen")).to_be_visible(
        timeout=FOLLOW_MS)
    console.get_by_role("button", name="Patienten svarade inte").click()
    console.get_by_label("Ditt namn").first.fill("Anna Berg")
    console.get_by_label("Din titel").first.fill("sjuksköterska")
    console.get_by_label("Mottagning").first.fill("Hudmottagningen")
    console.get_by_role("button", name="Fyll i texterna").first.click()
    panel = console.locator("#no-show-panel")
    expect(panel).to_contain_text("Anna Berg")
    copy = panel.locator("[data-copy-target]").first
    expect(copy).to_be_visible()
    copy.click()
    expect(panel.locator(".copy-status").first).not_to_be_empty()
    copied = console.evaluate("navigator.clipboard.readText()")
    assert "Anna Berg" in copied and "Hudmottagningen" in copied  # on the console's own computer
    console.get_by_role("button", name="Journalanteckningen är gjord").click()

    # The loop closes: back on the console, wrap-up with the guide's answer; door and board follow.
    console.wait_for_url(re.compile(r"/rooms/videorum-1/console$"))
    expect(console.locator(".console-wrapup")).to_be_attached()
    expect(console.get_by_text("Utfall enligt guiden: Patienten anslöt inte.")).to_be_visible()
    expect(console.get_by_role("heading", name="Hur gick mötet?")).to_have_count(0)
    expect(door.locator(".door-wrapup")).to_be_attached(timeout=FOLLOW_MS)
    expect(card.locator(".state-word")).to_have_text("Upptaget – efterarbete", timeout=FOLLOW_MS)
    # A meeting that never happened asks no teach-back: the journal note and a new time.
    expect(console.locator("#checklist-ending button.tick")).to_have_count(2)
    expect(console.locator("#tick-ending-summarise")).to_have_count(0)
    console.locator("#tick-ending-new-time").click()
    expect(console.locator("#tick-ending-new-time")).to_have_attribute("aria-checked", "true")
    expect(console.locator("#progress-ending")).to_contain_text("1 av 2")
    check_page(console, assert_valid_html, "console wrap-up after a no-show")
    console.get_by_role("button", name="Klart – frigör rummet").click()
    expect(console.locator(".console-ended")).to_be_visible()
    expect(door.locator(".door-free")).to_be_attached(timeout=FOLLOW_MS)
    expect(card.locator(".state-word")).to_have_text("Ledigt", timeout=FOLLOW_MS)
