"""The benchmarks' goals and their verdicts, in one place.

Every benchmark turns its measurements into :class:`Figure` rows (a number
beside the goal it is held to); ``--results FILE`` appends them as JSON lines,
and ``python -m bench`` prints the rows of every part it ran as one table.
The goals are issue 22's, on the 2-core machine with the client on the same
cores (README, "Performance").
"""

from __future__ import annotations

import json
import math
import operator
from dataclasses import asdict, dataclass
from pathlib import Path

OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


@dataclass(frozen=True)
class Goal:
    """``value OP threshold`` must hold, e.g. Goal(">=", 1.0, "×")."""

    op: str
    threshold: float
    unit: str = ""

    def __post_init__(self):
        if self.op not in OPS:
            raise ValueError(f"unknown comparison {self.op!r}")

    def met(self, value: float | None) -> bool:
        """Whether ``value`` meets the goal; a figure that could not be measured never does."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return OPS[self.op](value, self.threshold)

    def __str__(self) -> str:
        shown = f"{self.threshold:.2f}" if self.unit == "×" else number(self.threshold)
        return f"{self.op} {shown}{self.unit}"


# The goals (issue 22). Ratios are to the bare Flask endpoint measured in the same run.
UNCHANGED_POLL_RATIO = Goal(">=", 1.0, "×")
HEAVY_RENDER_RATIO = Goal(">=", 0.25, "×")
LOAD_P99_MS = Goal("<", 100, " ms")
NO_ERRORS = Goal("==", 0)
HERD_P99_MS = Goal("<", 1000, " ms")
RELOAD_P99_MS = Goal("<", 1000, " ms")
# Doors at p99 < 100 ms and no errors: SQLite with one instance, PostgreSQL with two.
LADDER_DOORS = {"SQLite": Goal(">=", 10_000), "PostgreSQL": Goal(">=", 5_000)}


def herd_lag_goal(interval: float) -> Goal:
    """Every door shows the change within two poll intervals of the booking's start."""
    return Goal("<=", 2 * interval, " s")


@dataclass(frozen=True)
class Figure:
    """One measured figure beside its goal."""

    part: str  # the benchmark and scenario: "polls", "load SQLite ×1", "herd SQLite ×1" ...
    name: str
    value: float | None
    unit: str = ""
    goal: Goal | None = None
    detail: str = ""

    @property
    def verdict(self) -> str:
        if self.goal is None:
            return ""
        return "PASS" if self.goal.met(self.value) else "MISS"

    def shown(self) -> str:
        return "not measured" if self.value is None else f"{number(self.value)}{self.unit}"

    def as_json(self) -> str:
        data = asdict(self)
        data["goal"] = asdict(self.goal) if self.goal else None
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Figure:
        data = json.loads(line)
        goal = data.pop("goal")
        goal = Goal(**goal) if goal else None
        return cls(goal=goal, **data)


def number(value: float) -> str:
    """1,234 for large numbers, 0.83 for ratios, 12.5 in between."""
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def save(figures: list[Figure], path: str | Path | None) -> None:
    """Append ``figures`` to the results file (JSON lines), if one was named."""
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        for figure in figures:
            out.write(figure.as_json() + "\n")


def load(path: str | Path) -> list[Figure]:
    text = Path(path).read_text(encoding="utf-8") if Path(path).exists() else ""
    return [Figure.from_json(line) for line in text.splitlines() if line.strip()]


def table(figures: list[Figure]) -> str:
    """The figures as an aligned table: part, figure, value, goal, PASS/MISS, detail."""
    rows = [("part", "figure", "value", "goal", "", "detail")]
    rows += [(f.part, f.name, f.shown(), str(f.goal) if f.goal else "", f.verdict, f.detail) for f in figures]
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    lines = []
    for r in rows:
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].rjust(widths[2]), r[3].ljust(widths[3]),
                 r[4].ljust(widths[4]), r[5]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def verdict_line(figures: list[Figure]) -> str:
    judged = [f for f in figures if f.goal is not None]
    missed = [f for f in judged if f.verdict == "MISS"]
    return f"{len(judged) - len(missed)} of {len(judged)} goals met, {len(missed)} missed (MISS above)"
