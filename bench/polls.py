"""Polls against a bare Flask endpoint, with wrk, side by side in one run.

    .venv/bin/python -m bench.polls [--seconds 10] [--connections 64] [--quick]
    .venv/bin/python -m bench.polls --database-url postgresql://u:p@127.0.0.1/db

Serves the kiosk and bench/bare.py with the same gunicorn.conf.py, then
measures, one after the other with ``wrk -t2`` (apt package ``wrk``):

- the bare Flask endpoint (the yardstick),
- an unchanged door poll (204) and an unchanged board poll (204),
- a changed door poll (200 + the door's panel),
- a board poll that changed (200 + the whole board fragment of 24 rooms).

The kiosk has one unit of 24 rooms, each with its door tablet and a day of
eight bookings, and a reception board; the clock is moved to a quiet moment of
a weekday (bench/common.py), so the versions stay put during the run. Each
line shows requests per second, p99, the ratio to the bare endpoint and the
goal: unchanged polls >= 1.0x bare, the changed panel and the board render
>= 0.25x (docs/decisions.md, README "Performance").
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import goals
from bench.common import QUIET, ROOT, copy_content, free_port, move_clock_to

BIN = Path(sys.executable).parent
ROOMS = 24
# The board marks a door that was not heard for three poll intervals; only one of
# the 24 doors polls here, so the interval is long enough that none goes quiet
# during the run (else the board's version would change under the wrk run).
POLL_SECONDS = 300


def prepare(database_url: str, instance: Path, content: Path) -> dict:
    """Migrate and create the unit, its rooms, door tablets, board and day;
    return the device tokens and the room polled."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["KIOSK_INSTANCE_PATH"] = str(instance)
    os.environ["KIOSK_CONTENT_DIR"] = str(content)
    from flask_migrate import upgrade
    from sqlalchemy import MetaData, insert

    from bench.bookings_day import seed_day
    from kiosk import clock, create_app
    from kiosk.extensions import db
    from kiosk.models import Room, Tablet, Unit

    app = create_app()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            meta = MetaData()
            meta.reflect(db.engine)
            meta.drop_all(db.engine)
        upgrade()
        now = clock.now()
        unit = Unit(name="Mottagning 24", slug="u24")
        db.session.add(unit)
        db.session.flush()
        rooms = [Room(unit_id=unit.id, name=f"Videorum {i + 1}", slug=f"r{i}", location="", active=True, version=1)
                 for i in range(ROOMS)]
        db.session.add_all(rooms)
        db.session.flush()
        db.session.execute(insert(Tablet), [
            {"kind": "door", "unit_id": unit.id, "room_id": room.id, "label": "", "paired_at": now,
             "token_hash": hashlib.sha256(f"door-{i}".encode()).hexdigest(), "last_seen_at": now}
            for i, room in enumerate(rooms)] + [
            {"kind": "board", "unit_id": unit.id, "room_id": None, "label": "", "paired_at": now,
             "token_hash": hashlib.sha256(b"board-0").hexdigest(), "last_seen_at": now}])
        seed_day([room.id for room in rooms], now)
        db.session.commit()
        db.engine.dispose()
    return {"door": "door-0", "board": "board-0", "slug": "r0"}


def serve(target: str, port: int, env: dict, health: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}", target],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=2).close()
            return proc
        except Exception:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit(f"{target} did not start (exit status {proc.poll()})")


def get(url: str, cookie: str) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Cookie": cookie, "HX-Request": "true"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, resp.read().decode()


def wrk(url: str, seconds: int, connections: int, cookie: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}", "-H", "HX-Request: true"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict:
    """Requests per second, p99 (ms), non-2xx answers and socket errors of wrk's report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p99": p99, "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket": sock.group(1).strip() if sock else ""}


def figures(results: dict[str, dict], part: str) -> list[goals.Figure]:
    """Each endpoint's ratio to the bare one beside its goal (the bare one as the yardstick)."""
    bare = results["bare"]["rps"]
    rows = [goals.Figure(part, "bare Flask endpoint", bare, " req/s", None,
                         f"p99 {goals.number(results['bare']['p99'])} ms")]
    for key, name, goal in CASES:
        r = results.get(key)
        if r is None:
            continue
        problems = [p for p in (f"{r['non2xx']} non-2xx" if r["non2xx"] else "", r["socket"],
                                r.get("invalid", "")) if p]
        value = None if r.get("invalid") else r["rps"] / bare
        rows.append(goals.Figure(part, f"{name} vs bare", value, "×", goal,
                                 f"{r['rps']:,.0f} req/s, p99 {goals.number(r['p99'])} ms"
                                 + (f" ({'; '.join(problems)})" if problems else "")))
    return rows


