"""The house rules for time, read from the source: the kiosk reads "now" only
through kiosk/clock.py (so tests can move it), and nobody takes the date of a
UTC instant as if it were Sweden's day. ``clock.now().date()`` is the day in
UTC: between 23.00 and 24.00 UTC (22.00 in summer) it is yesterday in
Stockholm. A test that did so passed all day and failed CI at 23.06 UTC; the
day is ``bookings.service.local_date(clock.now())`` or ``routine.today()``.
"""

from __future__ import annotations

import ast

import pytest

from tests.paths import ROOT
# Where the kiosk reads the time: only here.
CLOCK = ROOT / "kiosk" / "clock.py"
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


def utc_dates(source: str) -> list[int]:
    """Lines that take ``.date()`` of a ``now()`` call: the UTC day, not Sweden's."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "date"
            and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Attribute)
            and node.func.value.func.attr == "now"]


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
    ("today = local_date(clock.now())", False),
    ("day = clock.now().astimezone(TZ).date()", False),
])
def test_the_day_rule_finds_what_it_should(snippet, finds):
    assert bool(utc_dates(snippet)) is finds


def test_only_the_clock_reads_the_time():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in _sources("kiosk", "printables") if path != CLOCK
             for line in clock_reads(path.read_text(encoding="utf-8"))]
    assert not found, "read the time through kiosk.clock.now() instead:\n" + "\n".join(found)


def test_nobody_takes_the_utc_day_for_swedens():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in _sources("kiosk", "printables", "tests", "bench")
             for line in utc_dates(path.read_text(encoding="utf-8"))]
    assert not found, "the day of a UTC instant; use local_date(clock.now()) or routine.today():\n" + "\n".join(found)
