"""A door that starts without the server (issue 15, item 5), in a real Chromium:
the service worker keeps the door's page and shell; a reload (or opening /door)
while the server is down shows the last known state with the no-contact notice,
never the browser's error page; when the server is back the door recovers by
itself. The manifest is linked and valid; axe passes on the offline copy."""

import json
import time

import pytest
from playwright.sync_api import expect

from kiosk.rooms import service
from kiosk.rooms.service import Actor
from tests.browser.helpers import FOLLOW_MS, SIGN_SV, code_for, pair_page
from tests.browser_support import assert_accessible, assert_no_console_errors

pytestmark = pytest.mark.browser

CACHE = "kiosk-offline-1"


def wait_for(page, script: str, what: str, timeout_s: float = FOLLOW_MS / 1000):
    """Poll a page-side expression until it is truthy (the CSP refuses wait_for_function)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.evaluate(script):
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


KEPT = """async (needle) => {
  const cache = await caches.open('%s');
  const hit = await cache.match(location.href);
  return !!hit && (await hit.text()).includes(needle);
}""" % CACHE


def kept_page_contains(page, needle: str) -> bool:
    return page.evaluate(KEPT, needle)


def test_a_door_reloaded_while_the_server_is_down_shows_its_last_state(
        browser, fast_app, server, room, assert_valid_html):
    room_id, _unit = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    wait_for(door, "navigator.serviceWorker.controller !== null", "the service worker to control the door")
    deadline = time.monotonic() + FOLLOW_MS / 1000
    while not kept_page_contains(door, "door-free") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kept_page_contains(door, "door-free"), "the worker did not keep the door's page"

    # The room goes into a meeting; the door follows by polling and the worker keeps the new state.
    with fast_app.app_context():
        service.check_in(room_id, Actor("test"))
        service.start_meeting(room_id, Actor("test"), skip_reason="urgent")
    expect(door.get_by_text(SIGN_SV)).to_be_visible(timeout=FOLLOW_MS)
    deadline = time.monotonic() + FOLLOW_MS / 1000
    while not kept_page_contains(door, "door-meeting") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kept_page_contains(door, "door-meeting"), "the worker did not keep the meeting's page"

    # The server goes away; the tablet reloads (a reboot, a crash of the browser).
    server.stop()
    door.reload()
    expect(door.get_by_text(SIGN_SV)).to_be_visible()
    expect(door.get_by_role("heading", level=1)).to_have_text("Videorum 1")
    notice = door.locator("#offline-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Ingen kontakt med servern sedan")
    assert door.evaluate("document.body.hasAttribute('data-offline-copy')") is True
    # The shell came from the worker's cache: the styles and scripts work.
    assert door.evaluate("typeof htmx") == "object"
    assert door.evaluate("getComputedStyle(document.querySelector('.dnd-sign')).textAlign") == "center"
    door.watch.take()  # the outage's own network errors are expected
    assert_accessible(door, "door offline copy")

    # Opening the tablet's start address (/door) while the server is down shows the same.
    door.goto("/door")
    expect(door.get_by_text(SIGN_SV)).to_be_visible()
    expect(notice).to_be_visible()

    # The server comes back: the door recovers by itself, without a reload.
    door.evaluate("window.__stillTheSamePage = true")
    with fast_app.app_context():
        service.end_meeting(room_id, Actor("test"))
    server.start()
    expect(notice).to_be_hidden(timeout=FOLLOW_MS)
    expect(door.locator(".state-word")).to_have_text("Upptaget – efterarbete", timeout=FOLLOW_MS)
    assert door.evaluate("window.__stillTheSamePage") is True
    assert door.evaluate("document.body.hasAttribute('data-offline-copy')") is False
    door.watch.take()

    # With the server answering, the worker steps aside: a reload is the server's page, not the copy.
    door.reload()
    expect(door.locator(".state-word")).to_have_text("Upptaget – efterarbete")
    expect(notice).to_be_hidden()
    assert door.evaluate("document.body.hasAttribute('data-offline-copy')") is False
    assert_no_console_errors(door, "door after the outage")
    door.context.close()


def test_the_worker_keeps_no_admin_or_staff_page(browser, fast_app, server, room):
    room_id, _unit = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    wait_for(door, "navigator.serviceWorker.controller !== null", "the service worker to control the door")
    door.goto("/checklists/")
    door.goto("/admin/login")
    door.goto("/door")
    expect(door.locator("[data-panel]")).to_be_attached()
    keys = door.evaluate("""async () => {
      const cache = await caches.open('%s');
      return (await cache.keys()).map(r => new URL(r.url).pathname);
    }""" % CACHE)
    pages = {k for k in keys if not k.startswith("/static/")}
    assert pages <= {"/rooms/videorum-1/door", "/__kiosk-last-page"}, keys
    assert any(k.startswith("/static/") for k in keys), keys
    door.context.close()


def test_the_door_links_a_valid_manifest(browser, fast_app, server, room, assert_valid_html):
    room_id, _unit = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    link = door.locator('link[rel="manifest"]')
    expect(link).to_have_attribute("crossorigin", "use-credentials")
    response = door.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(response.text())
    assert manifest["start_url"] == "/rooms/videorum-1/door" and manifest["display"] == "fullscreen"
    assert manifest["short_name"] == "Videorum 1"
    for icon in manifest["icons"]:
        assert door.request.get(icon["src"]).status == 200, icon
    assert_valid_html(door.request.get(door.url).text(), "door with manifest")
    assert_accessible(door, "door with manifest")
    assert_no_console_errors(door, "door with manifest")
    door.context.close()


def test_a_door_reloaded_with_the_network_off_shows_its_last_state(browser, fast_app, server, room):
    """The tablet's own network goes (context.set_offline): the same as a server that went away."""
    room_id, _unit = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    wait_for(door, "navigator.serviceWorker.controller !== null", "the service worker to control the door")
    deadline = time.monotonic() + FOLLOW_MS / 1000
    while not kept_page_contains(door, "door-free") and time.monotonic() < deadline:
        time.sleep(0.2)
    door.context.set_offline(True)
    door.reload()
    expect(door.locator(".state-word")).to_have_text("Ledigt")
    expect(door.locator("#offline-notice")).to_contain_text("Ingen kontakt med servern sedan")
    assert door.evaluate("document.body.hasAttribute('data-offline-copy')") is True
    door.context.set_offline(False)
    expect(door.locator("#offline-notice")).to_be_hidden(timeout=FOLLOW_MS)
    door.watch.take()
    door.context.close()
