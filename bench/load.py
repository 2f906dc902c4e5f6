# Over 400 lines: the ladder, the reload and the herd share one open-loop client, its
# windows and its figures; apart they would hand half-built state to one another.
"""Load: N door tablets and M boards polling at their real interval, with
check-ins and ends at a realistic rate, against real gunicorn instances.

    .venv/bin/python -m bench.load                          # SQLite, one instance
    .venv/bin/python -m bench.load --database-url postgresql://u:p@127.0.0.1/db --instances 2
    .venv/bin/python -m bench.load --scenarios herd --quick # one scenario, small and short

Three scenarios (``--scenarios ladder,reload,herd``, all by default):

ladder
    For each N of the ladder (2,500 / 5,000 / 7,500 / 10,000 doors, each room
    with a day of eight bookings, 20 boards of 24 rooms) it runs for
    --seconds and prints requests per second, p50/p95/p99 latency and errors,
    then the largest N whose p99 stays under 100 ms with no errors (goal:
    10,000 on SQLite with one instance, 5,000 on PostgreSQL with two). The
    clock stands at a quiet moment of a weekday (bench/common.py).
reload
    --reload-doors doors polling; mid-run the content changes and every
    instance's gunicorn master gets SIGHUP (what ``systemctl reload`` sends),
    one after the other. Goal: no request refused or failed, p99 < 1 s from
    the signal until one poll interval after every instance serves the new
    content version (the doors' re-render wave included).
herd
    The 08.00 herd: every room's first booking starts at 08.00, and the
    servers' clock (kiosk.clock's offset, the same in every process) reaches
    08.00 during the run, so every door and board changes at once. Goals:
    every door shows its changed panel within two poll intervals of 08.00,
    p99 < 1 s over those two intervals, no errors, and p99 of the unchanged
    polls (204) under 100 ms in the windows before and after.

Open loop: requests are sent at the tablets' aggregate rate (N / poll interval)
whatever the server does, and latency is measured from when a request was due,
so queueing is counted (no coordinated omission). The client is like a reverse
proxy: a pool of keep-alive connections spread over the instances, each
request carrying one tablet's cookie; a request written to a kept-alive
connection that the server closed before answering is sent again on a new
one, as browsers and proxies do (counted as "resent", and its latency runs
from when it was first due).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import re
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from datetime import time as wall_time
from datetime import timedelta
from pathlib import Path

from bench import goals
from bench.common import QUIET, copy_content, move_clock_to

# A clinic's corridor: one unit, one reception board.
ROOMS_PER_UNIT = 24
VERSION = re.compile(rb"/(door|board)/poll\?v=([^\"&]+)")
HERD_AT = wall_time(8, 0)
# The herd's database is seeded as at 07.50 (the 07.45 "soon" moment already
# past, 08.00 the next moment of every room); the servers' clock starts later.
HERD_SEEDED_AT = wall_time(7, 50)
SCENARIOS = ("ladder", "reload", "herd")
ERROR_STATUSES = {400, 403, 429}


def prepare(database_url: str, instance: Path, content: Path, rooms: int, boards: int, actors: int):
    """Migrate and create the rooms, door tablets, boards and the day's bookings;
    return the content version and the visiting rooms' sessions."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["KIOSK_INSTANCE_PATH"] = str(instance)
    os.environ["KIOSK_SECRET_KEY"] = "load-test-secret"
    os.environ["KIOSK_CONTENT_DIR"] = str(content)
    from flask_migrate import upgrade
    from sqlalchemy import MetaData, insert, text

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
        # Rooms come in units of ROOMS_PER_UNIT (a clinic's corridor); boards watch the first units.
        units = [Unit(name=f"Mottagning {u}", slug=f"u{u}") for u in range(-(-rooms // ROOMS_PER_UNIT))]
        db.session.add_all(units)
        db.session.flush()
        db.session.execute(insert(Room), [
            {"unit_id": units[i // ROOMS_PER_UNIT].id, "name": f"Rum {i}", "slug": f"r{i}", "location": "",
             "active": True, "version": 1}
            for i in range(rooms)])
        room_ids = dict(db.session.execute(text("SELECT slug, id FROM room")).all())
        now = clock.now()

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
        booked = seed_day([room_ids[f"r{i}"] for i in range(rooms)], now)
        db.session.commit()
        print(f"{booked} bookings on {clock.local(now):%A %Y-%m-%d} in {rooms} rooms, {len(units)} units of "
              f"{ROOMS_PER_UNIT}; the clock at {clock.local(now):%H:%M}", flush=True)
    content_version = app.extensions["kiosk_content"].version
    # A few rooms are used for visits: they need a CSRF token bound to a session cookie.
    # (Outside the app context above: each request must get its own.)
    sessions = {}
    for i in range(min(actors, rooms)):
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


# ---- the client --------------------------------------------------------------------


class Closed(ConnectionError):
    """The server closed a kept-alive connection before answering."""


async def http(reader, writer, method: str, path: str, headers: dict, body: bytes = b""):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise Closed("closed before the status line")
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


@dataclass
class Sample:
    due: float  # monotonic seconds: when the request was due
    sent: float  # when it was (last) written
    done: float  # when its answer was read (or it failed)
    kind: str  # door, board, action
    status: int  # 0 when no answer came
    resent: bool = False

    @property
    def latency(self) -> float:
        return self.done - self.due


@dataclass
class Fleet:
    """The tablets' state, kept across the steps of a scenario: the version each
    door and board shows, and each visiting room's next action."""

    n_doors: int
    n_boards: int
    content_version: str
    sessions: dict
    door_v: dict = field(default_factory=dict)
    board_v: dict = field(default_factory=dict)
    step: dict = field(default_factory=dict)

    def __post_init__(self):
        self.door_v = {i: f"1.0.{self.content_version}" for i in range(self.n_doors)}
        self.board_v = {i: "start" for i in range(self.n_boards)}
        self.step = {i: 0 for i in self.sessions}


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)  # no answer: the exception's name
    resent: int = 0
    start: float = 0.0
    end: float = 0.0
    watch_from: float | None = None  # the herd: when every door and board changes
    first_change: dict = field(default_factory=dict)  # (kind, i) -> seconds from watch_from to its 200

    def offered(self) -> float:
        return len(self.samples) / max(self.end - self.start, 1e-9)


ACTIONS = [("check-in", "minutes=30"), ("skip", "reason=urgent"), ("end", ""), ("finish", "outcome=held")]


async def drive(urls: list[str], fleet: Fleet, n_doors: int, seconds: float, interval: float, connections: int,
                watch_from: float | None = None, side=None) -> Run:
    """Poll as ``n_doors`` doors, the fleet's boards and its visits for ``seconds``
    (open loop); ``side`` is a coroutine run beside it (the reload)."""
    run = Run(watch_from=watch_from)
    queue: asyncio.Queue = asyncio.Queue()

    async def request(reader, writer, kind, i):
        if kind == "door":
            return await http(reader, writer, "GET", f"/rooms/r{i}/door/poll?v={fleet.door_v[i]}",
                              {"Cookie": f"kiosk_device=door-{i}", "HX-Request": "true"})
        if kind == "board":
            return await http(reader, writer, "GET", f"/board/poll?v={fleet.board_v[i]}",
                              {"Cookie": f"kiosk_device=board-{i}", "HX-Request": "true"})
        session, token = fleet.sessions[i]
        action, body = ACTIONS[fleet.step[i] % len(ACTIONS)]
        return await http(reader, writer, "POST", f"/rooms/r{i}/{action}",
                          {"Cookie": f"kiosk_device=door-{i}; session={session}", "X-CSRFToken": token,
                           "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"}, body.encode())

    async def worker(url):
        host, port = url.split(":")
        reader = writer = None
        while True:
            job = await queue.get()
            if job is None:
                if writer is not None:
                    writer.close()
                    try:
                        await writer.wait_closed()
                    except OSError:
                        pass  # the server had closed it already
                break
            due, kind, i = job
            sample = Sample(due, 0.0, 0.0, kind, 0)
            for attempt in (1, 2):
                reused = writer is not None
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection(host, int(port))
                    sample.sent = time.monotonic()
                    status, data, close = await request(reader, writer, kind, i)
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                    if writer is not None:
                        writer.close()
                    writer = None
                    if reused and attempt == 1 and isinstance(exc, (Closed, ConnectionResetError, BrokenPipeError)):
                        sample.resent = True
                        run.resent += 1
                        continue
                    name = type(exc).__name__
                    run.failures[name] = run.failures.get(name, 0) + 1
                    break
                sample.status = status
                if kind == "action" and status == 200:
                    fleet.step[i] += 1
                if status == 200 and kind in ("door", "board"):
                    m = VERSION.search(data)
                    if m:
                        (fleet.door_v if kind == "door" else fleet.board_v)[i] = m.group(2).decode()
                    if watch_from is not None and sample.sent >= watch_from and (kind, i) not in run.first_change:
                        run.first_change[(kind, i)] = time.monotonic() - watch_from
                if close:
                    writer.close()
                    writer = None
                break
            sample.done = time.monotonic()
            run.samples.append(sample)

    workers = [asyncio.create_task(worker(urls[k % len(urls)])) for k in range(connections)]
    side_task = asyncio.create_task(side) if side is not None else None
    # One visit per room per ~30 minutes, four actions each, over the visiting rooms.
    visit_rate = max(1.0, n_doors / 1800 * 4)
    rates = [("door", n_doors / interval), ("board", fleet.n_boards / interval),
             ("action", visit_rate if fleet.sessions else 0.0)]
    total_rate = sum(r for _, r in rates)
    run.start = time.monotonic()
    sent = 0
    cursors = {"door": 0, "board": 0, "action": 0}
    pools = {"door": n_doors, "board": max(fleet.n_boards, 1), "action": max(len(fleet.sessions), 1)}
    actors = sorted(fleet.sessions)
    while True:
        due = run.start + sent / total_rate
        if due - run.start >= seconds:
            break
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        pick = random.random() * total_rate
        for kind, rate in rates:
            if pick < rate:
                break
            pick -= rate
        if kind == "action" and not actors:
            kind = "door"
        i = cursors[kind] % pools[kind]
        if kind == "action":
            i = actors[i]
        cursors[kind] += 1
        await queue.put((due, kind, i))
        sent += 1
    for _ in workers:
        await queue.put(None)
    await asyncio.gather(*workers)
    if side_task is not None:
        await side_task
    run.end = time.monotonic()
    return run


# ---- figures -------------------------------------------------------------------------


def pct(values, p) -> float:
    """The p-quantile of ``values`` (seconds) in milliseconds; NaN for none."""
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def window(run: Run, start: float, end: float, unchanged_only: bool = False) -> list[Sample]:
    """The samples due in [start, end); only the polls answered 204 if asked."""
    return [s for s in run.samples if start <= s.due < end and (not unchanged_only or s.status == 204)]


def errors(samples) -> int:
    """Requests failed or refused: no answer, a server error, or a refusal that
    a healthy tablet never earns (409 is a clinician's duplicate tap, refused as designed)."""
    return sum(1 for s in samples if s.status == 0 or s.status >= 500 or s.status in ERROR_STATUSES)


def statuses(samples) -> dict[int, int]:
    counts: dict[int, int] = {}
    for s in samples:
        counts[s.status] = counts.get(s.status, 0) + 1
    return dict(sorted(counts.items()))


def failure_text(run: Run) -> str:
    parts = [f"{n} {name}" for name, n in sorted(run.failures.items())]
    if run.resent:
        parts.append(f"{run.resent} resent after a closed keep-alive")
    return "; ".join(parts)


def largest_passing(steps: list[tuple[int, float, int]]) -> int:
    """The largest N of the ladder with p99 < 100 ms and no errors (0 if none)."""
    return max((n for n, p99, errs in steps if goals.LOAD_P99_MS.met(p99) and errs == 0), default=0)


def herd_lags(run: Run, n_doors: int) -> list[float]:
    """Seconds from 08.00 until each door's poll returned its changed panel
    (infinity for a door that never did during the run)."""
    return [run.first_change.get(("door", i), float("inf")) for i in range(n_doors)]


# ---- scenarios -----------------------------------------------------------------------


@dataclass
class Setup:
    url: str
    backend: str
    n_instances: int
    workers: int
    threads: int
    tmp: Path
    args: argparse.Namespace

    @property
    def label(self) -> str:
        return f"{self.backend} ×{self.n_instances}" + (" (quick)" if self.args.quick else "")


def start_instances(setup: Setup, content: Path, offset: float, name: str):
    from kiosk.clock import OFFSET_ENV
    from tests.instances import Instance

    return [Instance(setup.url, setup.tmp / f"{name}-{k}", KIOSK_SECRET_KEY="load-test-secret",
                     KIOSK_POLL_SECONDS=int(setup.args.interval), KIOSK_WORKERS=setup.workers,
                     KIOSK_THREADS=setup.threads, KIOSK_CONTENT_DIR=content,
                     **{OFFSET_ENV: f"{offset:.6f}"}).start() for k in range(setup.n_instances)]


def stop_instances(instances) -> None:
    for inst in instances:
        inst.stop()


def ladder_and_reload(setup: Setup, scenarios: set[str]) -> list[goals.Figure]:
    """The ladder, then the reload on the same servers (a quiet moment of the day)."""
    args = setup.args
    ladder = [int(x) for x in args.ladder.split(",")] if "ladder" in scenarios else []
    rooms = max(ladder + ([args.reload_doors] if "reload" in scenarios else []))
    content = copy_content(setup.tmp / "ladder")
    offset = move_clock_to(QUIET)
    content_version, sessions = prepare(setup.url, setup.tmp / "prep", content, rooms, args.boards, actors=50)
    instances = start_instances(setup, content, offset, "inst")
    urls = [f"127.0.0.1:{inst.port}" for inst in instances]
    fleet = Fleet(rooms, args.boards, content_version, sessions)
    figures: list[goals.Figure] = []
    try:
        # Warm up untimed: each worker compiles its templates and fills its pool once.
        first = ladder[0] if ladder else args.reload_doors
        asyncio.run(drive(urls, fleet, first, args.warmup, args.interval, args.connections))
        if ladder:
            figures += run_ladder(setup, urls, fleet, ladder)
        if "reload" in scenarios:
            figures += run_reload(setup, urls, fleet, instances, content)
    finally:
        stop_instances(instances)
    return figures


def run_ladder(setup: Setup, urls, fleet: Fleet, ladder: list[int]) -> list[goals.Figure]:
    args = setup.args
    part = f"ladder {setup.label}"
    print(f"\n== ladder: {setup.backend}, {setup.n_instances} instance(s) × {setup.workers} worker(s) × "
          f"{setup.threads} threads, {os.cpu_count()} cores shared with this client; {args.boards} boards of "
          f"{ROOMS_PER_UNIT} rooms; poll every {args.interval:g} s; {args.seconds} s per step")
    print(f"{'doors':>7} {'target/s':>9} {'done/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}  statuses")
    steps, figures = [], []
    for n in ladder:
        run = asyncio.run(drive(urls, fleet, n, args.seconds, args.interval, args.connections))
        lat = [s.latency for s in run.samples]
        p99, errs = pct(lat, 0.99), errors(run.samples)
        target = (n + fleet.n_boards) / args.interval
        print(f"{n:7d} {target:9.0f} {run.offered():8.0f} {pct(lat, 0.5):8.1f} {pct(lat, 0.95):8.1f} "
              f"{p99:8.1f} {errs:7d}  {statuses(run.samples)} {failure_text(run)}", flush=True)
        if args.by_kind:
            for label in sorted({(s.kind, s.status) for s in run.samples}):
                values = [s.latency for s in run.samples if (s.kind, s.status) == label]
                print(f"        {label[0]:6} {label[1]:3d} n={len(values):6d} p50 {pct(values, 0.5):7.1f}  "
                      f"p99 {pct(values, 0.99):7.1f} ms")
        steps.append((n, p99, errs))
        figures.append(goals.Figure(part, f"p99 at {n:,} doors", p99, " ms", goals.LOAD_P99_MS,
                                    f"{run.offered():,.0f} req/s, p50 {pct(lat, 0.5):.1f} ms, {errs} errors "
                                    f"{failure_text(run)}".strip()))
    best = largest_passing(steps)
    goal = goals.LADDER_DOORS[setup.backend]
    # A ladder that stops short of the goal (--quick) cannot show it met.
    judged = goal if max(ladder) >= goal.threshold else None
    figures.append(goals.Figure(part, "doors at p99 < 100 ms, no errors", best, "", judged,
                                "" if judged else f"the ladder stops at {max(ladder):,}"))
    print(f"largest N with p99 < 100 ms and no errors: {best or 'none of the ladder'}")
    return figures


def workers_of(pid: int) -> set[int]:
    """The worker processes of a gunicorn master (Linux: /proc)."""
    try:
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


async def content_version_of(url: str) -> str | None:
    host, port = url.split(":")
    try:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            status, data, _close = await http(reader, writer, "GET", "/healthz", {"Connection": "close"})
        finally:
            writer.close()
        match = re.search(rb'"content_version":\s*"([^"]+)"', data)
        return match.group(1).decode() if status == 200 and match else None
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        return None


def run_reload(setup: Setup, urls, fleet: Fleet, instances, content: Path) -> list[goals.Figure]:
    """SIGHUP to every instance's master (one after the other) under --reload-doors doors,
    after the content changed; the reload window runs from the first signal until one
    poll interval after the last instance serves the new content version."""
    args = setup.args
    before = args.reload_before
    seconds = before + args.reload_after
    what = "the same content" if args.reload_same_content else "content changed"
    print(f"\n== reload: {args.reload_doors:,} doors, {args.boards} boards; {what}, SIGHUP to each "
          f"instance's master {before:g} s into a {seconds:g} s run")
    found: dict = {}

    async def reload():
        await asyncio.sleep(before)
        if not args.reload_same_content:
            facts = content / "facts.toml"
            # Any change of a content file is a new content version (a hash of every file).
            facts.write_text(facts.read_text(encoding="utf-8") + "\n# bench.load: a content reload\n",
                             encoding="utf-8")
        old = {inst.proc.pid: workers_of(inst.proc.pid) for inst in instances}
        found["old"] = old
        found["signalled"] = time.monotonic()
        found["served"] = []
        for inst, url in zip(instances, urls):
            os.kill(inst.proc.pid, signal.SIGHUP)  # what `systemctl reload` sends (ExecReload)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if args.reload_same_content:
                    # The same content: done when only new workers are left.
                    now_workers = workers_of(inst.proc.pid)
                    done = bool(now_workers) and not now_workers & old[inst.proc.pid]
                else:
                    done = (await content_version_of(url)) not in (None, fleet.content_version)
                if done:
                    found["served"].append(time.monotonic())
                    break
                await asyncio.sleep(0.2)

    run = asyncio.run(drive(urls, fleet, args.reload_doors, seconds, args.interval, args.connections,
                            side=reload()))
    part = f"reload {setup.label}"
    new = {pid: workers_of(pid) for pid in found.get("old", {})}
    replaced = all(new[pid] and not (new[pid] & old_workers) for pid, old_workers in found.get("old", {}).items())
    served = found.get("served", [])
    if len(served) == len(instances):
        end = served[-1] + args.interval
        took = served[-1] - found["signalled"]
    else:
        end, took = run.end, None
    during = window(run, found.get("signalled", run.end), end)
    p99 = pct([s.latency for s in during], 0.99)
    errs = errors(run.samples)
    print(f"{'new workers only' if args.reload_same_content else 'new content version served'} on every "
          f"instance: {'after %.1f s' % took if took is not None else 'NOT within the run'}; workers replaced: "
          f"{'yes' if replaced else 'NO'} ({sum(len(w) for w in found.get('old', {}).values())} old, "
          f"{sum(len(w) for w in new.values())} now)")
    lat_before = [s.latency for s in window(run, run.start, found.get("signalled", run.end))]
    print(f"before: p99 {pct(lat_before, 0.99):.1f} ms; during the reload ({len(during)} requests): "
          f"p99 {p99:.1f} ms; errors {errs}; statuses {statuses(run.samples)} {failure_text(run)}")
    return [
        goals.Figure(part, "failed or refused requests", errs, "", goals.NO_ERRORS,
                     f"{len(run.samples):,} requests; {failure_text(run) or 'none resent'}"),
        goals.Figure(part, "p99 during the reload", p99, " ms", goals.RELOAD_P99_MS,
                     f"{len(during):,} requests due from the signal to one interval after the new content"),
        goals.Figure(part, "new workers only after" if args.reload_same_content else "new content served after",
                     took, " s", None,
                     ("workers replaced" if replaced else "workers NOT replaced")
                     + f"; {args.reload_doors:,} doors"),
    ]


def run_herd(setup: Setup) -> list[goals.Figure]:
    """Every room's 08.00 booking starts during the run: each door's time to its
    changed panel, p99 over two poll intervals from 08.00, and the unchanged
    polls' p99 before and after."""
    from kiosk import clock

    args = setup.args
    n = args.herd_doors
    interval = args.interval
    content = copy_content(setup.tmp / "herd")
    move_clock_to(HERD_SEEDED_AT)
    content_version, sessions = prepare(setup.url, setup.tmp / "herd-prep", content, n, args.boards, actors=50)
    # The servers' clock: 08.00 comes after their start, the warm-up and the
    # window before; a slow start only shortens that window (it is measured).
    warmup = max(args.warmup, interval + 1)  # every tablet polls once (and writes its last-seen)
    lead = args.herd_start_allowance + warmup + args.herd_before
    offset = move_clock_to(HERD_AT) - lead
    clock.advance(timedelta(seconds=-lead))
    herd_at = time.monotonic() + (clock.wall(clock.today(), HERD_AT) - clock.now()).total_seconds()
    instances = start_instances(setup, content, offset, "herd")
    urls = [f"127.0.0.1:{inst.port}" for inst in instances]
    fleet = Fleet(n, args.boards, content_version, sessions)
    print(f"\n== herd: {n:,} doors, {args.boards} boards; every room's booking starts at 08.00, "
          f"{herd_at - time.monotonic():.0f} s from now; poll every {interval:g} s")
    try:
        asyncio.run(drive(urls, fleet, n, warmup, interval, args.connections))
        start = time.monotonic()
        if start >= herd_at - 1:
            raise SystemExit(f"the herd's servers started too slowly: 08.00 came before the window before it "
                             f"(raise --herd-start-allowance, now {args.herd_start_allowance} s)")
        seconds = herd_at - start + 2 * interval + args.herd_after
        run = asyncio.run(drive(urls, fleet, n, seconds, interval, args.connections, watch_from=herd_at))
    finally:
        stop_instances(instances)
    herd_end = herd_at + 2 * interval
    lags = herd_lags(run, n)
    changed = sum(1 for lag in lags if lag != float("inf"))
    within = sum(1 for lag in lags if lag <= 2 * interval)
    during = [s.latency for s in window(run, herd_at, herd_end)]
    before = [s.latency for s in window(run, run.start, herd_at, unchanged_only=True)]
    after = [s.latency for s in window(run, herd_end, run.end, unchanged_only=True)]
    boards_changed = sum(1 for (kind, _i) in run.first_change if kind == "board")
    errs = errors(run.samples)
    worst = max(lags) if lags else float("nan")
    finite = sorted(lag for lag in lags if lag != float("inf"))
    print(f"doors showing the change: {changed:,} of {n:,} ({within:,} within two intervals); time to the "
          f"changed panel p50 {pct(finite, 0.5) / 1000:.2f} s, p99 {pct(finite, 0.99) / 1000:.2f} s, "
          f"max {worst:.2f} s; boards changed {boards_changed} of {args.boards}")
    print(f"p99 during the herd ({len(during):,} requests): {pct(during, 0.99):.1f} ms; unchanged polls p99 "
          f"before {pct(before, 0.99):.1f} ms ({herd_at - run.start:.0f} s), after {pct(after, 0.99):.1f} ms "
          f"({run.end - herd_end:.0f} s); errors {errs}; statuses {statuses(run.samples)} {failure_text(run)}")
    part = f"herd {setup.label}"
    return [
        goals.Figure(part, "slowest door to its changed panel", None if changed < n else worst, " s",
                     goals.herd_lag_goal(interval),
                     f"{changed:,} of {n:,} doors changed, {within:,} within two intervals; p99 "
                     f"{pct(finite, 0.99) / 1000:.2f} s" + (f"; {n - changed:,} never did (no value)"
                                                            if changed < n else "")),
        goals.Figure(part, "p99 during the herd", pct(during, 0.99), " ms", goals.HERD_P99_MS,
                     f"{len(during):,} requests due in the two intervals from 08.00"),
        goals.Figure(part, "failed or refused requests", errs, "", goals.NO_ERRORS,
                     f"{len(run.samples):,} requests; {failure_text(run) or 'none resent'}"),
        goals.Figure(part, "unchanged polls p99 before", pct(before, 0.99), " ms", goals.LOAD_P99_MS,
                     f"{len(before):,} polls answered 204 in {herd_at - run.start:.0f} s"),
        goals.Figure(part, "unchanged polls p99 after", pct(after, 0.99), " ms", goals.LOAD_P99_MS,
                     f"{len(after):,} polls answered 204 in {run.end - herd_end:.0f} s"),
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--instances", type=int, default=None, help="gunicorn instances (default 1 SQLite, 2 PostgreSQL)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="any of ladder,reload,herd")
    parser.add_argument("--ladder", default="2500,5000,7500,10000")
    parser.add_argument("--boards", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=15, help="per step of the ladder")
    parser.add_argument("--interval", type=float, default=5.0, help="the tablets' poll interval (s)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers per instance")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--by-kind", action="store_true", help="latency of each kind of request")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of untimed load first")
    parser.add_argument("--reload-doors", type=int, default=5000)
    parser.add_argument("--reload-before", type=float, default=10, help="seconds of polling before the signal")
    parser.add_argument("--reload-after", type=float, default=30, help="seconds of polling after it")
    parser.add_argument("--reload-same-content", action="store_true",
                        help="SIGHUP without a content change: the workers' re-spawn alone, no re-render wave")
    parser.add_argument("--herd-doors", type=int, default=10000)
    parser.add_argument("--herd-before", type=float, default=20, help="seconds measured before 08.00")
    parser.add_argument("--herd-after", type=float, default=20,
                        help="seconds measured after the two intervals from 08.00")
    parser.add_argument("--herd-start-allowance", type=float, default=20,
                        help="seconds allowed for the herd's servers to start")
    parser.add_argument("--quick", action="store_true",
                        help="small N and short runs: proves every scenario runs end to end")
    parser.add_argument("--results", default=None, help="append the figures to this file (JSON lines)")
    args = parser.parse_args(argv)
    unknown = set(args.scenarios.split(",")) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(sorted(unknown))}: choose from {', '.join(SCENARIOS)}")
    if args.quick:
        args.ladder, args.boards, args.seconds, args.warmup, args.interval = "120,240", 4, 3, 3, 2.0
        args.reload_doors, args.reload_before, args.reload_after = 240, 3, 8
        args.herd_doors, args.herd_before, args.herd_after, args.herd_start_allowance = 120, 4, 4, 15
    return args


def main(argv: list[str] | None = None) -> list[goals.Figure]:
    args = parse_args(argv)
    scenarios = set(args.scenarios.split(","))
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-load-"))
    url = args.database_url or f"sqlite:///{tmp}/load.db"
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    n_instances = args.instances or (2 if backend == "PostgreSQL" else 1)
    workers = args.workers or max(1, (os.cpu_count() or 2) // n_instances)
    setup = Setup(url, backend, n_instances, workers, args.threads, tmp, args)
    figures: list[goals.Figure] = []
    try:
        if scenarios & {"ladder", "reload"}:
            figures += ladder_and_reload(setup, scenarios)
        if "herd" in scenarios:
            if not args.database_url:
                setup.url = f"sqlite:///{tmp}/herd.db"
            figures += run_herd(setup)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(goals.table(figures))
    goals.save(figures, args.results)
    return figures


if __name__ == "__main__":
    main()
