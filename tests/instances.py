"""Real servers for resilience tests: gunicorn instances of the kiosk on
loopback ports, a small cookie-keeping HTTP client that speaks to them as
a tablet's browser does (CSRF token from the page, htmx headers), and a
chunked request over the size limit for any server on a port."""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.paths import ROOT
from tests.servers import free_port

GUNICORN = Path(sys.executable).parent / "gunicorn"


class Instance:
    """One gunicorn instance of the kiosk (its own process group)."""

    def __init__(self, database_url: str, instance_path: Path, port: int | None = None, **env):
        self.port = port or free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "KIOSK_INSTANCE_PATH": str(instance_path),
            "KIOSK_SECRET_KEY": "shared-by-every-instance-of-this-test",
            "KIOSK_WORKERS": "1",
            "KIOSK_THREADS": "8",
            **{k: str(v) for k, v in env.items()},
        }
        if "faketime" in os.environ.get("LD_PRELOAD", ""):
            # Under libfaketime (CI's moved-clock runs) the monotonic clock that
            # gunicorn's arbiter reads and the one its workers stamp their
            # heartbeat with disagree after a reload, so the arbiter kills
            # healthy workers as "timed out" every few seconds. The heartbeat is
            # gunicorn's, not the kiosk's: switch it off for these runs only.
            self.env["GUNICORN_CMD_ARGS"] = (self.env.get("GUNICORN_CMD_ARGS", "") + " --timeout 0").strip()
        self.proc: subprocess.Popen | None = None
        self.log = instance_path / "gunicorn.log"  # the arbiter's and workers' error log (errorlog "-")

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Instance:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
                cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        # Generous: on a loaded CI machine workers take many seconds to import the app.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2).close()
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if self.proc.poll() is not None:
                    self.proc = None
                    raise RuntimeError("gunicorn exited at start")
                time.sleep(0.1)
        self.kill()  # no instance left running after the test that failed to start it
        raise RuntimeError("gunicorn did not start")

    def kill(self) -> None:
        """SIGKILL the whole instance: master and workers, no clean-up."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None


class Response:
    def __init__(self, status: int, body: str, headers):
        self.status, self.body, self.headers = status, body, headers


class Tablet:
    """A browser with cookies, talking to one kiosk instance (which may change)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.token = ""

    def request(self, method: str, path: str, data: dict | None = None, htmx: bool = False) -> Response:
        headers = {"HX-Request": "true"} if htmx else {}
        body = None
        if method == "POST":
            headers["X-CSRFToken"] = self.token
            body = urllib.parse.urlencode(data or {}).encode()
        req = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers)
        try:
            # Generous: a safety net against a hung server, not a measure (a loaded CI
            # machine may take seconds to fork new workers after a reload).
            with self.opener.open(req, timeout=60) as resp:
                result = Response(resp.status, resp.read().decode(), resp.headers)
        except urllib.error.HTTPError as exc:
            result = Response(exc.code, exc.read().decode(), exc.headers)
        match = re.search(r'"X-CSRFToken": "([^"]+)"', result.body)
        if match:
            self.token = match.group(1)
        return result

    def get(self, path: str, htmx: bool = False) -> Response:
        return self.request("GET", path, htmx=htmx)

    def post(self, path: str, data: dict | None = None) -> Response:
        return self.request("POST", path, data, htmx=True)

    def pair(self, code: str) -> Response:
        self.get("/pair")
        req = urllib.request.Request(self.base_url + "/pair", method="POST", data=urllib.parse.urlencode(
            {"code": code, "csrf_token": self.token}).encode())
        with self.opener.open(req, timeout=60) as resp:  # follows the 303 to the panel
            result = Response(resp.status, resp.read().decode(), resp.headers)
        self.token = re.search(r'"X-CSRFToken": "([^"]+)"', result.body).group(1)
        return result

    @staticmethod
    def poll_version(body: str, kind: str = "door") -> str:
        return re.search(rf'/{kind}/poll\?v=([^"&]+)', body).group(1)


def csrf_token_in(html: str) -> str:
    match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def chunked_413(port: int) -> None:
    """Send a chunked form over the limit to a server on ``port``; expect 413 in Swedish."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("GET", "/")
    page = conn.getresponse()
    html = page.read().decode()
    cookie = page.getheader("Set-Cookie").split(";", 1)[0]
    body = [b"code=", b"x" * (70 * 1024), b"&csrf_token=" + csrf_token_in(html).encode()]
    conn.request("POST", "/pair", body=iter(body), encode_chunked=True,
                 headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    r = conn.getresponse()
    text = r.read().decode()
    conn.close()
    assert r.status == 413 and "För mycket data" in text, (r.status, text[:300])
