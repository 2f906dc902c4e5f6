"""Times of day in one format (issue 12): the clock that ticks in JavaScript on
the door and the board writes "10.00" in Swedish and "10:00" in English, as the
server's time filter does."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import code_for, pair_page

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang, pattern", [("sv", r"^\d\d\.\d\d$"), ("en", r"^\d\d:\d\d$")])
def test_the_ticking_clock_writes_times_as_the_server_does(browser, fast_app, server, room, lang, pattern):
    page = pair_page(browser, server, code_for(fast_app, room_id=room[0]), lang=lang)
    clock = page.locator("[data-clock]").first
    # The server wrote it first; the script rewrites it on its next tick, in the same format.
    page.evaluate("document.querySelector('[data-clock]').textContent = 'x'")
    expect(clock).to_have_text(re.compile(pattern), timeout=5000)
    page.context.close()
