"""Helpers the browser tests share: a page paired as a door or a board, a
page checked (Nu, axe-core, console), an administrator logged in, a console
window and the keyboard."""

import re

from playwright.sync_api import expect

from kiosk.extensions import db
from kiosk.models import Room
from tests.browser_support import assert_accessible, assert_no_console_errors, open_page

SIGN_SV = "Här pågår videomöte - var god stör ej"
POLL = 1  # seconds: a fast poll keeps these tests short
# How long a board or door may take to follow a change: a few polls, loose enough for a
# loaded CI machine (the point is that it follows without a reload, not how fast).
FOLLOW_MS = 6 * POLL * 1000

# Every layout shift the page makes without the person's input (what CLS sums),
# from the first paint on: an init script for the page's context.
SHIFT_LISTENER = """
window.__layoutShift = 0;
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) { if (!e.hadRecentInput) { window.__layoutShift += e.value; } });
}).observe({type: "layout-shift", buffered: true});
"""
# Read once the page's deferred scripts have run and two frames have been drawn after them.
SETTLED_SHIFT = """() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(
  () => setTimeout(() => done(window.__layoutShift || 0), 50))))"""

# The words of the admin pages the browser tests click, in both languages.
WORDS = {
    "sv": {"email": "E-postadress", "password": "Lösenord", "login": "Logga in", "pair": "Ta fram kod för dörrskärm",
           "create": "Skapa konto", "room_name": "Rummets namn", "create_room": "Skapa rum", "reset": "Nytt lösenord",
           "my_account": "Mitt konto", "current": "Nuvarande lösenord", "new": "Nytt lösenord",
           "repeat": "Nytt lösenord en gång till", "change": "Byt lösenord"},
    "en": {"email": "E-mail address", "password": "Password", "login": "Log in", "pair": "Get a code for a door tablet",
           "create": "Create account", "room_name": "Name of the room", "create_room": "Create room",
           "reset": "New password", "my_account": "My account", "current": "Current password",
           "new": "New password", "repeat": "New password again", "change": "Change password"},
}


def code_for(app, room_id=None, unit_id=None):
    from kiosk.models import Unit
    from kiosk.rooms import pairing

    with app.app_context():
        if room_id:
            r = db.session.get(Room, room_id)
            return pairing.format_code(pairing.new_code("door", r.unit, r, actor="test"))
        return pairing.format_code(pairing.new_code("board", db.session.get(Unit, unit_id), None, actor="test"))


def pair_page(browser, server, code, lang="sv"):
    page = open_page(browser, server.url)
    page.goto(f"/pair?lang={lang}")
    page.get_by_label("Kopplingskod" if lang == "sv" else "Pairing code").fill(code)
    page.get_by_role("button", name="Koppla" if lang == "sv" else "Pair").click()
    # The click starts a chain of redirects (POST /pair, /door, the room's door); a test
    # that acts before the chain has landed races the navigation ("not attached").
    page.wait_for_url(re.compile(r"/(rooms/[^/]+/door|board)(\?.*)?$"), wait_until="load")
    expect(page.locator("[data-panel]").first).to_be_attached()
    return page


def check_page(page, assert_valid_html, label):
    html = page.request.get(page.url).text()
    assert_valid_html(html, label)
    assert_accessible(page, label)
    assert_no_console_errors(page, label)


def log_in_page(page, account, lang="sv"):
    words = WORDS[lang]
    page.goto(f"/admin/login?lang={lang}")
    page.get_by_label(words["email"]).fill(account.email)
    page.get_by_label(words["password"], exact=True).fill(account.password)
    page.get_by_role("button", name=words["login"], exact=True).click()
    page.wait_for_url("**/admin/")


def console_page(browser, server, lang="sv"):
    """A fresh browser window the size of a console beside the video tool."""
    return open_page(browser, server.url, viewport={"width": 480, "height": 900})


def tab_to(page, name: str, limit: int = 60) -> None:
    """Press Tab until the focused control's text contains ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if name in page.evaluate("document.activeElement ? document.activeElement.textContent : ''"):
            return
    raise AssertionError(f"no control named {name!r} reached by Tab")
