"""The printables' speed: first render and cached answer of every document,
and the whole build.

    .venv/bin/python -m bench.printables [--repeat 50]

Builds the kiosk in a temporary instance folder (SQLite, the three demo
rooms) and asks for each PDF through the test client, so every time includes
Flask's own work: the first request renders (the first door sign of the
process also pays WeasyPrint's one-time font set-up), the repeats come from
memory, and a cleared memory shows the disk cache. Then the cache is emptied
and ``flask printables build`` writes the whole set. Goals: a first
door sign under 0.3 s, a cached one under 10 ms, the whole set under 20 s.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

from bench import goals

ROOT = Path(__file__).resolve().parent.parent
GOAL_FIRST_SIGN = 0.3
GOAL_CACHED = 0.010
GOAL_BUILD = 20.0


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=50, help="cached requests per document")
    parser.add_argument("--quick", action="store_true", help="5 cached requests per document")
    parser.add_argument("--results", default=None, help="append the figures to this file (JSON lines)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat = 5
    sys.path.insert(0, str(ROOT))

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        start_time, app = timed(lambda: _app(tmp_path))
        from printables.documents import catalogue

        from kiosk.i18n import store

        with app.app_context():
            names = list(catalogue(store().get("sv")))
            languages = list(app.config["LANGUAGES"])
        client = app.test_client()
        print(f"app start (imports WeasyPrint): {start_time:.2f} s")
        print(f"{'document':<28} {'lang':<4} {'pages':>5} {'first':>9} {'memory':>9} {'disk':>9}")

        first_sign = None
        worst_cached = 0.0
        for lang in languages:
            for name in names:
                url = f"/print/{name}.pdf?lang={lang}"
                first, response = timed(lambda: client.get(url))
                assert response.headers["X-Print-Cache"] == "rendered", url
                if first_sign is None and name == "door-sign":
                    first_sign = first
                memory = _median(client, url, args.repeat, "memory")
                app.extensions["printables_cache"].clear_memory()
                disk = _median(client, url, 1, "disk")
                worst_cached = max(worst_cached, memory)
                pages = len(PdfReader(io.BytesIO(response.data)).pages)
                print(f"{name:<28} {lang:<4} {pages:>5} {_ms(first):>9} {_ms(memory):>9} {_ms(disk):>9}")

        # The whole set, from an empty cache (memory and disk).
        app.extensions["printables_cache"].clear_memory()
        shutil.rmtree(Path(app.instance_path) / "print-cache", ignore_errors=True)
        outdir = tmp_path / "set"
        build_time, result = timed(lambda: app.test_cli_runner().invoke(args=["printables", "build", str(outdir)]))
        if result.exit_code != 0:
            print(result.output)
            return 1
        count = len(list(outdir.rglob("*.pdf")))
        print(f"whole build: {count} PDFs in {build_time:.2f} s")

    print()
    print(_goal("first door sign", first_sign, GOAL_FIRST_SIGN))
    print(_goal("slowest cached answer", worst_cached, GOAL_CACHED))
    print(_goal("whole build", build_time, GOAL_BUILD))
    part = "printables" + (" (quick)" if args.quick else "")
    goals.save([
        goals.Figure(part, "first door sign", None if first_sign is None else first_sign * 1000, " ms",
                     goals.Goal("<", GOAL_FIRST_SIGN * 1000, " ms")),
        goals.Figure(part, "slowest cached answer", worst_cached * 1000, " ms",
                     goals.Goal("<", GOAL_CACHED * 1000, " ms"), f"median of {args.repeat} per document"),
        goals.Figure(part, "whole build", build_time, " s", goals.Goal("<", GOAL_BUILD, " s"), f"{count} PDFs"),
    ], args.results)
    return 0


def _app(tmp_path: Path):
    """The kiosk on a fresh SQLite database with the demo rooms."""
    from flask_migrate import upgrade

    from kiosk import create_app
    from kiosk.cli import seed_demo

    app = create_app({
        "SECRET_KEY": "bench-not-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'bench.db'}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
    })
    with app.app_context():
        upgrade()
        seed_demo()
    return app


def _median(client, url: str, repeat: int, expected: str) -> float:
    times = []
    for _ in range(repeat):
        elapsed, response = timed(lambda: client.get(url))
        assert response.headers["X-Print-Cache"] == expected, (url, response.headers["X-Print-Cache"])
        times.append(elapsed)
    return statistics.median(times)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _goal(label: str, value: float | None, goal: float) -> str:
    if value is None:
        return f"{label}: not measured"
    verdict = "ok" if value < goal else "OVER"
    if goal >= 1:
        return f"{label}: {value:.2f} s (goal < {goal:.0f} s) {verdict}"
    return f"{label}: {value * 1000:.1f} ms (goal < {goal * 1000:.0f} ms) {verdict}"


if __name__ == "__main__":
    sys.exit(main())
