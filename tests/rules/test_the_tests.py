"""The tests' own rules, read from tests/: a test that passes only on some days
is a defect of the suite, and these are the ways it has happened.

- A Playwright pattern runs as a JavaScript regular expression, whose ``\\w`` and
  ``\\b`` know only ASCII: ``\\w{2,4}`` never matches "mån", "lör" or "sön", so a
  test with it failed every Monday, Saturday and Sunday. Name the letters (or
  the words) instead.
- A browser test's server runs on the suite's clock (tests/moment.py), never the
  machine's, unless the test is marked ``real_clock`` with its reason: no
  ``clock.reset()``, no gunicorn or other server process (it cannot share the
  test's clock), no reading of the machine's day in a browser test without one.
- ``.date()`` of a ``now()`` is the UTC day: tests/rules/test_one_clock.py.

Each rule is shown to find what it should on planted examples first.
"""

from __future__ import annotations

import ast
import re

import pytest

from tests.paths import ROOT

TESTS = ROOT / "tests"
BROWSER_TESTS = TESTS / "browser"
# An ASCII-only class or boundary of a JavaScript regular expression.
ASCII_ONLY = re.compile(r"(?<!\\)(?:\\\\)*\\[wWbB]")
# Playwright calls whose pattern arguments run in the browser as JavaScript regular expressions.
PLAYWRIGHT_CALLS = ("to_", "not_to_", "get_by_")
PLAYWRIGHT_METHODS = {"wait_for_url", "filter", "locator", "expect_navigation", "route"}
# Calls that start a server outside the test process, which the kiosk's clock cannot move.
SERVER_PROCESSES = {"Instance", "Popen"}
# Reading the machine's day or time of day in a test (not a duration: time.monotonic is fine).
MACHINE_TIME = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
                ("time", "time")}


def _sources(folder):
    return [path for path in sorted(folder.rglob("*.py")) if "__pycache__" not in path.parts]


def _compiled_pattern(node: ast.AST, constants: dict[str, str]) -> str | None:
    """The source text of ``re.compile(...)`` (or of a module constant bound to one)."""
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile"
            and node.args):
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    if isinstance(first, ast.JoinedStr):  # an f-string: its literal parts
        return "".join(part.value for part in first.values if isinstance(part, ast.Constant))
    return None


def _arguments(call: ast.Call):
    for node in [*call.args, *(keyword.value for keyword in call.keywords)]:
        if isinstance(node, (ast.List, ast.Tuple)):
            yield from node.elts
        else:
            yield node


def ascii_patterns(source: str) -> list[int]:
    """Lines where a pattern with ``\\w``, ``\\W``, ``\\b`` or ``\\B`` goes to Playwright."""
    tree = ast.parse(source)
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            pattern = _compiled_pattern(node.value, {})
            if pattern is not None:
                constants[node.targets[0].id] = pattern
    found = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            continue
        name = call.func.attr
        if not (name.startswith(PLAYWRIGHT_CALLS) or name in PLAYWRIGHT_METHODS):
            continue
        for argument in _arguments(call):
            pattern = _compiled_pattern(argument, constants)
            if pattern is not None and ASCII_ONLY.search(pattern):
                found.append(argument.lineno)
    return found


def _marker_reason(decorator: ast.AST) -> str | None:
    """The reason of a ``pytest.mark.real_clock(...)`` decorator ("" if it gives none); None for others."""
    call = decorator if isinstance(decorator, ast.Call) else None
    target = call.func if call else decorator
    if not (isinstance(target, ast.Attribute) and target.attr == "real_clock"):
        return None
    if call is None:
        return ""
    for node in [*call.args, *(k.value for k in call.keywords if k.arg == "reason")]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value.strip()
    return ""


def _module_reason(tree: ast.Module) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            marks = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            for mark in marks:
                reason = _marker_reason(mark)
                if reason is not None:
                    return reason
    return None


def _machine_clock_use(node: ast.AST) -> str | None:
    if not (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))):
        return None
    func = node.func
    if isinstance(func, ast.Name):
        return "a server process" if func.id in SERVER_PROCESSES else None
    owner = func.value.attr if isinstance(func.value, ast.Attribute) else getattr(func.value, "id", None)
    if (owner, func.attr) == ("clock", "reset"):
        return "clock.reset()"
    if func.attr in SERVER_PROCESSES:
        return "a server process"
    if (owner, func.attr) in MACHINE_TIME:
        return f"{owner}.{func.attr}()"
    return None


