"""The unchanged door poll, answered before Flask.

Thousands of door tablets ask every few seconds "has anything changed?", and
nearly always the answer is no. This WSGI layer answers that no (204) with one
indexed read on a pooled DB-API connection, without building a Flask request,
opening the cookie session or an ORM session; once a minute per tablet it also
writes the tablet's last-seen time. Anything else - a change, a revoked or
unknown tablet, an expired session to release, any error - falls through to
the Flask view, which is the authority and gives the same answer slowly.
Tests compare the two paths.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

from .. import clock, security
from ..render import FRAGMENT_HEADER
from . import pairing, poll

PATH = re.compile(r"^/rooms/([a-z0-9-]{1,60})/door/poll$")

UPDATE = "UPDATE tablet SET last_seen_at = {seen} WHERE id = {id}"


class FastPoll:
    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.engine = None
        self.sql = ""
        self.positions: tuple[str, ...] | None = None

    def _setup(self) -> None:
        from ..extensions import db

        with self.app.app_context():
            self.engine = db.engine
        # The view's own query, compiled once for this database: the fast path
        # then skips statement building and the ORM, not the decision.
        compiled = poll.QUERY.compile(dialect=self.engine.dialect)
        self.sql = str(compiled)
        self.positions = tuple(compiled.positiontup) if compiled.positiontup else None
        if self.engine.dialect.paramstyle in ("named", "qmark", "numeric"):
            self.update_sql = UPDATE.format(seen=":seen", id=":id")
        else:
            self.update_sql = UPDATE.format(seen="%(seen)s", id="%(id)s")

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            match = PATH.match(environ.get("PATH_INFO", ""))
            if match is not None:
                try:
                    unchanged, renewed = self._unchanged(match.group(1), environ)
                except Exception:  # the Flask view handles every failure properly
                    unchanged, renewed = False, None
                if unchanged:
                    headers = self._headers(environ)
                    if renewed:
                        headers.append(("Set-Cookie", renewed))
                    start_response("204 No Content", headers)
                    return []
        return self.wsgi_app(environ, start_response)

    def _unchanged(self, slug: str, environ) -> tuple[bool, str | None]:
        """(True, cookie or None) when the panel the tablet shows is current.

        Once a minute per tablet the last-seen time is due: it is written here,
        in its own short write transaction, and the device cookie is renewed.
        """
        secure = environ.get("wsgi.url_scheme") == "https"
        token = pairing.device_token_in(environ.get("HTTP_COOKIE", ""), secure)
        asked = parse_qs(environ.get("QUERY_STRING", "")).get("v")
        if token is None or not asked:
            return False, None  # Flask answers (and refuses a doubled cookie)
        if self.engine is None:
            self._setup()
        params = {"slug": slug, "token": pairing.token_hash(token)}
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            cur.execute(self.sql, tuple(params[name] for name in self.positions) if self.positions else params)
            now = clock.now()
            verdict = poll.decide(cur.fetchone(), asked[0], now, self.app.extensions["kiosk_content"].version,
                                  self._max_session())
            if verdict.answer != poll.UNCHANGED:
                return False, None
            if not verdict.last_seen_due:
                return True, None
            self._write_last_seen(conn, cur, verdict.tablet_id, now)
            return True, pairing.device_cookie_header(token, secure)
        finally:
            conn.close()  # back to the pool (which rolls back any read transaction)

    def _write_last_seen(self, conn, cur, tablet_id: int, now: datetime) -> None:
        """UPDATE tablet.last_seen_at; on SQLite under the write lock from the start."""
        value = now.astimezone(timezone.utc).replace(tzinfo=None)
        if self.engine.dialect.name == "sqlite":
            # Our connections run without pysqlite's own transactions: the read
            # above was autocommit, so the write transaction starts cleanly.
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(self.update_sql, {"seen": value.strftime("%Y-%m-%d %H:%M:%S.%f"), "id": tablet_id})
            cur.execute("COMMIT")
        else:
            cur.execute(self.update_sql, {"seen": value, "id": tablet_id})
            conn.commit()

    def _max_session(self) -> timedelta:
        return timedelta(hours=float(self.app.config["MAX_SESSION_HOURS"]))

    def _headers(self, environ) -> list[tuple[str, str]]:
        headers = [(FRAGMENT_HEADER, "door"), ("Cache-Control", "no-store"),
                   ("Vary", "HX-Request, Cookie")]
        headers += security.static_headers(environ.get("wsgi.url_scheme") == "https")
        return headers
