"""A real Chromium for the tests, and the two checks every page passes:
axe-core (WCAG 2.1 A/AA, zero violations) and the W3C Nu HTML checker (zero
errors). Browser tests never skip: a missing Chromium fails the run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kiosk import clock
from tests.paths import ROOT

CHROMIUM = os.environ.get("KIOSK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# How long a click or a navigation may take before the test fails: a cap, not a wait
# (a passing test never waits for it), loose enough for a loaded CI machine running
# a Chromium per xdist worker.
ACTION_TIMEOUT_MS = 30_000


def chromium_env() -> dict[str, str]:
    """The environment Chromium is started with: the test process's, without
    libfaketime, so the browser runs on the machine's own clock in every run,
    also under a moved machine clock (`.ci/test-at`), as it does in all the
    others: the servers run on the suite's moment and the pages keep the
    server's time (the body carries it), so nothing in a page needs the moved
    clock. Under libfaketime a multi-process, multi-threaded Chromium was one
    more thing running on a patched clock: a staff page's booking failed once as
    "no contact with the server" while the server had answered it within 3 s."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (Playwright cannot download one here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make test` (it installs it) "
                    "or `apt-get install chromium`. Browser tests are never skipped.")
    from playwright.sync_api import expect, sync_playwright

    # An expect() that is not yet true retries up to this cap (Playwright's own is
    # 5 s: under load a door's poll and re-render took longer, and such a test
    # failed on a change that did come). A passing assertion never waits for it.
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, env=chromium_env())
    yield b
    b.close()
    pw.stop()


class PageWatch:
    """Console errors, page errors and CSP violations seen by one page."""

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _console(self, msg):
        if msg.type != "error":
            return
        # An error page's own status (a 404 we asked for) is not a fault of the page.
        if msg.text.startswith("Failed to load resource") and msg.location.get("url") == self.page.url:
            return
        self.problems.append(f"console error: {msg.text} at {msg.location.get('url')}")

    def take(self) -> list[str]:
        found, self.problems = self.problems, []
        return found


def open_page(browser, base_url: str, *, init_script: str | None = None, **context_options):
    """A page in a fresh browser context (its own cookies) on ``base_url``, as
    every browser test opens one: axe-core ready, the action timeout set, its
    console errors collected in ``page.watch``. ``init_script`` runs first in
    every document (a fake device, a listener); close ``page.context`` after.
    The page's JavaScript clock starts where the kiosk's clock is (tests/moment.py)
    and runs on: a page's own Date agrees with its server's day."""
    context = browser.new_context(base_url=base_url, **context_options)
    context.clock.install(time=clock.now())
    # Injected through the DevTools protocol, so the page's CSP does not block it.
    context.add_init_script(path=str(AXE_JS))
    if init_script:
        context.add_init_script(script=init_script)
    page = context.new_page()
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    page.watch = PageWatch(page)
    return page


@pytest.fixture
def new_page(browser, live_server):
    """Factory: a page in a fresh browser context (its own cookies) on the live server."""
    contexts = []

    def factory(**context_options):
        page = open_page(browser, live_server.url, **context_options)
        contexts.append(page.context)
        return page

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A page in a fresh browser context on the live server."""
    return new_page()


def assert_accessible(page, label: str = "") -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the page as it stands."""
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    violations = result["violations"]
    report = [
        f"{v['id']} ({v['impact']}): {v['help']} -> " + "; ".join(n["html"][:120] for n in v["nodes"][:3])
        for v in violations
    ]
    assert not violations, f"axe-core violations on {label or page.url}:\n" + "\n".join(report)


def assert_no_console_errors(page, label: str = "") -> None:
    problems = page.watch.take()
    assert not problems, f"browser problems on {label or page.url}:\n" + "\n".join(problems)


