"""Every page of the kiosk in Chromium - public pages, the door in every
state, the board, the admin pages - with no Content Security Policy violation
and no console error: in Swedish on a 320x640 phone, where no page may scroll
sideways either (WCAG 1.4.10 reflow), and in English on a desk screen (1280 px);
on neither may a page move after it appears (the sum of its layout shifts, as
Lighthouse's CLS counts them, under 0.1). The two
sweeps between them open every page in each language and at each size; a third
(Swedish on a desk screen) covered no language or size the two do not, and took 7 %
of the browser suite's time (docs/decisions.md, "The speed goals, fourth pass").

Which pages there are comes from the app's URL map: a GET route that is
neither visited here nor listed in NOT_PAGES fails the test, so a new page
cannot be added without being checked.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from flask import url_for
from playwright.sync_api import expect
from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Room, Tablet, Unit
from kiosk.rooms import pairing, service
from kiosk.rooms.service import Actor
from tests.browser.helpers import SETTLED_SHIFT, SHIFT_LISTENER
from tests.browser_support import assert_no_console_errors
from tests.admin_support import PASSWORD

pytestmark = pytest.mark.browser

# GET routes that are not pages a person opens: files, data, polls, redirects.
NOT_PAGES = {
    "static", "printables.static", "printables.pdf", "main.healthz", "rooms.door_poll", "rooms.board_poll",
    "rooms.console_poll",
    "rooms.door", "admin.session_status", "admin.stats_csv", "admin.events_csv", "admin.stats_chart",
}
NOT_PAGES |= {"admin.stats_faults_csv", "admin.stats_faults_chart"}  # room health: data and images
# The service worker and the tablets' manifests are not pages (tests/browser/rooms/test_offline_start.py).
NOT_PAGES |= {"rooms.service_worker", "rooms.door_manifest", "rooms.board_manifest"}
NOT_PAGES |= {"admin.stats_bookings_csv", "admin.stats_bookings_chart"}  # the booking statistics' files
# A booking's patient letter is a PDF, read in tests/bookings/test_day_plan.py with pypdf (its text, /Lang).
NOT_PAGES |= {"printables.booking_letter"}
# Every CSP violation is also written to the console, where the page fixture collects errors.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI);
});
"""


# Lighthouse's "good": a page may move this little after it appears.
SHIFT_LIMIT = 0.1


def watch_csp(page) -> None:
    """Listen for CSP violations and sum layout shifts in every document of the page."""
    page.context.add_init_script(script=CSP_LISTENER)
    page.context.add_init_script(script=SHIFT_LISTENER)


def public_pages(content, printables) -> list[tuple[str, str]]:
    """The pages anybody opens (path, endpoint): the staff pages with the site's header."""
    pages = [("/", "main.index"), ("/about", "main.about"), ("/tillganglighet", "main.accessibility"),
             ("/search", "search.search"), ("/search?q=kamera", "search.search"),
             ("/check/devices", "devicecheck.devices"), ("/checklists/", "checklists.index"),
             ("/guides/", "guides.index"), ("/print/", "printables.index"), ("/pair", "rooms.pair"),
             ("/console", "rooms.console_home"), ("/rooms", "overview.index"),
             ("/rooms/videorum-1/day", "overview.room_day"),
             ("/admin/login", "admin.login")]
    pages += [(f"/checklists/{key}", "checklists.checklist") for key in content.checklists]
    pages += [(f"/guides/{key}", "guides.guide") for key in content.guides]
    pages += [(f"/print/{name}.html", "printables.preview") for name in printables]
    return pages


# A phone held upright, the narrowest width WCAG 1.4.10 asks a page to reflow to.
NARROW = {"width": 320, "height": 640}
# The document may be this much wider than the window before it scrolls: none.
NO_SIDEWAYS_SCROLL = """() => {
  const doc = document.documentElement;
  const wide = Array.from(document.querySelectorAll("body *"))
    .filter(e => e.getBoundingClientRect().right > doc.clientWidth + 1 && e.getClientRects().length)
    .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : ""));
  return {scroll: doc.scrollWidth - doc.clientWidth, wide};
}"""
REFLOW_FAULTS: list[str] = []
SHIFT_FAULTS: list[str] = []


def visit(page, path: str, lang: str, seen: set, endpoint: str, status: int = 200) -> None:
    """Open a page; fail on a CSP violation or a console error, and on a narrow
    page (the viewport of NARROW) on any sideways scrolling."""
    sep = "&" if "?" in path else "?"
    response = page.goto(f"{path}{sep}lang={lang}")
    assert response.status == status, f"{path}: {response.status}"
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__cspViolations || []")
    assert not violations, f"CSP violations on {path} ({lang}): {violations}"
    assert_no_console_errors(page, f"{path} ({lang})")
    shift = page.evaluate(SETTLED_SHIFT)
    if shift >= SHIFT_LIMIT:
        SHIFT_FAULTS.append(f"{path} ({lang}, {page.viewport_size['width']} px) moves: layout shift {shift:.3f}")
    if page.viewport_size and page.viewport_size["width"] <= NARROW["width"]:
        fit = page.evaluate(NO_SIDEWAYS_SCROLL)
        if fit["scroll"] > 0:  # collected, so one run names every page that does not fit
            REFLOW_FAULTS.append(f"{path} ({lang}) scrolls sideways by {fit['scroll']} px: {fit['wide']}")
    seen.add(endpoint)


