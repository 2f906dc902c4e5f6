"""Checklists, guides, search and the device check as a person meets them in
Chromium: accessible (axe-core), valid HTML (Nu), keyboard usable, touch
targets of at least 44 px, ticking without reload, the no-show procedure on a
moved clock, and the device check with Chromium's fake camera and microphone."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser_support import assert_accessible, assert_no_console_errors, open_page

pytestmark = pytest.mark.browser

WAIT = 10_000  # ms: the longest any expectation below may take
CHECKLISTS = ["suitability", "identity", "equipment", "environment", "dress", "meeting-start", "ending"]
GUIDES = ["no-show", "connection-problems", "call-broken", "phone-call", "two-screens", "login",
          "functions", "support", "responsibility"]
PAGES = (["/checklists/"] + [f"/checklists/{k}" for k in CHECKLISTS] + ["/guides/"]
         + [f"/guides/{k}" for k in GUIDES] + ["/check/devices", "/search", "/search?q=ljud"])

# Every control in <main> a finger can hit: at least 44 x 44 CSS pixels.
SMALL_TARGETS = """
() => Array.from(document.querySelectorAll('main a, main button, main input, main select, main textarea, main summary'))
  .filter(el => !el.closest('[hidden], .visually-hidden'))
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.width > 0 && r.height > 0 && (r.width < 44 || r.height < 44))
  .map(([el, r]) => `${Math.round(r.width)}x${Math.round(r.height)} ${el.outerHTML.slice(0, 100)}`)
