"""Fixtures and helpers shared by the door and board browser tests: an app
with a fast poll served on a live server, a demo-like room, and a page paired
as a door or a board."""

import re

import pytest
from playwright.sync_api import expect

from kiosk.extensions import db
from kiosk.models import Room
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, open_page
from tests.conftest import LiveServer

SIGN_SV = "Här pågår videomöte - var god stör ej"
POLL = 1  # seconds: a fast poll keeps these tests short
# How long a board or door may take to follow a change: a few polls, loose enough for a
# loaded CI machine (the point is that it follows without a reload, not how fast).
FOLLOW_MS = 6 * POLL * 1000


@pytest.fixture
def fast_app(make_app):
    return make_app(POLL_SECONDS=POLL, HTMX_TIMEOUT_MS=2000)


@pytest.fixture
def server(fast_app):
    srv = LiveServer(fast_app).start()
    yield srv
    srv.stop()


@pytest.fixture
def room(fast_app):
    """Videorum 1 in a demo-like unit; returns (room_id, unit_id)."""
    from kiosk.models import Unit

    with fast_app.app_context():
        unit = Unit(name="Hudmottagningen", slug="hud")
        room = Room(unit=unit, name="Videorum 1", slug="videorum-1", location="Plan 2")
        db.session.add_all([unit, Room(unit=unit, name="Videorum 2", slug="videorum-2"), room])
        db.session.commit()
        return room.id, unit.id


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


@pytest.fixture(scope="module")
def media_browser(browser):
    """Chromium with a fake camera and microphone that need no permission prompt."""
    fake = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
    )
    yield fake
    fake.close()
