"""The house's layout rules, read from the source: no import circle, every URL
rule greppable, no long module without a reason.

- No module of ``kiosk/`` or ``printables/`` imports, directly or round about,
  a module that imports it (imports inside functions count: a late import
  hides a circle, it does not end it).
- Every URL rule the app answers is written out whole, as one string, in the
  source (``grep -rn "console/extend" kiosk`` finds the line that adds it), not
  assembled by a loop or a helper.
- A module over ``MAX_LINES`` lines says why in its first lines, with a line
  ``# Over 400 lines: the reason``.

Each rule is checked on the house and, so that the check is known to bite, on
a small planted tree that breaks it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from flask import Blueprint, Flask

from tests.paths import ROOT

PACKAGES = ("kiosk", "printables")
MAX_LINES = 400
REASON_LINES = 5
REASON = re.compile(r"^# Over 400 lines: \S")


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package's __init__) for every module under ``root``'s packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module -> the modules of the house it imports (anywhere in the file).
    ``from . import x`` names the module ``x`` when there is one; a name of a
    module (``from .service import Actor``) names that module."""
    modules = _modules(root)

    def known(name: str | None) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                imported.update(filter(None, (known(alias.name) for alias in node.names)))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package
                    for _ in range(node.level - 1):
                        base = base.rpartition(".")[0]
                    source = f"{base}.{node.module}" if node.module else base
                else:
                    source = node.module or ""
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    target = submodule if submodule in modules else known(source)
                    if target:
                        imported.add(target)
        imported.discard(name)
        graph[name] = imported
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The circles of the graph: its strongly connected parts of two or more
    modules (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in graph:
                    continue
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        part.append(member)
                        if member == node:
                            break
                    if len(part) > 1:
                        circles.append(sorted(part))
    return circles


def string_literals(root: Path) -> set[str]:
    """Every string constant written in the source of ``root``'s packages."""
    found = set()
    for path, _is_package in _modules(root).values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def ungreppable_rules(app: Flask, root: Path) -> list[str]:
    """The app's URL rules (as written, without their blueprint's prefix) that
    no string of the source spells out whole; Flask's own static route aside."""
    written = string_literals(root)
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        blueprint = app.blueprints.get(rule.endpoint.rpartition(".")[0])
        prefix = (blueprint.url_prefix or "") if blueprint is not None else ""
        path = rule.rule[len(prefix):] if prefix and rule.rule.startswith(prefix) else rule.rule
        if path not in written and rule.rule not in written:
            missing.append(rule.rule)
    return sorted(missing)


def long_modules(root: Path) -> list[str]:
    """Modules over MAX_LINES lines whose first lines give no reason."""
    found = []
    for path, _is_package in _modules(root).values():
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_LINES and not any(REASON.match(line) for line in lines[:REASON_LINES]):
            found.append(f"{path.relative_to(root)}: {len(lines)} lines")
    return sorted(found)


def _plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# ---- the house --------------------------------------------------------------------


def test_no_module_of_the_house_is_in_an_import_circle():
    assert import_circles(import_graph(ROOT)) == []


def test_every_url_rule_is_spelled_out_in_the_source(app):
    assert ungreppable_rules(app, ROOT) == []
    # And the rule the issue named is found by its path.
    assert "/rooms/<slug>/console/extend" in string_literals(ROOT)


def test_no_module_is_over_400_lines_without_a_reason():
    assert long_modules(ROOT) == []


# ---- the checks bite ------------------------------------------------------------------


def test_a_planted_circle_is_found_also_through_a_late_import(tmp_path):
    root = _plant(tmp_path, {
        "kiosk/__init__.py": "",
        "kiosk/rooms/__init__.py": "",
        "kiosk/rooms/views.py": "from . import offline\nfrom ..clock import now\n",
        "kiosk/rooms/offline.py": "def later():\n    from .views import bp\n",
        "kiosk/clock.py": "",
        "printables/__init__.py": "from kiosk.rooms import views\n",
    })
    assert import_circles(import_graph(root)) == [["kiosk.rooms.offline", "kiosk.rooms.views"]]

    (root / "kiosk/rooms/offline.py").write_text("from ..clock import now\n", encoding="utf-8")
    assert import_circles(import_graph(root)) == []


def test_a_planted_circle_of_three_is_found(tmp_path):
    root = _plant(tmp_path, {
        "kiosk/__init__.py": "", "printables/__init__.py": "",
        "kiosk/a.py": "import kiosk.b\n", "kiosk/b.py": "from kiosk import c\n", "kiosk/c.py": "from . import a\n",
    })
    assert import_circles(import_graph(root)) == [["kiosk.a", "kiosk.b", "kiosk.c"]]


def test_a_planted_loop_made_rule_is_found(tmp_path):
    source = ('STEPS = ("extend", "end")\n'
              'for name in STEPS:\n'
              '    bp.add_url_rule(f"/rooms/<slug>/console/{name}", f"console_{name}", view)\n'
              'bp.add_url_rule("/rooms/<slug>/door", "door", view)\n'
              'admin.add_url_rule("/units", "units", view)\n')
    root = _plant(tmp_path, {"kiosk/__init__.py": "", "kiosk/views.py": source, "printables/__init__.py": ""})
    planted = Flask(__name__)
    bp, admin = Blueprint("rooms", __name__), Blueprint("admin", __name__, url_prefix="/admin")

    def view(**_kwargs):
        return ""

    for name in ("extend", "end"):
        bp.add_url_rule(f"/rooms/<slug>/console/{name}", f"console_{name}", view)
    bp.add_url_rule("/rooms/<slug>/door", "door", view)
    admin.add_url_rule("/units", "units", view)
    planted.register_blueprint(bp)
    planted.register_blueprint(admin)
    assert ungreppable_rules(planted, root) == ["/rooms/<slug>/console/end", "/rooms/<slug>/console/extend"]


def test_a_planted_long_module_needs_its_reason(tmp_path):
    body = "x = 1\n" * MAX_LINES
    root = _plant(tmp_path, {"kiosk/__init__.py": "", "printables/__init__.py": "",
                             "kiosk/long.py": '"""A long module."""\n' + body,
                             "kiosk/fits.py": body,
                             "printables/late.py": '"""Doc."""\n\n\n\n\n# Over 400 lines: too late\n' + body})
    assert long_modules(root) == ["kiosk/long.py: 401 lines", "printables/late.py: 406 lines"]

    (root / "kiosk/long.py").write_text('"""A long module."""\n# Over 400 lines: one table.\n' + body)
    assert long_modules(root) == ["printables/late.py: 406 lines"]
