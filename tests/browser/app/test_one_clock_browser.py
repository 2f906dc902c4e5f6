"""Every page with a clock shows the server's time in Sweden, whatever the
device's own clock zone: a board set to UTC or to New York shows the same
minute as the door. The server's clock is frozen two seconds before a minute
ends, so the page's own script must have ticked (from the server's time plus
the seconds since) for the clock to show the next minute."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Room
from kiosk.rooms import pairing
from tests.browser_support import assert_no_console_errors, open_page

pytestmark = pytest.mark.browser

# Tuesday 2026-12-08 at 08:47:58 in Stockholm (07:47:58 UTC): the clocks turn to 08.48.
SERVER_NOW = datetime(2026, 12, 8, 7, 47, 58, tzinfo=timezone.utc)
SHOWN = "08.48"
# Door, console and board: each paired browser, and the pages it shows with a clock.
PAGES = {
    "door": ["/rooms/videorum-1/door"],
    "console": ["/rooms/videorum-1/console", "/rooms/videorum-1/console/bookings"],
    "board": ["/board", "/board/rooms/videorum-1"],
}


def _paired(browser, server, app, kind: str, zone: str):
    with app.app_context():
        room = db.session.scalar(db.select(Room).filter_by(slug="videorum-1"))
        code = pairing.format_code(pairing.new_code(kind, room.unit, None if kind == "board" else room, actor="test"))
    page = open_page(browser, server.url, timezone_id=zone)
    page.goto(f"/pair?code={code}&lang=sv")
    page.locator("form.pair-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/(rooms/[^/]+/(door|console)|board)(\?.*)?$"), wait_until="load")
    return page


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_every_clock_shows_the_servers_time_in_sweden_whatever_the_devices_zone(browser, fast_app, server, room,
                                                                               zone):
    clock.freeze(SERVER_NOW)
    devices = {kind: _paired(browser, server, fast_app, kind, zone) for kind in PAGES}
    # The device really is in another zone: its own clock would say another hour.
    device_hour = devices["board"].evaluate("new Date(%d).getHours()" % (SERVER_NOW.timestamp() * 1000))
    assert device_hour != 8
    for kind, paths in PAGES.items():
        page = devices[kind]
        for path in paths:
            page.goto(path)
            shown = page.locator("time[data-clock]").first
            expect(shown).to_have_text(SHOWN, timeout=8000)
            assert_no_console_errors(page, f"{path} ({zone})")
        page.context.close()
