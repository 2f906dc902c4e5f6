"""Several instances, one truth; faults survived, nothing lost.

Real gunicorn processes on loopback ports, sharing the test database
(SQLite file or PostgreSQL): a door on one instance and the board on another;
an instance killed with SIGKILL in the middle of a burst; PostgreSQL restarted
under polling tablets."""

from __future__ import annotations

import http.client
import os
import random
import shutil
import subprocess
import threading
import time
from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Event, Room, RoomSession, Tablet, Unit
from kiosk.rooms import pairing
from tests.instances import Instance, Tablet as Browser

pytestmark = pytest.mark.slow


@pytest.fixture
def unit_with_rooms(app):
    """A unit with eight rooms; returns (unit_id, [(room_id, slug)])."""
    with app.app_context():
        unit = Unit(name="Vårdcentralen", slug="vc")
        rooms = [Room(unit=unit, name=f"Videorum {i}", slug=f"vr-{i}") for i in range(1, 9)]
        db.session.add_all([unit, *rooms])
        db.session.commit()
        return unit.id, [(r.id, r.slug) for r in rooms]


def code(app, kind: str, unit_id: int, room_id: int | None = None) -> str:
    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        room = db.session.get(Room, room_id) if room_id else None
        return pairing.new_code(kind, unit, room, actor="test")


@pytest.fixture
def instances(database_url, tmp_path):
    started: list[Instance] = []

    def factory(**env) -> Instance:
        inst = Instance(database_url, tmp_path / f"instance-{len(started)}", KIOSK_POLL_SECONDS=1, **env).start()
        started.append(inst)
        return inst

    yield factory
    for inst in started:
        inst.stop()


def test_two_instances_one_truth(app, instances, unit_with_rooms):
    a, b = instances(), instances()
    unit_id, rooms = unit_with_rooms
    room_id, slug = rooms[0]
    door = Browser(a.url)
    html = door.pair(code(app, "door", unit_id, room_id)).body
    assert "Ledigt" in html
    board = Browser(b.url)
    board_html = board.pair(code(app, "board", unit_id)).body
    v = Browser.poll_version(board_html, "board")
    assert board.get(f"/board/poll?v={v}", htmx=True).status == 204

    # Check in on A; the board on B sees it.
    assert door.post(f"/rooms/{slug}/check-in", {"minutes": "30"}).status == 200
    r = board.get(f"/board/poll?v={v}", htmx=True)
    assert r.status == 200 and "Förbereds för videomöte" in r.body
    v = Browser.poll_version(r.body, "board")

    # The door's next request lands on B (a load balancer may do that): same secret, same truth.
    door.base_url = b.url
    r = door.post(f"/rooms/{slug}/skip", {"reason": "urgent"})
    assert r.status == 200 and "Här pågår videomöte\u00a0- var god stör ej" in r.body
    door.base_url = a.url
    r = board.get(f"/board/poll?v={v}", htmx=True)
    assert r.status == 200 and "Videomöte pågår" in r.body
    assert door.post(f"/rooms/{slug}/end").status == 200
    door_v = Browser.poll_version(door.get(f"/rooms/{slug}/door").body)
    assert door.post(f"/rooms/{slug}/finish", {"outcome": "held"}).status == 200
    door.base_url = b.url
    assert door.get(f"/rooms/{slug}/door/poll?v={door_v}", htmx=True).status == 200  # B sees A's change

    # A tablet revoked (through either instance) stops on both at once.
    with app.app_context():
        pairing.revoke(db.session.scalar(select(Tablet.id).where(Tablet.kind == "door")), actor="admin:test")
    for base in (a.url, b.url):
        door.base_url = base
        resp = door.get(f"/rooms/{slug}/door/poll?v={door_v}", htmx=True)
        assert resp.status == 403 and resp.headers["X-Kiosk-Fragment"] == "revoked"
        assert door.post(f"/rooms/{slug}/check-in").status == 403


STEPS = [("check-in", {"minutes": "30"}, "preparing"), ("skip", {"reason": "urgent"}, "meeting"),
         ("end", {}, "wrapup"), ("finish", {"outcome": "held"}, "free")]
ORDER = ["free", "preparing", "meeting", "wrapup"]


