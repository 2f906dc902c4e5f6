"""The benchmarks' own logic, so that `make bench` cannot rot between the runs
on a quiet machine: goals and verdicts, the summary table, wrk's report, the
ladder's and the herd's figures, the options, and the moved clock the servers
read. Nothing here serves or measures anything (the benchmarks are never timed
tests)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from bench import __main__ as bench_main
from bench import goals, load, polls
from kiosk import clock
from tests.paths import ROOT


@pytest.mark.parametrize("goal, value, met", [
    (goals.UNCHANGED_POLL_RATIO, 1.0, True),
    (goals.UNCHANGED_POLL_RATIO, 0.99, False),
    (goals.HEAVY_RENDER_RATIO, 0.25, True),
    (goals.HEAVY_RENDER_RATIO, 0.04, False),
    (goals.LOAD_P99_MS, 99.9, True),
    (goals.LOAD_P99_MS, 100.0, False),
    (goals.NO_ERRORS, 0, True),
    (goals.NO_ERRORS, 1, False),
    (goals.LADDER_DOORS["SQLite"], 10_000, True),
    (goals.LADDER_DOORS["SQLite"], 7_500, False),
    (goals.LADDER_DOORS["PostgreSQL"], 5_000, True),
    (goals.herd_lag_goal(5.0), 10.0, True),
    (goals.herd_lag_goal(5.0), 10.01, False),
    (goals.HERD_P99_MS, float("nan"), False),  # nothing measured meets no goal
    (goals.RELOAD_P99_MS, None, False),
])
def test_a_goal_is_met_only_by_a_measured_figure_on_its_side(goal, value, met):
    assert goal.met(value) is met


def test_a_goal_refuses_an_unknown_comparison():
    with pytest.raises(ValueError, match="unknown comparison"):
        goals.Goal("~", 1)


def test_figures_keep_their_goal_through_the_results_file_and_the_table_marks_each(tmp_path):
    results = tmp_path / "figures.jsonl"
    rows = [goals.Figure("polls SQLite", "unchanged door poll (204) vs bare", 0.83, "×", goals.UNCHANGED_POLL_RATIO,
                         "2,988 req/s"),
            goals.Figure("polls SQLite", "24-room board render (200) vs bare", 0.31, "×", goals.HEAVY_RENDER_RATIO),
            goals.Figure("reload SQLite ×1", "new content served after", 4.2, " s"),
            goals.Figure("herd SQLite ×1", "slowest door to its changed panel", None, " s", goals.herd_lag_goal(5))]
    goals.save(rows[:2], results)
    goals.save(rows[2:], results)  # each part appends
    goals.save(rows, None)  # no file named: nothing written, no error
    back = goals.load(results)
    assert back == rows
    assert [r.verdict for r in back] == ["MISS", "PASS", "", "MISS"]
    table = goals.table(back).splitlines()
    assert table[0].split()[:4] == ["part", "figure", "value", "goal"]
    assert "0.83×" in table[1] and ">= 1.00×" in table[1] and "MISS" in table[1] and "2,988 req/s" in table[1]
    assert "PASS" in table[2] and ">= 0.25×" in table[2]
    assert "4.20 s" in table[3] and "PASS" not in table[3] and "MISS" not in table[3]
    assert "not measured" in table[4] and "<= 10 s" in table[4]
    assert goals.verdict_line(back) == "1 of 3 goals met, 2 missed (MISS above)"
    assert goals.load(tmp_path / "none.jsonl") == []


WRK = """Running 10s test @ http://127.0.0.1:8000/rooms/r0/door/poll?v=1
  2 threads and 64 connections
  Latency Distribution
     50%   10.21ms
     75%   14.02ms
     90%   20.00ms
     99%    {p99}
  29880 requests in 10.00s, 3.10MB read
{extra}Requests/sec:   2988.01
Transfer/sec:    317.55KB
"""


@pytest.mark.parametrize("p99, ms", [("280.10ms", 280.1), ("1.34s", 1340.0), ("812.00us", 0.812)])
def test_wrks_report_gives_rate_p99_in_ms_and_problems(p99, ms):
    extra = "  Socket errors: connect 0, read 3, write 0, timeout 2\n  Non-2xx or 3xx responses: 7\n"
    r = polls.parse_wrk(WRK.format(p99=p99, extra=extra))
    assert r == {"rps": 2988.01, "p99": pytest.approx(ms), "non2xx": 7,
                 "socket": "connect 0, read 3, write 0, timeout 2"}
    assert polls.parse_wrk(WRK.format(p99=p99, extra=""))["non2xx"] == 0


def test_the_polls_figures_are_ratios_to_bare_and_a_run_whose_version_moved_is_not_measured():
    results = {"bare": {"rps": 4000.0, "p99": 30.0, "non2xx": 0, "socket": ""},
               "door": {"rps": 4400.0, "p99": 20.0, "non2xx": 0, "socket": ""},
               "board": {"rps": 5000.0, "p99": 20.0, "non2xx": 0, "socket": "",
                         "invalid": "its version changed during the run"},
               "panel": {"rps": 600.0, "p99": 300.0, "non2xx": 3, "socket": ""},
               "board24": {"rps": 1000.0, "p99": 200.0, "non2xx": 0, "socket": ""}}
    rows = {r.name: r for r in polls.figures(results, "polls SQLite")}
    assert rows["bare Flask endpoint"].value == 4000.0 and rows["bare Flask endpoint"].goal is None
    door = rows["unchanged door poll (204) vs bare"]
    assert (door.value, door.verdict) == (1.1, "PASS")
    board = rows["unchanged board poll (204) vs bare"]
    assert board.value is None and board.verdict == "MISS" and "changed during the run" in board.detail
    panel = rows["changed door panel (200) vs bare"]
    assert (panel.value, panel.verdict) == (0.15, "MISS") and "3 non-2xx" in panel.detail
    assert rows["24-room board render (200) vs bare"].verdict == "PASS"


def test_the_load_options_default_to_the_issues_ladder_and_quick_makes_every_scenario_small():
    args = load.parse_args([])
    assert [int(n) for n in args.ladder.split(",")] == [2500, 5000, 7500, 10000]
    assert (args.boards, load.ROOMS_PER_UNIT, args.reload_doors, args.herd_doors) == (20, 24, 5000, 10000)
    assert args.scenarios.split(",") == list(load.SCENARIOS)
    quick = load.parse_args(["--quick"])
    assert max(int(n) for n in quick.ladder.split(",")) <= 500
    assert quick.reload_doors <= 500 and quick.herd_doors <= 500 and quick.seconds <= 5
    with pytest.raises(SystemExit):
        load.parse_args(["--scenarios", "ladder,stampede"])


def sample(due, status, kind="door", latency=0.010):
    return load.Sample(due=due, sent=due, done=due + latency, kind=kind, status=status)


def test_the_load_figures_windows_errors_and_the_largest_passing_step():
    run = load.Run(samples=[sample(0.5, 204), sample(1.5, 200, latency=0.5), sample(2.5, 204, latency=0.2),
                            sample(3.0, 409, kind="action"), sample(3.5, 0), sample(4.0, 503), sample(4.5, 429)])
    assert [s.due for s in load.window(run, 1.0, 3.0)] == [1.5, 2.5]
    assert [s.due for s in load.window(run, 0.0, 3.0, unchanged_only=True)] == [0.5, 2.5]
    # A clinician's duplicate tap (409) is refused by design; no answer, 5xx and 429 are errors.
    assert load.errors(run.samples) == 3
    assert load.statuses(run.samples) == {0: 1, 200: 1, 204: 2, 409: 1, 429: 1, 503: 1}
    assert load.pct([0.010, 0.020, 0.030, 0.040], 0.5) == pytest.approx(30.0)
    assert math.isnan(load.pct([], 0.99))
    assert load.largest_passing([(2500, 40.0, 0), (5000, 90.0, 0), (7500, 95.0, 2), (10000, 180.0, 0)]) == 5000
    assert load.largest_passing([(2500, 183.0, 0)]) == 0


def test_a_door_that_never_showed_the_herds_change_counts_as_never():
    run = load.Run(watch_from=100.0, first_change={("door", 0): 1.2, ("door", 2): 9.0, ("board", 1): 3.0})
    lags = load.herd_lags(run, 3)
    assert lags == [1.2, float("inf"), 9.0]
    assert not goals.herd_lag_goal(5.0).met(max(lags))


def test_make_bench_runs_the_chosen_parts_each_in_its_own_process():
    args = bench_main.parse_args(["--quick", "--parts", "polls,herd,reload", "--database-url", "postgresql://x/y"])
    cmds = dict(bench_main.commands(args, "/tmp/r.jsonl"))
    assert list(cmds) == ["bench.polls", "bench.load (reload, herd)"]
    assert cmds["bench.polls"] == ["-m", "bench.polls", "--results", "/tmp/r.jsonl", "--quick",
                                   "--database-url", "postgresql://x/y"]
    assert cmds["bench.load (reload, herd)"][:4] == ["-m", "bench.load", "--scenarios", "reload,herd"]
    everything = dict(bench_main.commands(bench_main.parse_args([]), "r"))
    assert list(everything) == ["bench.polls", "bench.load (ladder, reload, herd)", "bench.printables"]
    assert all("--quick" not in argv for argv in everything.values())
    with pytest.raises(SystemExit):
        bench_main.parse_args(["--parts", "polls,speed"])
    # Each part's own parser takes what make bench hands it.
    load.parse_args(cmds["bench.load (reload, herd)"][2:])


def test_the_clock_offset_a_server_is_started_with_moves_its_clock(monkeypatch):
    monkeypatch.setenv(clock.OFFSET_ENV, "-3600.5")
    assert clock._offset_from_env() == timedelta(seconds=-3600.5)
    monkeypatch.setenv(clock.OFFSET_ENV, "")
    assert clock._offset_from_env() == timedelta(0)
    monkeypatch.setenv(clock.OFFSET_ENV, "tomorrow")
    with pytest.raises(ValueError, match="KIOSK_CLOCK_OFFSET_SECONDS must be a number of seconds"):
        clock._offset_from_env()
    # A new process (a gunicorn worker) reads it when the clock is imported.
    env = {**os.environ, clock.OFFSET_ENV: str(2 * 86400)}
    out = subprocess.run([sys.executable, "-c", "from kiosk import clock; print(clock.now().isoformat())"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    moved = datetime.fromisoformat(out.strip()) - datetime.now(timezone.utc)
    assert timedelta(days=2) - timedelta(minutes=1) < moved <= timedelta(days=2)


def test_the_open_loop_client_learns_versions_resends_on_a_closed_keep_alive_and_times_each_change():
    """bench.load's client against a stand-in server on loopback (no kiosk): the
    version moves from v1 to v2 mid-run, as the herd's does at 08.00; the
    server drops every third request of a connection unanswered, as a worker
    stopping after a reload does."""
    import asyncio
    import concurrent.futures
    import time

    async def scenario():
        change_at = time.monotonic() + 0.3
        asked = []

        async def serve(reader, writer):
            for count in range(1, 1000):
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                if count % 3 == 0:
                    break  # closed before answering
                path = head.split()[1].decode()
                asked.append(path)
                current = "v2" if time.monotonic() >= change_at else "v1"
                if path.endswith(f"v={current}"):
                    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                else:
                    body = f'<div data-hx-get="/rooms/r0/door/poll?v={current}"></div>'.encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        fleet = load.Fleet(2, 0, "content", {})
        try:
            run = await load.drive([f"127.0.0.1:{port}"], fleet, 2, seconds=0.78, interval=0.1, connections=2,
                                   watch_from=change_at)
        finally:
            server.close()
        return run, fleet, asked, change_at

    # A thread of its own: in a full run this worker may have driven Chromium
    # first, and Playwright's sync API leaves an event loop running in the main
    # thread, where asyncio.run() refuses to start another.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        run, fleet, asked, change_at = pool.submit(asyncio.run, scenario()).result()
    assert len(run.samples) == 16  # 2 doors every 0.1 s for 0.78 s, whatever the server did
    assert {s.kind for s in run.samples} == {"door"}
    assert load.errors(run.samples) == 0 and not run.failures
    assert run.resent >= 1 and any(s.resent for s in run.samples)
    assert fleet.door_v == {0: "v2", 1: "v2"}
    assert set(run.first_change) == {("door", 0), ("door", 1)}
    assert all(lag >= 0 for lag in run.first_change.values())
    assert set(load.statuses(run.samples)) == {200, 204}
    assert asked[0].startswith("/rooms/r") and "/door/poll?v=1.0.content" in asked[0]
