"""The house rules for time, read from the source: the kiosk reads "now" only
through kiosk/clock.py (so tests can move it), Sweden's zone is built there
and nowhere else, and nobody takes the date of a UTC instant as if it were
Sweden's day. ``clock.now().date()`` is the day in UTC: between 23.00 and
24.00 UTC (22.00 in summer) it is yesterday in Stockholm. A test that did so
passed all day and failed CI at 23.06 UTC; the day is ``clock.today()``, or
``clock.local_date(at)`` for another moment.
"""

from __future__ import annotations

import ast

import pytest

from tests.paths import ROOT

# Where the kiosk reads the time and builds its zone: only here.
CLOCK = ROOT / "kiosk" / "clock.py"
# The zone's setting is read by the clock, defaulted by the configuration.
ZONE_SETTING = "BABEL_DEFAULT_TIMEZONE"
ZONE_READERS = {CLOCK, ROOT / "kiosk" / "config.py"}
READS_NOW = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
             ("time", "time"), ("time", "localtime"), ("time", "gmtime")}


def _sources(*folders: str):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "__pycache__" not in path.parts:
                yield path


def _dotted_tail(node: ast.AST) -> str | None:
    """The last name of ``a.b.datetime`` or ``datetime``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def clock_reads(source: str) -> list[int]:
    """Lines that read the time without the one clock (datetime.now(), time.time() ...)."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and (_dotted_tail(node.func.value), node.func.attr) in READS_NOW]


def _is_now(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("now", "utcnow")


def utc_dates(source: str) -> list[int]:
    """Lines that take ``.date()`` of a ``now()`` call, or of a name bound to one
    (``moment = clock.now()`` ... ``moment.date()``): the UTC day, not Sweden's."""
    tree = ast.parse(source)
    bound = {target.id for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign)) and _is_now(node.value)
             for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
             if isinstance(target, ast.Name)}
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "date"
            and not node.args
            and (_is_now(node.func.value) or (isinstance(node.func.value, ast.Name) and node.func.value.id in bound))]


def zone_builds(source: str) -> list[int]:
    """Lines that build Sweden's zone by hand: ``ZoneInfo("...")`` of a name
    written in the code or read from the setting, the zone's name itself, or
    the setting read. (A zone a calendar feed names is the feed's, not ours.)"""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _dotted_tail(node.func) == "ZoneInfo" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) or isinstance(arg, ast.Subscript):
                found.append(node.lineno)
        elif isinstance(node, ast.Constant) and node.value in ("Europe/Stockholm", ZONE_SETTING):
            found.append(node.lineno)
    return sorted(set(found))


@pytest.mark.parametrize("snippet, finds", [
    ("from zoneinfo import ZoneInfo\nTZ = ZoneInfo('Europe/Stockholm')", True),
    ("import zoneinfo\ntz = zoneinfo.ZoneInfo(current_app.config['BABEL_DEFAULT_TIMEZONE'])", True),
    ("zone = current_app.config.get('BABEL_DEFAULT_TIMEZONE')", True),
    ("x = datetime.combine(day, at, 'Europe/Stockholm')", True),
    ("zone = ZoneInfo(tzid)  # the feed's own zone", False),
    ("from kiosk import clock\nday = clock.local_date(at)", False),
])
def test_the_zone_rule_finds_what_it_should(snippet, finds):
    assert bool(zone_builds(snippet)) is finds


@pytest.mark.parametrize("snippet, finds", [
    ("from datetime import datetime\nx = datetime.now()", True),
    ("import datetime\nx = datetime.datetime.utcnow()", True),
    ("import time\nx = time.time()", True),
    ("import time\nx = time.monotonic()", False),
    ("from kiosk import clock\nx = clock.now()", False),
])
def test_the_clock_rule_finds_what_it_should(snippet, finds):
    assert bool(clock_reads(snippet)) is finds


@pytest.mark.parametrize("snippet, finds", [
    ("today = clock.now().date()", True),
    ("today = datetime.now(timezone.utc).date()", True),
    ("moment = clock.now()\nday = moment.date()", True),
    ("moment: datetime = clock.now()\nday = moment.date()", True),
    ("today = clock.local_date(clock.now())", False),
    ("today = clock.today()", False),
    ("day = clock.now().astimezone(TZ).date()", False),
    ("moment = clock.now().astimezone(TZ)\nday = moment.date()", False),
])
def test_the_day_rule_finds_what_it_should(snippet, finds):
    assert bool(utc_dates(snippet)) is finds


def test_only_the_clock_reads_the_time():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in _sources("kiosk", "printables") if path != CLOCK
             for line in clock_reads(path.read_text(encoding="utf-8"))]
    assert not found, "read the time through kiosk.clock.now() instead:\n" + "\n".join(found)


def test_only_the_clock_builds_swedens_zone():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in _sources("kiosk", "printables", "bench")
             if path != CLOCK for line in zone_builds(path.read_text(encoding="utf-8"))
             if not (path in ZONE_READERS and ZONE_SETTING in path.read_text(encoding="utf-8").splitlines()[line - 1])]
    assert not found, ("Sweden's zone and day come from kiosk.clock (zone(), local(), local_date(), today(), "
                       "day_bounds(), wall()):\n" + "\n".join(found))


def test_nobody_takes_the_utc_day_for_swedens():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in _sources("kiosk", "printables", "tests", "bench")
             for line in utc_dates(path.read_text(encoding="utf-8"))]
    assert not found, "the day of a UTC instant; use clock.today() or clock.local_date(at):\n" + "\n".join(found)