def test_sigkill_in_a_burst_loses_no_acknowledged_change(app, instances, unit_with_rooms):
    inst = instances()
    unit_id, rooms = unit_with_rooms
    doors = {}
    for room_id, slug in rooms:
        tablet = Browser(inst.url)
        tablet.pair(code(app, "door", unit_id, room_id))
        doors[room_id] = (slug, tablet)
    acked: dict[int, list[str]] = {room_id: [] for room_id, _ in rooms}
    stop = threading.Event()

    def burst(room_id):
        slug, tablet = doors[room_id]
        i = 0
        while not stop.is_set():
            action, data, state_after = STEPS[i % 4]
            try:
                r = tablet.post(f"/rooms/{slug}/{action}", data)
            except (OSError, http.client.HTTPException):
                return  # the server is gone (perhaps in the middle of an answer)
            if r.status == 200:
                acked[room_id].append(state_after)
                i += 1
            elif r.status != 409:
                acked[room_id].append(f"unexpected {r.status}")
                return

    threads = [threading.Thread(target=burst, args=(rid,)) for rid, _ in rooms]
    for th in threads:
        th.start()
    # Kill in the middle of the burst: after a number of acknowledged changes, not
    # after a time, so a loaded machine does not shrink the burst to nothing.
    wanted = 25 + random.randrange(15)
    deadline = time.monotonic() + 120
    while sum(len(v) for v in acked.values()) < wanted and time.monotonic() < deadline:
        time.sleep(0.01)
    inst.kill()
    stop.set()
    for th in threads:
        th.join(timeout=30)

    total = sum(len(v) for v in acked.values())
    assert total > 20, f"the burst was too small to mean anything: {total}"
    assert not [v for v in acked.values() if any(s.startswith("unexpected") for s in v)], acked
    with app.app_context():
        for room_id, states in acked.items():
            session = db.session.scalar(select(RoomSession).where(
                RoomSession.room_id == room_id, RoomSession.ended_at.is_(None)))
            state = session.state if session else "free"
            expected = states[-1] if states else "free"
            # Acknowledged means committed; one more step may have committed unanswered.
            assert state in (expected, ORDER[(ORDER.index(expected) + 1) % 4]), (room_id, states, state)
            transitions = db.session.scalar(select(func.count()).select_from(Event).where(
                Event.room_id == room_id, Event.kind.in_(["check-in", "start", "end", "finish"])))
            assert transitions in (len(states), len(states) + 1)

    # After a restart no room is stuck: each one can be walked back to free and taken again.
    inst.start()
    for room_id, (slug, tablet) in doors.items():
        for _ in range(4):
            html = tablet.get(f"/rooms/{slug}/door").body
            if "Ledigt" in html and "Checka in" in html:
                break
            for action, data, _after in STEPS:
                if tablet.post(f"/rooms/{slug}/{action}", data).status == 200:
                    break
        assert tablet.post(f"/rooms/{slug}/check-in", {"minutes": "30"}).status == 200


def _cluster_for(url: str):
    port = str(urlparse(url).port or 5432)
    if not shutil.which("pg_lsclusters"):
        return None
    for line in subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True).stdout.splitlines():
        version, name, cluster_port = line.split()[:3]
        if cluster_port == port:
            return version, name
    return None


@pytest.mark.serial  # the restart cuts every connection: no other test may run meanwhile
def test_postgresql_restart_under_polling_tablets(app, database_url, instances, unit_with_rooms):
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL only (the SQLite run has no server to restart)")
    cluster = _cluster_for(database_url)
    if cluster is None or os.geteuid() != 0:
        pytest.skip("needs root and pg_ctlcluster to restart the local PostgreSQL")
    inst = instances()
    unit_id, rooms = unit_with_rooms
    room_id, slug = rooms[0]
    door = Browser(inst.url)
    v = Browser.poll_version(door.pair(code(app, "door", unit_id, room_id)).body)
    statuses: list[tuple[float, int, str]] = []
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            try:
                r = door.get(f"/rooms/{slug}/door/poll?v={v}", htmx=True)
                statuses.append((time.monotonic(), r.status, r.headers.get("X-Kiosk-Fragment") or ""))
            except OSError:
                statuses.append((time.monotonic(), 0, ""))
            time.sleep(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.5)
    restarted_at = time.monotonic()
    subprocess.run(["pg_ctlcluster", *cluster, "restart", "-m", "fast"], check=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        recent = [s for t, s, _ in statuses if t > time.monotonic() - 1]
        if recent and all(s == 204 for s in recent) and time.monotonic() - restarted_at > 2:
            break
        time.sleep(0.2)
    stop.set()
    poller.join(timeout=10)

    seen = {s for _, s, _ in statuses}
    print("poll statuses during the restart:", {s: sum(1 for _, x, _ in statuses if x == s) for s in seen})
    assert 503 in seen, "the restart was not seen: the test proved nothing"
    assert 500 not in seen, "a poll got a 500 page"
    assert seen <= {204, 200, 503}, seen
    assert all(kind == "door" for _, s, kind in statuses if s in (200, 204))
    assert all(kind == "" for _, s, kind in statuses if s == 503)  # never marked as a panel to swap
    assert statuses[-1][1] == 204, "polls did not recover by themselves"


def test_parallel_writers_on_a_live_server_never_see_a_locked_database(app, instances, unit_with_rooms):
    """Eight tablets walk their rooms through visits at once against two
    gunicorn worker processes: writers in different processes on one database
    (for SQLite, one file). Every answer is a success or a clear refusal."""
    inst = instances(KIOSK_WORKERS=2)
    unit_id, rooms = unit_with_rooms
    statuses: list[int] = []
    lock = threading.Lock()

    def visits(room_id, slug):
        tablet = Browser(inst.url)
        tablet.pair(code(app, "door", unit_id, room_id))
        for n in range(40):
            action, data, _state = STEPS[n % 4]
            r = tablet.post(f"/rooms/{slug}/{action}", data)
            with lock:
                statuses.append(r.status)
            assert "database is locked" not in r.body

    threads = [threading.Thread(target=visits, args=room) for room in rooms]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert len(statuses) == 8 * 40
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RoomSession).where(
            RoomSession.end_reason == "completed")) == 8 * 10


