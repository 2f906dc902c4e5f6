"""Every benchmark and its goals: ``make bench`` or ``.venv/bin/python -m bench``.

    .venv/bin/python -m bench                      # polls, the load ladder, reload and herd, printables
    .venv/bin/python -m bench --quick              # every scenario small and short: proves they run
    .venv/bin/python -m bench --parts polls,herd   # some of them
    .venv/bin/python -m bench --database-url postgresql://u:p@127.0.0.1/db   # two instances

Each part runs in a process of its own (its own moved clock, environment and
servers) and appends its figures to one results file; the table at the end
shows every figure beside its goal, PASS or MISS. The exit status is 1 when a
part could not run; a missed goal is a finding, not a failure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import goals
from bench.common import ROOT

PARTS = ("polls", "ladder", "reload", "herd", "printables")
LOAD_SCENARIOS = ("ladder", "reload", "herd")


def commands(args: argparse.Namespace, results: str) -> list[tuple[str, list[str]]]:
    """The processes to run for the chosen parts: (title, argv)."""
    parts = args.parts.split(",")
    common = ["--results", results] + (["--quick"] if args.quick else [])
    database = ["--database-url", args.database_url] if args.database_url else []
    out = []
    if "polls" in parts:
        out.append(("bench.polls", ["-m", "bench.polls", *common, *database]))
    scenarios = [s for s in LOAD_SCENARIOS if s in parts]
    if scenarios:
        instances = ["--instances", str(args.instances)] if args.instances else []
        out.append((f"bench.load ({', '.join(scenarios)})",
                    ["-m", "bench.load", "--scenarios", ",".join(scenarios), *common, *database, *instances]))
    if "printables" in parts:
        out.append(("bench.printables", ["-m", "bench.printables", *common]))
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default=",".join(PARTS), help=f"any of {','.join(PARTS)}")
    parser.add_argument("--quick", action="store_true", help="small N and short runs in every part")
    parser.add_argument("--database-url", default=None, help="PostgreSQL for polls and load (default: SQLite)")
    parser.add_argument("--instances", type=int, default=None, help="load: gunicorn instances")
    args = parser.parse_args(argv)
    unknown = set(args.parts.split(",")) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}: choose from {', '.join(PARTS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    failed = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        results = str(Path(tmp) / "figures.jsonl")
        for title, argv_ in commands(args, results):
            print(f"==== {title}", flush=True)
            if subprocess.run([sys.executable, *argv_], cwd=ROOT).returncode != 0:
                failed.append(title)
        figures = goals.load(results)
    print("\n==== summary" + (" (--quick: small N, short runs; the figures prove the scenarios run, "
                               "they are no measurement)" if args.quick else ""))
    print(goals.table(figures))
    print(goals.verdict_line(figures))
    if failed:
        print(f"did not run to the end: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
