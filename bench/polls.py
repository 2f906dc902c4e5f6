"""Polls against a bare Flask endpoint, with wrk, in one run.

    .venv/bin/python -m bench.polls [--seconds 10] [--connections 64]

Serves the kiosk (SQLite in a temporary instance folder, the demo rooms, a
paired door tablet) and bench/bare.py with the same gunicorn.conf.py, then
measures requests per second of: the bare endpoint, an unchanged door poll
(204), and a poll whose panel changed (200 with the fragment). Prints each and
its ratio to the bare endpoint. Goals: unchanged poll >= 0.8x bare,
and >= 1,000 req/s (5,000 tablets polling every 5 s).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(instance: Path, database_url: str | None) -> tuple[str, str]:
    """Migrate, seed, and pair a door tablet; return (device token, room slug)."""
    os.environ["KIOSK_INSTANCE_PATH"] = str(instance)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from kiosk import create_app
    from kiosk.cli import seed_demo
    from kiosk.extensions import db
    from kiosk.models import Room
    from kiosk.rooms import pairing

    app = create_app()
    with app.app_context():
        upgrade()
        seed_demo()
        room = db.session.scalar(db.select(Room).where(Room.slug == "videorum-1"))
        # A realistic day of bookings in every room: the unchanged poll must stay as cheap.
        from bench.bookings_day import seed_day
        from kiosk import clock

        seed_day(list(db.session.scalars(db.select(Room.id))), clock.now())
        db.session.commit()
        code = pairing.new_code("door", room.unit, room, actor="bench")
        _tablet, token = pairing.redeem(code, "127.0.0.1")
        return token, room.slug


def serve(target: str, port: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}", target],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz" if "wsgi" in target else f"http://127.0.0.1:{port}/",
                                   timeout=1).close()
            return proc
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"{target} did not start")


def wrk(url: str, seconds: int, connections: int, cookie: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p99": p99, "non2xx": int(errors.group(1)) if errors else 0,
            "socket": sock.group(1) if sock else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    instance = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    token, slug = prepare(instance, args.database_url)
    env = {**os.environ, "KIOSK_INSTANCE_PATH": str(instance)}
    bare_port, kiosk_port = free_port(), free_port()
    procs = [serve("bench.bare:app", bare_port, env), serve("wsgi:app", kiosk_port, env)]
    try:
        cookie = f"kiosk_device={token}"
        base = f"http://127.0.0.1:{kiosk_port}/rooms/{slug}/door/poll"
        req = urllib.request.Request(f"http://127.0.0.1:{kiosk_port}/rooms/{slug}/door", headers={"Cookie": cookie})
        html = urllib.request.urlopen(req).read().decode()
        version = re.search(r"/door/poll\?v=([^\"&]+)", html).group(1)
        check = urllib.request.Request(f"{base}?v={version}", headers={"Cookie": cookie, "HX-Request": "true"})
        assert urllib.request.urlopen(check).status == 204, "the unchanged poll must answer 204"

        results = {
            "bare Flask endpoint": wrk(f"http://127.0.0.1:{bare_port}/", args.seconds, args.connections),
            "unchanged poll (204)": wrk(f"{base}?v={version}", args.seconds, args.connections, cookie),
            "changed poll (200 + panel)": wrk(f"{base}?v=stale", args.seconds, args.connections, cookie),
        }
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=15)
        shutil.rmtree(instance, ignore_errors=True)

    bare = results["bare Flask endpoint"]["rps"]
    db_name = "PostgreSQL" if args.database_url else "SQLite"
    print(f"Polls on {db_name}, gunicorn.conf.py ({os.cpu_count()} cores), wrk -t2 -c{args.connections} "
          f"-d{args.seconds}s")
    print(f"{'endpoint':30} {'req/s':>10} {'ratio':>7} {'p99':>9} {'non-2xx':>8}")
    for name, r in results.items():
        print(f"{name:30} {r['rps']:10.0f} {r['rps'] / bare:7.2f} {r['p99']:>9} {r['non2xx']:8d} {r['socket']}")
    unchanged = results["unchanged poll (204)"]["rps"]
    print(f"door tablets at one poll per 5 s carried by the unchanged poll rate: {int(unchanged * 5):,}")


if __name__ == "__main__":
    main()
