"""Fixtures and helpers shared by the door and board browser tests: an app
with a fast poll served on a live server, a demo-like room, and a page paired
as a door or a board."""

import pytest

from kiosk.extensions import db
from kiosk.models import Room
from tests.browser.helpers import POLL
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, chromium_env
from tests.moment import describe, on_machine_clock, real_clock_reason
from tests.servers import LiveServer

@pytest.fixture(autouse=True)
def _on_the_suites_clock(request, suite_clock, suite_moment):
    """Every browser test starts on the suite's clock (tests/moment.py), and a
    server it starts refuses the machine's clock unless the test is marked
    real_clock with its reason: a browser test must pass on any day."""
    reason = real_clock_reason(request.node)

    def check() -> None:
        if reason is None and on_machine_clock():
            pytest.fail("a browser test's server on the machine's clock: leave the clock at the suite's "
                        f"moment ({describe(suite_moment)}), freeze or move it, or mark the test "
                        "@pytest.mark.real_clock(\"why\")")

    LiveServer.clock_check = check
    yield
    LiveServer.clock_check = None


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


@pytest.fixture(scope="module")
def media_browser(browser):
    """Chromium with a fake camera and microphone that need no permission prompt."""
    fake = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, env=chromium_env(),
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
    )
    yield fake
    fake.close()