# Alone: the reload boots two new workers while a tablet polls as fast as it
# can; beside a parallel suite on 2 cores the boot outlasted the timeouts.
@pytest.mark.serial
def test_a_content_change_reaches_a_running_instance_on_reload_and_no_poll_fails(app, instances, unit_with_rooms,
                                                                                   tmp_path):
    """A unit edits its copy of the content (another IT phone number) and runs
    `systemctl reload` (SIGHUP to gunicorn): new workers load the new content,
    the old ones finish their requests, the door tablet re-renders on its next
    poll, and not one poll fails on the way."""
    import json
    import signal

    from tests.instances import ROOT

    content = tmp_path / "content"
    shutil.copytree(ROOT / "kiosk" / "content", content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    inst = instances(KIOSK_CONTENT_DIR=content, KIOSK_WORKERS=2)
    unit_id, rooms = unit_with_rooms
    room_id, slug = rooms[0]
    door = Browser(inst.url)
    version = Browser.poll_version(door.pair(code(app, "door", unit_id, room_id)).body)
    before = json.loads(door.get("/healthz").body)["content_version"]
    assert "010-47 37 100" in door.get("/guides/support").body

    answers: list[int] = []
    stop = threading.Event()

    def poll():
        tablet = Browser(inst.url)
        tablet.jar = door.jar  # the same paired tablet, polling as fast as it can
        tablet.opener = door.opener
        while not stop.is_set():
            answers.append(tablet.get(f"/rooms/{slug}/door/poll?v={version}", htmx=True).status)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        facts = content / "facts.toml"
        facts.write_text(facts.read_text(encoding="utf-8").replace("010-47 37 100", "010-47 37 199")
                         .replace("+46104737100", "+46104737199"), encoding="utf-8")
        os.kill(inst.proc.pid, signal.SIGHUP)  # what `systemctl reload` sends (ExecReload)
        deadline = time.monotonic() + 30
        after = before
        while after == before and time.monotonic() < deadline:
            time.sleep(0.2)
            after = json.loads(door.get("/healthz").body)["content_version"]
        time.sleep(1)  # a few more polls against the new workers only
    finally:
        stop.set()
        poller.join(timeout=20)
    assert after != before, "the new content never arrived"
    assert answers and set(answers) <= {200, 204}, sorted(set(answers))
    assert 200 in answers  # the door saw the new content version and re-rendered
    page = door.get("/guides/support").body
    assert "010-47 37 199" in page and "010-47 37 100" not in page


@pytest.mark.serial
def test_a_reload_with_broken_content_keeps_serving_the_content_it_has(app, instances, unit_with_rooms, tmp_path):
    """A reload whose content does not validate (here: a fact the texts name is
    gone) is not taken: the arbiter logs the fault, its new workers are forks of
    the app that runs, and every page answers as before, with the old number."""
    import json
    import signal

    from tests.instances import ROOT

    content = tmp_path / "content"
    shutil.copytree(ROOT / "kiosk" / "content", content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    inst = instances(KIOSK_CONTENT_DIR=content, KIOSK_WORKERS=2)
    door = Browser(inst.url)
    before = json.loads(door.get("/healthz").body)["content_version"]
    facts = content / "facts.toml"
    facts.write_text(facts.read_text(encoding="utf-8") + "\n[this is not toml\n", encoding="utf-8")
    os.kill(inst.proc.pid, signal.SIGHUP)
    deadline = time.monotonic() + 30
    logged = ""
    while "could not be built again" not in logged and time.monotonic() < deadline:
        time.sleep(0.2)
        logged = inst.log_text()
    assert "could not be built again" in logged, logged[-2000:]
    assert "facts.toml" in logged  # the fault is named
    time.sleep(1)  # the new workers, forked from the running app, answer
    assert inst.proc.poll() is None, "gunicorn stopped"
    assert json.loads(door.get("/healthz").body)["content_version"] == before
    page = door.get("/guides/support")
    assert page.status == 200 and "010-47 37 100" in page.body