def door_steps(room_id):
    """Each state of the door and how to get there from the one before (the state machine)."""
    actor = Actor("test")
    return [
        ("free", lambda: None),
        ("preparing", lambda: service.check_in(room_id, actor, name="Anna Andersson", title="Sjuksköterska")),
        ("meeting", lambda: service.start_meeting(room_id, actor, skip_reason="urgent")),
        ("meeting", lambda: clock.advance(timedelta(minutes=31))),  # overrun
        ("wrapup", lambda: service.end_meeting(room_id, actor)),
    ]


@pytest.mark.parametrize("lang, viewport", [("sv", NARROW), ("en", None)], ids=["sv-320", "en"])
def test_every_page_without_csp_violations_or_console_errors(admin_app, live_server, new_page, make_admin, lang,
                                                              viewport):
    app = admin_app
    options = {"viewport": viewport} if viewport else {}
    REFLOW_FAULTS.clear()
    SHIFT_FAULTS.clear()
    page_at = lambda: new_page(**options)  # noqa: E731  (the sweep's pages, all at one size)
    with app.app_context():
        unit = Unit(name="Hudmottagningen", slug="hud", show_clinician=True)
        room = Room(unit=unit, name="Videorum 1", slug="videorum-1", location="Plan 2")
        db.session.add_all([unit, room, Room(unit=unit, name="Videorum 2", slug="videorum-2")])
        db.session.commit()
        unit_id, room_id = unit.id, room.id
        content = app.extensions["kiosk_content"].get(lang)
        from printables.documents import catalogue

        printables = list(catalogue(content))
        door_code = pairing.format_code(pairing.new_code("door", unit, room, actor="test"))
        board_code = pairing.format_code(pairing.new_code("board", unit, None, actor="test"))
        console_code = pairing.format_code(pairing.new_code("console", unit, room, actor="test"))
        # A booking in three days: the lists of bookings (board, admin) and the room's day show it.
        from kiosk.bookings import service as bookings

        in_three_days = clock.today() + timedelta(days=3)
        bookings.create(room_id, Actor("test"), clock.wall(in_three_days, time(10)),
                        clock.wall(in_three_days, time(10, 30)), holder_name="Eva Ek")
    account = make_admin("global")
    seen: set[str] = set()

    # Public pages, as anybody.
    page = page_at()
    watch_csp(page)
    for path, endpoint in public_pages(content, printables):
        visit(page, path, lang, seen, endpoint)
    visit(page, "/no-such-page", lang, seen, "404", status=404)

    # The door in every state, and the board.
    door = page_at()
    watch_csp(door)
    door.goto(f"/pair?code={door_code}&lang={lang}")
    door.locator("form.pair-form button[type=submit]").click()
    door.wait_for_url("**/rooms/videorum-1/door")
    board = page_at()
    watch_csp(board)
    board.goto(f"/pair?code={board_code}&lang={lang}")
    board.locator("form.pair-form button[type=submit]").click()
    board.wait_for_url("**/board")
    console = new_page()  # the room's computer, paired for good as its console
    watch_csp(console)
    console.goto(f"/pair?code={console_code}&lang={lang}")
    console.locator("form.pair-form button[type=submit]").click()
    console.wait_for_url("**/rooms/videorum-1/console")

    with app.app_context():  # an open fault shows in every state of the door and console (issue 15)
        from kiosk.rooms import faults

        faults.report(room_id, Actor("test"), "camera", "Bilden fryser", "door")
    for state, step in door_steps(room_id):
        with app.app_context():
            step()
        visit(door, "/rooms/videorum-1/door", lang, seen, "rooms.door_panel")
        assert door.locator(f"#door-panel.door-{state}").count() == 1, state  # in a meeting the sign, no state box
        visit(console, "/rooms/videorum-1/console", lang, seen, "rooms.console_page")
        assert console.locator(f".console-{state}").count() >= 1, state
        if state == "meeting":
            # The guides opened from the door and the console, in the kiosk view (issue 11).
            for key in ("no-show", "connection-problems", "call-broken"):
                visit(door, f"/rooms/videorum-1/door/guides/{key}", lang, seen, "rooms.door_guide")
                visit(console, f"/rooms/videorum-1/console/guides/{key}", lang, seen, "rooms.console_guide")
            visit(board, "/board", lang, seen, "rooms.board")
            visit(board, "/board/rooms/videorum-2", lang, seen, "rooms.board_room")  # a room's day (issue 13)
            visit(board, "/board/bookings", lang, seen, "rooms.board_bookings")  # the unit's bookings
            visit(console, "/rooms/videorum-1/console/bookings", lang, seen, "rooms.console_bookings")  # issue 13
    # The admin pages, logged in as a global administrator.
    admin = page_at()
    watch_csp(admin)
    admin.goto(f"/admin/login?lang={lang}")
    admin.locator("#login-email").fill(account.email)
    admin.locator("#login-password").fill(PASSWORD)
    admin.locator("form.admin-form button[type=submit]").click()
    admin.wait_for_url("**/admin/")
    with app.test_request_context():
        admin_pages = [(url_for(e, **kw), e) for e, kw in [
            ("admin.index", {}), ("admin.units", {}), ("admin.unit_edit", {"unit_id": unit_id}),
            ("admin.rooms", {}), ("admin.room_edit", {"room_id": room_id}), ("admin.tablets", {}),
            ("admin.sessions", {}), ("admin.events", {}), ("admin.stats", {"unit": unit_id}),
            ("admin.accounts", {}), ("admin.account", {})]]
        admin_pages += [(url_for(e, **kw), e) for e, kw in [  # room health (issue 15)
            ("admin.faults_page", {}), ("admin.stats_faults", {"unit": unit_id})]]
        admin_pages += [(url_for(e, **kw), e) for e, kw in [  # bookings (issue 13)
            ("admin.room_bookings", {"room_id": room_id}), ("admin.stats_bookings", {"unit": unit_id}),
            ("admin.booking_list", {})]]
    for path, endpoint in admin_pages:
        visit(admin, path, lang, seen, endpoint)
        if endpoint in ("admin.stats", "admin.stats_faults", "admin.stats_bookings"):  # the charts are images: each must load
            loaded = admin.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
            assert loaded, "a chart did not load"

    # The listener really hears violations: an inline style is refused and reported.
    admin.evaluate("""document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>')""")
    admin.wait_for_function("window.__cspViolations.length > 0")
    assert admin.watch.take(), "the CSP violation was not reported on the console"

    # The revoked door, last (it stops working). It finds out by itself at its
    # next poll: the poll is refused (403) with HX-Refresh, and the door reloads
    # into the page that says so. Waiting for that (a cap, not a wait: the poll
    # comes within POLL_SECONDS) keeps the test's own navigation from racing the
    # reload; the refused poll is then the one console error allowed.
    with app.app_context():
        pairing.revoke(db.session.scalar(select(Tablet.id).where(Tablet.kind == "door")), actor="test")
    expect(door.locator("h1")).to_have_text(content.t("pair.revoked.title"),
                                            timeout=(app.config["POLL_SECONDS"] + 25) * 1000)
    poll_refused = "status of 403 (FORBIDDEN) at " + live_server.url + "/rooms/videorum-1/door/poll"
    door.watch.problems = [p for p in door.watch.problems if poll_refused not in p]
    visit(door, "/rooms/videorum-1/door", lang, seen, "rooms.door_panel", status=403)
    assert door.locator("h1").inner_text() == content.t("pair.revoked.title")

    assert not REFLOW_FAULTS, "pages that do not fit 320 px:\n" + "\n".join(REFLOW_FAULTS)
    assert not SHIFT_FAULTS, "pages that move after they appear:\n" + "\n".join(SHIFT_FAULTS)

    pages = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    unvisited = sorted(pages - seen - NOT_PAGES)
    assert not unvisited, f"pages no browser test opened (visit them here or add them to NOT_PAGES): {unvisited}"