"""


@pytest.fixture
def app(make_app):
    """The app, its no-show panel polling every second so a moved clock shows soon."""
    return make_app(POLL_SECONDS=1)


def assert_big_targets(page, label):
    small = page.evaluate(SMALL_TARGETS)
    assert not small, f"touch targets under 44 px on {label}:\n" + "\n".join(small)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_checklist_and_guide_page_passes_axe_and_nu(page, lang, assert_valid_html):
    for path in PAGES:
        url = f"{path}{'&' if '?' in path else '?'}lang={lang}"
        response = page.goto(url)
        assert response.status == 200, url
        assert page.locator("html").get_attribute("lang") == lang
        assert_valid_html(response.text(), url)
        assert_accessible(page, url)
        assert_big_targets(page, url)
        assert_no_console_errors(page, url)


def test_ticking_an_item_updates_the_progress_without_reload(page):
    page.goto("/checklists/environment")
    page.evaluate("window.stillTheSamePage = true")
    progress = page.locator("#progress-environment")
    item = page.get_by_role("checkbox", name="Ansiktet är väl belyst")
    expect(item).to_have_attribute("aria-checked", "false")
    item.click()
    expect(progress).to_contain_text("1 av 5 avbockade.")
    expect(item).to_have_attribute("aria-checked", "true")
    # The swapped item keeps the focus, so the keyboard goes on where it was.
    expect(page.locator("#tick-environment-lighting")).to_be_focused()
    page.keyboard.press("Space")
    expect(progress).to_contain_text("0 av 5 avbockade.")
    expect(item).to_have_attribute("aria-checked", "false")
    assert page.evaluate("window.stillTheSamePage") is True
    assert_no_console_errors(page)


def test_an_item_marked_does_not_apply_by_keyboard_leaves_the_count(page, assert_valid_html):
    page.goto("/checklists/identity")
    progress = page.locator("#progress-identity")
    toggle = page.get_by_role("button", name=re.compile(r"^Gäller inte\s+–\s+Vid barn: vårdnadshavaren loggar in"))
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(progress).to_contain_text("0 av 3 avbockade. (1 gäller inte.)")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#na-identity-child-guardian")).to_be_focused()
    expect(page.locator("#item-identity-child-guardian")).to_contain_text("gäller inte i det här mötet")
    assert_accessible(page, "identity with an item that does not apply")
    assert_valid_html(page.content(), "identity with an item that does not apply")
    # Ticking it instead: the checkbox wins, the toggle lets go.
    page.get_by_role("checkbox", name=re.compile("^Vid barn: vårdnadshavaren")).click()
    expect(progress.locator(".progress-text")).to_have_text("1 av 4 avbockade.")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert_no_console_errors(page)


def test_a_whole_checklist_by_keyboard_and_reset(page):
    page.goto("/checklists/dress")
    page.get_by_role("checkbox", name="Arbetsklädsel eller lämplig klädsel").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#progress-dress")).to_contain_text("1 av 2 avbockade.")
    page.get_by_role("checkbox", name="Namnskylt med titel syns i bild").focus()
    page.keyboard.press("Space")
    expect(page.locator("#progress-dress")).to_contain_text("2 av 2 avbockade. Alla punkter är avbockade.")
    # The ticks are in this browser's session: a reload keeps them.
    page.reload()
    expect(page.locator("#progress-dress")).to_contain_text("2 av 2 avbockade.")
    page.get_by_role("button", name="Nollställ checklistan").click()
    expect(page.locator("#progress-dress")).to_contain_text("0 av 2 avbockade.")
    expect(page.get_by_role("button", name="Nollställ checklistan")).to_be_focused()
    assert_accessible(page, "dress after reset")
    assert_no_console_errors(page)


def test_suitability_answered_yes_and_no_by_keyboard(page, assert_valid_html):
    """Four questions with Ja/Nej (R3); a Nej says the visit is not suitable and
    what to book instead; the journal items stand apart (issue 12)."""
    page.goto("/checklists/suitability")
    progress = page.locator("#progress-suitability")
    expect(page.locator(".answers[role=group]")).to_have_count(4)
    group = page.get_by_role("group", name="Digital vårdtjänst är lämplig för den här patienten")
    no = group.get_by_role("button", name="Nej")
    no.focus()
    page.keyboard.press("Enter")
    expect(no).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#no-suitability-suits-patient")).to_be_focused()
    item = page.locator("#item-suitability-suits-patient")
    expect(item).to_contain_text("lämpar sig besöket inte för ett digitalt vårdmöte")
    expect(item).to_contain_text("Boka ett fysiskt besök i stället.")
    expect(progress).to_contain_text("Besvarad med nej:")
    assert_accessible(page, "suitability with a no")
    assert_valid_html(page.content(), "suitability with a no")
    assert_big_targets(page, "suitability with a no")
    # The journal items come after the questions, under their own heading, as ticks.
    headings = page.locator("h3.ticks-heading")
    expect(headings).to_have_text(["Frågor att besvara med ja eller nej", "Bokning och journal"])
    journal = page.get_by_role("checkbox", name=re.compile("^Journalför som vid ett vanligt besök"))
    assert journal.bounding_box()["y"] > page.locator("#item-suitability-follow-up").bounding_box()["y"]
    # Yes instead: the no lets go, the message goes.
    group.get_by_role("button", name="Ja").click()
    expect(page.locator("#yes-suitability-suits-patient")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#no-suitability-suits-patient")).to_have_attribute("aria-pressed", "false")
    expect(item).not_to_contain_text("lämpar sig besöket inte")
    expect(progress.locator(".progress-text")).to_have_text("1 av 6 avbockade.")
    assert_no_console_errors(page)


def test_identity_needs_one_alternative_ticked(page, assert_valid_html):
    page.goto("/checklists/identity?lang=en")
    progress = page.locator("#progress-identity")
    for key in ("bankid", "without-bankid", "proxy", "child-guardian", "child-journal"):
        page.locator(f"#na-identity-{key}").click()
        expect(page.locator(f"#na-identity-{key}")).to_have_attribute("aria-pressed", "true")
    expect(progress.locator(".progress-text")).to_contain_text("0 of 1 ticked.")
    expect(progress).to_contain_text("Not done yet: The patient's identity is ensured")
    expect(progress).not_to_contain_text("Every item is ticked.")
    assert_accessible(page, "identity, every item does not apply")
    assert_valid_html(page.content(), "identity, every item does not apply")
    page.get_by_role("checkbox", name=re.compile("^Without BankID")).click()
    expect(progress).to_contain_text("1 of 1 ticked.")
    expect(progress).to_contain_text("Every item is ticked.")
    assert_no_console_errors(page)


def test_no_show_flow_from_countdown_to_the_voicemail_text(page, frozen_clock, assert_valid_html):
    page.goto("/guides/no-show")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("button", name="Mötet skulle börja nu").click()
    panel = page.locator("#no-show-panel")
    expect(panel).to_contain_text("Väntar på att patienten ska ansluta")
    # Minutes and seconds as Swedish writes a time of day (i18n.countdown), ticking in the page.
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^4\.[0-5]\d$"))
    assert_accessible(page, "no-show waiting")
    assert "Ring patienten" not in panel.inner_text()

    # The server's clock decides: move it, and the polling panel turns.
    frozen_clock.advance(timedelta(minutes=5))
    expect(page.get_by_role("alert")).to_contain_text("Ring patienten", timeout=WAIT)
    expect(page.get_by_role("heading", name="Ring upp patienten")).to_be_focused()
    assert_accessible(page, "no-show call")

    page.get_by_role("button", name="Patienten svarade inte").click()
    expect(page.get_by_role("heading", name="Tala in ett meddelande")).to_be_visible()
    page.get_by_label("Ditt namn").fill("Anna Andersson")
    page.get_by_label("Din titel").fill("Sjuksköterska")
    page.get_by_label("Mottagning").fill("Vårdcentralen Lunden")
    page.get_by_role("button", name="Fyll i texterna").click()
    expect(page.locator("#script-voicemail")).to_have_text(
        "Hej, det här är Anna Andersson, Sjuksköterska på Vårdcentralen Lunden vid Regionhälsan. "
        "Vi hade ett bokat digitalt vårdmöte i dag kl. 10.00. "
        "Jag har försökt starta mötet på utsatt tid men har inte fått något svar. "
        "Avgift kommer att tas ut för uteblivet besök. Hej då.")
    expect(page.locator("#script-journal-no-show")).to_contain_text(
        "Digitalt vårdmöte bokat 2026-11-26 kl. 10.00 kunde inte genomföras.")
    expect(page.locator("#script-journal-no-show")).to_contain_text("/Anna Andersson, Sjuksköterska")
    expect(page.get_by_role("button", name=re.compile("^Kopiera.*Röstmeddelande"))).to_be_visible()
    assert_accessible(page, "no-show voicemail")
    assert_valid_html(page.content(), "no-show voicemail (DOM)")

    page.get_by_role("button", name="Journalanteckningen är gjord").click()
    expect(page.locator(".outcome")).to_contain_text("patienten uteblev och rutinen är följd")
    expect(page.locator("#script-voicemail")).to_contain_text("Anna Andersson")
    assert page.evaluate("window.stillTheSamePage") is True
    assert_no_console_errors(page)


def test_no_show_bad_time_shows_the_message_in_the_panel(page):
    page.goto("/guides/no-show?lang=en")
    page.get_by_role("button", name="Start the countdown").click()
    expect(page.locator("#booked-time-error")).to_have_text(re.compile("Enter the booked start time"))
    expect(page.get_by_label("Booked start time today")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "no-show error")
    # htmx shows our 400 on purpose; the browser still logs the status.
    page.watch.take()


def test_live_search_filters_without_reload(page):
    page.goto("/checklists/")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Sök bland alla sidor").fill("BankID")
    results = page.locator("#search-results")
    expect(results.locator(".hit-title")).to_have_text(["Identitet och deltagare Checklista", "Tolk, anhörig eller ombud i mötet Guide"])
    expect(page.locator("#search-status")).to_have_text("2 träffar för ”BankID”.")
    page.get_by_label("Sök bland alla sidor").fill("")
    expect(results.get_by_role("link", name="Patienten ansluter inte")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    assert_no_console_errors(page)


# ---- the device check with fake media devices ---------------------------------


def test_device_check_with_fake_media_reports_everything_working(media_browser, live_server):
    page = open_page(media_browser, live_server.url)
    try:
        page.goto("/check/devices")
        sent = []
        page.on("request", lambda request: sent.append(f"{request.method} {request.url}"))
        expect(page.get_by_text("Testet behöver JavaScript i Google Chrome.")).to_be_hidden()

        page.get_by_role("button", name="Starta testet").click()
        expect(page.locator("#camera-status [data-status-text]")).to_have_text("Fungerar")
        expect(page.locator("#microphone-status [data-status-text]")).to_have_text("Fungerar")
        assert page.evaluate("document.querySelector('video').videoWidth") > 0
        assert page.evaluate("document.querySelector('meter').value") > 0

        expect(page.get_by_role("button", name="Jag hörde ljudet")).to_be_hidden()
        page.get_by_role("button", name="Spela testljud").click()
        page.get_by_role("button", name="Jag hörde ljudet").click()
        expect(page.locator("#sound-status [data-status-text]")).to_have_text("Fungerar")
        expect(page.locator("[data-devices-help]")).to_be_hidden()
        assert_accessible(page, "device check running")

        # When something fails, the page says so and gives VGR IT's number (R21).
        page.get_by_role("button", name="Jag hörde inget").click()
        expect(page.locator("#sound-status [data-status-text]")).to_have_text("Fungerar inte")
        help_box = page.locator("[data-devices-help]")
        expect(help_box).to_be_visible()
        expect(help_box.get_by_role("link", name="010-47 37 100")).to_have_attribute("href", "tel:+46104737100")

        page.get_by_role("button", name="Stäng av kamera och mikrofon").click()
        expect(page.get_by_role("button", name="Starta testet")).to_be_enabled()
        # Nothing but the browser's own favicon fetch: the check sends nothing.
        assert [r for r in sent if "/static/favicon.svg" not in r or not r.startswith("GET ")] == [], sent
        assert_no_console_errors(page, "device check")
    finally:
        page.context.close()


def test_device_check_says_does_not_work_when_access_is_denied(new_page):
    """A clinician who says no to the browser's question: both fail, the page
    says why and gives VGR IT's number (R21)."""
    page = new_page()
    page.context.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('no', 'NotAllowedError'));")
    page.goto("/check/devices?lang=en")
    page.get_by_role("button", name="Start the test").click()
    for part in ("camera", "microphone"):
        expect(page.locator(f"#{part}-status [data-status-text]")).to_have_text("Does not work")
        expect(page.locator(f"#{part}-reason")).to_contain_text("was not allowed to use the camera or microphone")
    help_box = page.locator("[data-devices-help]")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("VGR IT")
    expect(help_box.get_by_role("link", name="010-47 37 100")).to_have_attribute("href", "tel:+46104737100")
    assert_accessible(page, "device check failed")
    assert_no_console_errors(page, "device check failed")
