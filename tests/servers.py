"""Servers in the test process: a free loopback port, and the app served on one
in a thread (LiveServer), so a test can move the clock under it."""

from __future__ import annotations

import socket
import threading

from werkzeug.serving import make_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# How often a test's server thread looks for shutdown(): socketserver's default
# (0.5 s) made every test that served HTTP wait up to half a second at its end.
SHUTDOWN_POLL = 0.01


class LiveServer:
    """The app served on a loopback port in a thread of the test process, so a
    test can move the clock under it, stop it and start it again.

    Stopping waits for the requests in flight and answers any later request
    (a page left open, on a kept-alive connection) with 503 without running the
    app: the test's teardown empties the tables next, and on PostgreSQL a poll
    still inside its transaction would deadlock with the TRUNCATE.

    ``clock_check``, when set (tests/browser/conftest.py), runs before every
    start: a browser test's server refuses to start on the machine's clock."""

    clock_check = None

    def __init__(self, app, port: int | None = None):
        self.app = app
        # Port 0: the OS picks a free one at the first start (no race with other
        # xdist workers between choosing a port and binding it); a restart reuses it.
        self.port = port or 0
        self._server = None
        self._thread = None
        self._busy = threading.Condition()
        self._in_flight = 0
        self._stopped = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self, environ, start_response):
        with self._busy:
            if self._stopped:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"the test server has stopped"]
            self._in_flight += 1
        try:
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]  # the whole answer inside the count
            finally:
                if hasattr(body, "close"):
                    body.close()
        finally:
            with self._busy:
                self._in_flight -= 1
                self._busy.notify_all()

    def start(self) -> LiveServer:
        if LiveServer.clock_check is not None:
            LiveServer.clock_check()
        with self._busy:
            self._stopped = False
        self._server = make_server("127.0.0.1", self.port, self._serve, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, args=(SHUTDOWN_POLL,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            with self._busy:
                self._stopped = True
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None
            with self._busy:
                self._busy.wait_for(lambda: self._in_flight == 0, timeout=30)