def test_no_staff_page_moves_after_it_appears_on_a_phone(admin_app, live_server, new_page):
    """At 412 px (a common phone) the staff pages, where the folded menu lives:
    the sweep above covers 320 px and 1280 px."""
    with admin_app.app_context():
        unit = Unit(name="Hudmottagningen", slug="hud")
        db.session.add_all([unit, Room(unit=unit, name="Videorum 1", slug="videorum-1")])
        db.session.commit()
        content = admin_app.extensions["kiosk_content"].get("sv")
        from printables.documents import catalogue

        printables = list(catalogue(content))
    page = new_page(viewport={"width": 412, "height": 915})
    watch_csp(page)
    SHIFT_FAULTS.clear()
    seen: set[str] = set()
    for path, endpoint in public_pages(content, printables):
        visit(page, path, "sv", seen, endpoint)
    assert not SHIFT_FAULTS, "pages that move after they appear:\n" + "\n".join(SHIFT_FAULTS)
    # The measure is live: the menu unfolding by itself moves the page below it.
    page.goto("/about")
    page.evaluate(SETTLED_SHIFT)
    page.evaluate("document.querySelector('.site-header').classList.add('menu-open')")
    assert page.evaluate(SETTLED_SHIFT) > SHIFT_LIMIT
    # Without JavaScript the button could not open the menu: the menu is open instead.
    plain = new_page(viewport={"width": 412, "height": 915}, java_script_enabled=False)
    plain.goto("/checklists/")
    assert plain.get_by_role("navigation", name="Huvudmeny").is_visible()
    assert not plain.locator(".menu-toggle").is_visible()
