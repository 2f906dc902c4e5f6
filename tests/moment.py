"""Time in the tests (a pytest plugin named in conftest.py): every test starts
and ends on the machine's clock; ``frozen_clock`` stops it at FROZEN_AT; and the
browser tests live at the suite's moment.

A browser test's server runs in the test process on the product's own clock
(kiosk.clock), started at the suite's moment and moving on from there: the
test sees the same door, board and admin pages on any day the suite is run,
and the moment is chosen to be awkward (a weekday whose Swedish name is not
ASCII, a morning in winter time, a Sunday night in summer time minutes before
midnight). Each test starts at the moment; a test that freezes or moves the
clock does so from there. The browser's own JavaScript clock is set to the
server's when a page is opened (tests/browser_support.py's open_page).

The moment is a setting: ``--moment "2027-06-27 23:55"`` or the environment
variable KIOSK_TEST_MOMENT, a time in Stockholm; the report header prints it.
A test that must run on the machine's clock says so and why:
``@pytest.mark.real_clock("reason")``.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from kiosk import clock

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Thursday 26 November 2026, 10:00 in Stockholm: a working morning.
FROZEN_AT = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
MOMENT_ENV = "KIOSK_TEST_MOMENT"
# A Monday ("måndag": not ASCII) at 08.55 in winter time, before a unit's morning opening.
DEFAULT_MOMENT = "2027-01-11 08:55"
WEEKDAYS_SV = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]


def parse_moment(text: str) -> datetime:
    """A time in Stockholm ("YYYY-MM-DD HH:MM", seconds allowed) as an aware UTC datetime."""
    try:
        local = datetime.fromisoformat(text.strip())
    except ValueError:
        raise pytest.UsageError(f"{MOMENT_ENV} / --moment: {text!r} is not a time like 2027-01-11 08:55") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=STOCKHOLM)
    return local.astimezone(timezone.utc)


def describe(moment: datetime) -> str:
    local = moment.astimezone(STOCKHOLM)
    return (f"{WEEKDAYS_SV[local.weekday()]} {local:%Y-%m-%d %H.%M} in Stockholm ({local.tzname()}), "
            f"{moment:%Y-%m-%d %H:%M} UTC")


def pytest_addoption(parser):
    parser.addoption("--moment", default=os.environ.get(MOMENT_ENV) or DEFAULT_MOMENT,
                     help=f"the time in Stockholm the browser tests' clock starts at (or {MOMENT_ENV}; "
                          f"default {DEFAULT_MOMENT})")


def pytest_configure(config):
    config.kiosk_moment = parse_moment(config.getoption("--moment"))


def pytest_report_header(config):
    return f"browser tests' clock: moving from {describe(config.kiosk_moment)} (--moment or {MOMENT_ENV})"


def start_clock_at(moment: datetime) -> None:
    """The kiosk's clock reads ``moment`` now and runs on from there."""
    clock.reset()
    clock.advance(moment - datetime.now(timezone.utc))


def on_machine_clock() -> bool:
    """The kiosk's clock reads the machine's time (neither frozen nor moved)."""
    return abs(clock.now() - datetime.now(timezone.utc)) < timedelta(seconds=1)


def real_clock_reason(node) -> str | None:
    """The reason a test gives for the machine's clock, or None if it gives none."""
    marker = node.get_closest_marker("real_clock")
    if marker is None:
        return None
    reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
    if not str(reason).strip():
        pytest.fail("@pytest.mark.real_clock needs the reason the test cannot run at the suite's moment")
    return reason


@pytest.fixture(autouse=True)
def _real_clock_after():
    """Every test starts and ends with the real clock."""
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def frozen_clock(_real_clock_after):
    """The clock stopped at FROZEN_AT; move it with clock.advance()."""
    clock.freeze(FROZEN_AT)
    return clock


@pytest.fixture
def _clock_first(request):
    """A test that freezes the clock has it frozen before any fixture writes a time.

    Every fixture that logs in, pairs, stamps or counts builds on make_app, which
    depends on this. Without it, a fixture listed before frozen_clock logs in on
    the real clock, and the frozen clock then lies before the login: "two days
    later" is still in the past on any day after FROZEN_AT.
    """
    if "frozen_clock" in request.fixturenames:
        request.getfixturevalue("frozen_clock")


@pytest.fixture(scope="session")
def suite_moment(pytestconfig) -> datetime:
    """The suite's moment (aware, UTC)."""
    return pytestconfig.kiosk_moment


@pytest.fixture
def suite_clock(request, suite_moment, _real_clock_after):
    """The kiosk's clock moving from the suite's moment (the machine's, for a test
    marked real_clock with its reason)."""
    if real_clock_reason(request.node) is None:
        start_clock_at(suite_moment)
    return clock
