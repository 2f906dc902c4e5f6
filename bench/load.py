"""Load: N door tablets and M boards polling at their real interval, with
check-ins and ends at a realistic rate, against real gunicorn instances.

    .venv/bin/python -m bench.load                          # SQLite, one instance
    .venv/bin/python -m bench.load --database-url postgresql://u:p@127.0.0.1/db --instances 2

For each N in the ladder it runs for --seconds and prints requests per second,
p50/p95/p99 latency and errors, then the largest N whose p99 stays under
100 ms with no errors. Open loop: requests are sent at the tablets' aggregate
rate (N / poll interval) whatever the server does, and latency is measured
from when a request was due, so queueing is counted (no coordinated omission).
The client is like a reverse proxy: a pool of keep-alive connections spread
over the instances, each request carrying one tablet's cookie.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROOMS_PER_UNIT = 25
VERSION = re.compile(rb"/(door|board)/poll\?v=([^\"&]+)")


def prepare(database_url: str, instance: Path, rooms: int, boards: int, actors: int):
    """Migrate and create the rooms, door tablets, boards; return what the client needs."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["KIOSK_INSTANCE_PATH"] = str(instance)
    os.environ["KIOSK_SECRET_KEY"] = "load-test-secret"
    from flask_migrate import upgrade
    from sqlalchemy import MetaData, insert, text

    from kiosk import create_app
    from kiosk.extensions import db
    from kiosk.models import Room, Tablet, Unit

    app = create_app()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            meta = MetaData()
            meta.reflect(db.engine)
            meta.drop_all(db.engine)
        upgrade()
        # Rooms come in units of ROOMS_PER_UNIT (a clinic's corridor); boards watch the first units.
        units = [Unit(name=f"Mottagning {u}", slug=f"u{u}") for u in range(-(-rooms // ROOMS_PER_UNIT))]
        db.session.add_all(units)
        db.session.flush()
        db.session.execute(insert(Room), [
            {"unit_id": units[i // ROOMS_PER_UNIT].id, "name": f"Rum {i}", "slug": f"r{i}", "location": "",
             "active": True, "version": 1}
            for i in range(rooms)])
        room_ids = dict(db.session.execute(text("SELECT slug, id FROM room")).all())
        now = __import__("kiosk.clock", fromlist=["now"]).now()
        from datetime import timedelta

        def seen(i):
            # Tablets in steady state: last-seen times spread over the last minute
            # (all equal would make every tablet due for its write at the same moment).
            return now - timedelta(seconds=(i * 7919) % 60)

        db.session.execute(insert(Tablet), [
            {"kind": "door", "unit_id": units[i // ROOMS_PER_UNIT].id, "room_id": room_ids[f"r{i}"], "label": "",
             "token_hash": hashlib.sha256(f"door-{i}".encode()).hexdigest(), "paired_at": now, "last_seen_at": seen(i)}
            for i in range(rooms)] + [
            {"kind": "board", "unit_id": units[i % len(units)].id, "room_id": None, "label": "",
             "token_hash": hashlib.sha256(f"board-{i}".encode()).hexdigest(), "paired_at": now, "last_seen_at": now}
            for i in range(boards)])
        # A realistic day of bookings in every room: the unchanged poll must stay as cheap.
        from bench.bookings_day import seed_day

        booked = seed_day(list(room_ids.values()), now)
        db.session.commit()
        print(f"{booked} bookings today in {len(room_ids)} rooms", flush=True)
    content_version = app.extensions["kiosk_content"].version
    # A few rooms are used for visits: they need a CSRF token bound to a session cookie.
    # (Outside the app context above: each request must get its own.)
    sessions = {}
    for i in range(actors):
        client = app.test_client()
        client.set_cookie("kiosk_device", f"door-{i}")
        response = client.get(f"/rooms/r{i}/door")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, (response.status_code, html[:300])
        token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
        sessions[i] = (client.get_cookie("session").value, token)
    with app.app_context():
        db.engine.dispose()
    return content_version, sessions


class Stats:
    def __init__(self):
        self.latencies: list[float] = []
        self.by_kind: dict[str, list[float]] = {}
        self.errors = 0
        self.statuses: dict[int, int] = {}


async def http(reader, writer, method: str, path: str, headers: dict, body: bytes = b""):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    close = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and b"close" in value.lower():
            close = True
    data = await reader.readexactly(length) if length else b""
    return status, data, close


async def run_step(urls, n_doors, n_boards, seconds, interval, content_version, sessions, connections):
    stats = Stats()
    door_v = {i: f"1.0.{content_version}" for i in range(n_doors)}
    board_v = {i: "start" for i in range(n_boards)}
    queue: asyncio.Queue = asyncio.Queue()
    state = {i: 0 for i in sessions}  # the next action of each visiting room
    actions = [("check-in", "minutes=30"), ("skip", "reason=urgent"), ("end", ""), ("finish", "outcome=held")]

    async def worker(url):
        host, port = url.split(":")
        reader = writer = None
        while True:
            job = await queue.get()
            if job is None:
                break
            due, kind, i = job
            stats.by_kind.setdefault("(client lag)", []).append(time.monotonic() - due)
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, int(port))
                if kind == "door":
                    status, data, close = await http(reader, writer, "GET", f"/rooms/r{i}/door/poll?v={door_v[i]}",
                                                     {"Cookie": f"kiosk_device=door-{i}", "HX-Request": "true"})
                elif kind == "board":
                    status, data, close = await http(reader, writer, "GET", f"/board/poll?v={board_v[i]}",
                                                     {"Cookie": f"kiosk_device=board-{i}", "HX-Request": "true"})
                else:
                    session, token = sessions[i]
                    action, body = actions[state[i] % 4]
                    status, data, close = await http(
                        reader, writer, "POST", f"/rooms/r{i}/{action}",
                        {"Cookie": f"kiosk_device=door-{i}; session={session}", "X-CSRFToken": token,
                         "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"}, body.encode())
                    if status == 200:
                        state[i] += 1
                took = time.monotonic() - due
                stats.latencies.append(took)
                label = f"{kind} {status}"
                stats.by_kind.setdefault(label, []).append(took)
                stats.statuses[status] = stats.statuses.get(status, 0) + 1
                if status >= 500 or status in (400, 403):
                    stats.errors += 1
                if status == 200 and kind in ("door", "board"):
                    m = VERSION.search(data)
                    if m:
                        (door_v if kind == "door" else board_v)[i] = m.group(2).decode()
                if close:
                    writer.close()
                    writer = None
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                stats.errors += 1
                if writer is not None:
                    writer.close()
                writer = None

    workers = [asyncio.create_task(worker(urls[k % len(urls)])) for k in range(connections)]
    # One visit per room per ~30 minutes, four actions each, over the visiting rooms.
    visit_rate = max(1.0, n_doors / 1800 * 4)
    rates = [("door", n_doors / interval), ("board", n_boards / interval), ("action", visit_rate)]
    total_rate = sum(r for _, r in rates)
    start = time.monotonic()
    sent = 0
    cursors = {"door": 0, "board": 0, "action": 0}
    pools = {"door": n_doors, "board": max(n_boards, 1), "action": max(len(sessions), 1)}
    while True:
        due = start + sent / total_rate
        if due - start >= seconds:
            break
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        pick = random.random() * total_rate
        for kind, rate in rates:
            if pick < rate:
                break
            pick -= rate
        if kind == "action" and not sessions:
            kind = "door"
        i = cursors[kind] % pools[kind]
        cursors[kind] += 1
        await queue.put((due, kind, i))
        sent += 1
    for _ in workers:
        await queue.put(None)
    await asyncio.gather(*workers)
    elapsed = time.monotonic() - start
    return stats, sent / elapsed, len(stats.latencies) / elapsed


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--instances", type=int, default=None, help="gunicorn instances (default 1 SQLite, 2 PostgreSQL)")
    parser.add_argument("--ladder", default="1000,2500,5000,7500,10000")
    parser.add_argument("--boards", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers per instance")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--by-kind", action="store_true", help="latency of each kind of request")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of untimed load first")
    args = parser.parse_args()

    from tests.instances import Instance

    ladder = [int(x) for x in args.ladder.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-load-"))
    url = args.database_url or f"sqlite:///{tmp}/load.db"
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    n_instances = args.instances or (2 if backend == "PostgreSQL" else 1)
    content_version, sessions = prepare(url, tmp / "prep", max(ladder), args.boards, actors=50)
    per_instance_workers = args.workers or max(1, (os.cpu_count() or 2) // n_instances)
    instances = [Instance(url, tmp / f"inst-{k}", KIOSK_SECRET_KEY="load-test-secret",
                          KIOSK_POLL_SECONDS=int(args.interval), KIOSK_WORKERS=per_instance_workers,
                          KIOSK_THREADS=args.threads).start() for k in range(n_instances)]
    urls = [f"127.0.0.1:{inst.port}" for inst in instances]
    print(f"{backend}, {n_instances} instance(s) x {per_instance_workers} worker(s) x {args.threads} threads, "
          f"{os.cpu_count()} cores shared with this client; {args.boards} boards; "
          f"poll every {args.interval:g} s; {args.seconds} s per step")
    print(f"{'doors':>7} {'target/s':>9} {'done/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}  statuses")
    best = 0
    try:
        # Warm up untimed: each worker compiles its templates and fills its pool once.
        asyncio.run(run_step(urls, ladder[0], args.boards, args.warmup, args.interval, content_version, sessions,
                             args.connections))
        for n in ladder:
            stats, target, done = asyncio.run(run_step(urls, n, args.boards, args.seconds, args.interval,
                                                       content_version, sessions, args.connections))
            p99 = pct(stats.latencies, 0.99)
            print(f"{n:7d} {target:9.0f} {done:8.0f} {pct(stats.latencies, 0.5):8.1f} {pct(stats.latencies, 0.95):8.1f} "
                  f"{p99:8.1f} {stats.errors:7d}  {dict(sorted(stats.statuses.items()))}", flush=True)
            if args.by_kind:
                for label, values in sorted(stats.by_kind.items()):
                    print(f"        {label:14} n={len(values):6d} p50 {pct(values, 0.5):7.1f}  p99 {pct(values, 0.99):7.1f} ms")
            if p99 < 100 and stats.errors == 0:
                best = n
    finally:
        for inst in instances:
            inst.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"largest N with p99 < 100 ms and no errors: {best or 'none of the ladder'}")


if __name__ == "__main__":
    main()