CASES = (
    ("door", "unchanged door poll (204)", goals.UNCHANGED_POLL_RATIO),
    ("board", "unchanged board poll (204)", goals.UNCHANGED_POLL_RATIO),
    ("panel", "changed door panel (200)", goals.HEAVY_RENDER_RATIO),
    ("board24", "24-room board render (200)", goals.HEAVY_RENDER_RATIO),
)


def main(argv: list[str] | None = None) -> list[goals.Figure]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="per endpoint")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of a new SQLite file")
    parser.add_argument("--quick", action="store_true", help="2 s an endpoint, 16 connections: proves it runs")
    parser.add_argument("--results", default=None, help="append the figures to this file (JSON lines)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.connections = 2, 16
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (make bench installs it where it can)")

    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    url = args.database_url or f"sqlite:///{tmp}/polls.db"
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    content = copy_content(tmp)
    offset = move_clock_to(QUIET)
    devices = prepare(url, tmp / "instance", content)
    from kiosk.clock import OFFSET_ENV

    env = {**os.environ, "KIOSK_INSTANCE_PATH": str(tmp / "instance"), "KIOSK_CONTENT_DIR": str(content),
           "DATABASE_URL": url, "KIOSK_SECRET_KEY": "polls-bench-secret", OFFSET_ENV: str(offset),
           "KIOSK_POLL_SECONDS": str(POLL_SECONDS)}
    bare_port, kiosk_port = free_port(), free_port()
    procs = [serve("bench.bare:app", bare_port, env, "/"), serve("wsgi:app", kiosk_port, env, "/healthz")]
    base = f"http://127.0.0.1:{kiosk_port}"
    door_cookie, board_cookie = f"kiosk_device={devices['door']}", f"kiosk_device={devices['board']}"
    door_poll, board_poll = f"{base}/rooms/{devices['slug']}/door/poll", f"{base}/board/poll"
    results: dict[str, dict] = {}
    try:
        door_v = re.search(r"/door/poll\?v=([^\"&]+)", get(f"{base}/rooms/{devices['slug']}/door", door_cookie)[1]).group(1)
        status, board_html = get(f"{base}/board", board_cookie)
        assert status == 200, f"the board answered {status}"
        board_v = re.search(r"/board/poll\?v=([^\"&]+)", board_html).group(1)
        rooms_shown = len(set(re.findall(r"/board/rooms/(r\d+)", board_html)))
        assert rooms_shown == ROOMS, f"the board shows {rooms_shown} rooms, not {ROOMS}"

        def unchanged(url: str, cookie: str, what: str) -> None:
            status, _body = get(url, cookie)
            assert status == 204, f"the unchanged {what} poll answered {status}, not 204"

        def render(url: str, cookie: str, what: str, marker: str) -> None:
            status, body = get(url, cookie)
            assert status == 200 and marker in body, f"the {what} answered {status} without its fragment"

        unchanged(f"{door_poll}?v={door_v}", door_cookie, "door")
        unchanged(f"{board_poll}?v={board_v}", board_cookie, "board")
        render(f"{door_poll}?v=stale", door_cookie, "changed door poll", "/door/poll?v=")
        render(f"{board_poll}?v=stale", board_cookie, "changed board poll", "/board/poll?v=")

        results["bare"] = wrk(f"http://127.0.0.1:{bare_port}/", args.seconds, args.connections)
        results["door"] = wrk(f"{door_poll}?v={door_v}", args.seconds, args.connections, door_cookie)
        results["board"] = wrk(f"{board_poll}?v={board_v}", args.seconds, args.connections, board_cookie)
        results["panel"] = wrk(f"{door_poll}?v=stale", args.seconds, args.connections, door_cookie)
        results["board24"] = wrk(f"{board_poll}?v=stale", args.seconds, args.connections, board_cookie)
        # wrk counts 200 and 204 alike: an unchanged poll that became a render
        # during its run would be measured as the wrong thing.
        for key, url, cookie in (("door", f"{door_poll}?v={door_v}", door_cookie),
                                 ("board", f"{board_poll}?v={board_v}", board_cookie)):
            if get(url, cookie)[0] != 204:
                results[key]["invalid"] = "its version changed during the run"
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=15)
        shutil.rmtree(tmp, ignore_errors=True)

    part = f"polls {backend}" + (" (quick)" if args.quick else "")
    rows = figures(results, part)
    print(f"Polls on {backend}, gunicorn.conf.py ({os.cpu_count()} cores), wrk -t2 -c{args.connections} "
          f"-d{args.seconds}s; a board of {ROOMS} rooms")
    print(goals.table(rows))
    print(f"door tablets at one poll per 5 s carried by the unchanged door poll rate: {int(results['door']['rps'] * 5):,}")
    goals.save(rows, args.results)
    return rows


if __name__ == "__main__":
    main()