def machine_clock_uses(source: str) -> list[str]:
    """Where a browser test puts its server on the machine's clock, starts a server the
    suite's clock cannot reach, or reads the machine's day, without a ``real_clock``
    reason; and every ``real_clock`` mark that gives no reason."""
    tree = ast.parse(source)
    module_reason = _module_reason(tree)
    found = []
    if module_reason == "":
        found.append("1: real_clock without a reason")
    functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    excused: set[int] = set()
    for function in functions:
        reasons = [r for r in map(_marker_reason, function.decorator_list) if r is not None]
        if "" in reasons:
            found.append(f"{function.lineno}: real_clock without a reason")
        if any(reasons) or module_reason:
            excused.update(id(node) for node in ast.walk(function))
    for node in ast.walk(tree):
        what = _machine_clock_use(node)
        if what and id(node) not in excused:
            found.append(f"{node.lineno}: {what}")
    return found


@pytest.mark.parametrize("snippet, finds", [
    ('expect(notice).to_have_text(re.compile(r"sedan \\w{2,4} \\d\\d"))', True),
    ('expect(board).not_to_have_text(re.compile(r"\\bmån\\b"))', True),
    ('page.get_by_role("button", name=re.compile(r"Boka \\w+"))', True),
    ('page.locator("li").filter(has_text=re.compile(r"\\W"))', True),
    ('expect(row).to_have_text([re.compile(r"\\w+"), "x"])', True),
    ('expect(row).to_have_text(re.compile(f"{room} \\\\w+"))', True),
    ('WEEKDAY = re.compile(r"\\w{3}")\nexpect(notice).to_contain_text(WEEKDAY)', True),
    ('expect(notice).to_have_text(re.compile(r"sedan (mån|tis|ons|tors|fre|lör|sön)\\.? \\d\\d"))', False),
    ('expect(notice).to_have_text(re.compile(r"a\\\\w"))', False),  # a backslash, then "w"
    ('assert re.fullmatch(r"\\w+", code)', False),  # Python's own re knows Unicode
    ('assert re.compile(r"\\w+").search(text)', False),
])
def test_the_pattern_rule_finds_what_it_should(snippet, finds):
    assert bool(ascii_patterns(snippet)) is finds


@pytest.mark.parametrize("snippet, finds", [
    ("def test_a(page):\n    clock.reset()\n", True),
    ("from kiosk.clock import reset\ndef test_a(page):\n    kiosk.clock.reset()\n", True),
    ("def test_a(page):\n    with Instance(url, path) as i:\n        pass\n", True),
    ("def test_a(page):\n    subprocess.Popen(['gunicorn'])\n", True),
    ("def test_a(page):\n    today = date.today()\n", True),
    ("def test_a(page):\n    stamp = datetime.now(timezone.utc)\n", True),
    ("@pytest.mark.real_clock\ndef test_a(page):\n    clock.reset()\n", True),
    ("@pytest.mark.real_clock('')\ndef test_a(page):\n    pass\n", True),
    ("@pytest.mark.real_clock('the service worker caches by the real time')\ndef test_a(page):\n    clock.reset()\n",
     False),
    ("@pytest.mark.real_clock(reason='the feed server stamps real time')\ndef test_a(page):\n"
     "    Instance(url, path)\n", False),
    ("pytestmark = [pytest.mark.browser, pytest.mark.real_clock('gunicorn')]\ndef test_a(page):\n"
     "    Instance(url, path)\n", False),
    ("def test_a(page):\n    clock.freeze(AT)\n    clock.advance(timedelta(minutes=5))\n", False),
    ("def test_a(page):\n    deadline = time.monotonic() + 5\n", False),
])
def test_the_clock_rule_finds_what_it_should(snippet, finds):
    assert bool(machine_clock_uses(snippet)) is finds


def test_no_playwright_pattern_uses_ascii_only_classes():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in _sources(TESTS)
             for line in ascii_patterns(path.read_text(encoding="utf-8"))]
    assert not found, ("JavaScript's \\w and \\b are ASCII (no å, ä, ö): name the letters or words instead:\n"
                       + "\n".join(found))


def test_browser_tests_keep_their_servers_on_the_suites_clock():
    found = [f"{path.relative_to(ROOT)}:{use}" for path in _sources(BROWSER_TESTS)
             for use in machine_clock_uses(path.read_text(encoding="utf-8"))]
    assert not found, ("a browser test on the machine's clock; leave it on the suite's moment (tests/moment.py) "
                       "or mark it @pytest.mark.real_clock(\"why\"):\n" + "\n".join(found))