# The checker's JVM: C1 only (a service for short runs; half the start-up CPU of
# the default tiered compiler) with the deeper stack its schema checks then need.
VNU_JAVA_OPTIONS = ["-Xss8m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


class NuChecker:
    """The W3C Nu HTML checker as a local HTTP service, one for the whole run:
    the first xdist worker that needs it starts it, the others use the same one
    (its start costs a JVM's start-up, seconds of CPU; a check costs milliseconds).
    The run's controller (or a plain run's session) stops it at the end."""

    def __init__(self, shared: Path):
        self.shared = shared  # a folder every worker of the run sees
        self.port = None
        self.failed = False

    @property
    def _port_file(self) -> Path:
        return self.shared / "vnu.port"

    def start(self) -> None:
        import fcntl

        java = shutil.which("java")
        if not java or not VNU_JAR.exists():
            pytest.fail("The Nu HTML checker needs Java and node_modules/vnu-jar: run `make test`.")
        self.shared.mkdir(parents=True, exist_ok=True)
        with open(self.shared / "vnu.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one worker starts it; the others wait here, then read its port
            if self._port_file.exists():
                self.port = int(self._port_file.read_text().split()[0])
            else:
                self._launch(java)
            if not self._wait_until_up():
                self.failed = True
                pytest.fail("The Nu HTML checker did not start")

    def _launch(self, java: str) -> None:
        from tests.servers import free_port

        self.port = free_port()
        proc = subprocess.Popen(
            [java, *VNU_JAVA_OPTIONS, "-Dnu.validator.servlet.bind-address=127.0.0.1",
             "-cp", str(VNU_JAR), "nu.validator.servlet.Main", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        _LAUNCHED[proc.pid] = proc  # a plain run's child: kept, so it is waited for at the end
        self._port_file.write_text(f"{self.port} {proc.pid}\n")

    def _wait_until_up(self) -> bool:
        # Generous: Java starts in seconds, but minutes on a loaded CI machine.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2).close()
                return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pid = int(self._port_file.read_text().split()[1])
                if not _alive(pid):
                    return False
                time.sleep(0.25)
        return False

    def check(self, html: str) -> list[dict]:
        if self.failed:  # every later check fails at once, not after another wait
            pytest.fail("The Nu HTML checker did not start (see the first test that needed it)")
        if self.port is None:
            self.start()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/?out=json", data=html.encode("utf-8"),
            headers={"Content-Type": "text/html; charset=utf-8"}, method="POST",
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            messages = json.load(resp)["messages"]
        return [m for m in messages if m.get("type") == "error" or m.get("subType") == "fatal"]


_LAUNCHED: dict[int, subprocess.Popen] = {}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_nu_checker(shared: Path) -> None:
    """Stop the run's checker, if one was started (by the controller, at the end)."""
    import signal

    port_file = shared / "vnu.port"
    if not port_file.exists():
        return
    pid = int(port_file.read_text().split()[1])
    port_file.unlink()
    own = _LAUNCHED.pop(pid, None)
    if own is not None:  # a plain run started it
        own.terminate()
        own.wait(timeout=10)
        return
    try:  # a worker started it: the controller ends it
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _shared_folder(config) -> Path:
    """A folder of the whole run: the controller's temporary folder (each xdist
    worker's own is a folder inside it)."""
    base = config._tmp_path_factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


def pytest_sessionfinish(session):
    if not hasattr(session.config, "workerinput"):  # the controller, or a plain run
        stop_nu_checker(_shared_folder(session.config) / "nu-checker")


@pytest.fixture(scope="session")
def nu_checker(pytestconfig):
    """The run's Nu HTML checker, started on first use."""
    return NuChecker(_shared_folder(pytestconfig) / "nu-checker")


@pytest.fixture
def assert_valid_html(nu_checker):
    """Check an HTML document with the Nu checker; fail on any error."""

    def check(html: str, label: str = "") -> None:
        errors = nu_checker.check(html)
        report = [f"line {e.get('lastLine')}: {e.get('message')} [{e.get('extract', '')[:100]!r}]" for e in errors]
        assert not errors, f"Nu HTML checker errors in {label}:\n" + "\n".join(report)

    return check
