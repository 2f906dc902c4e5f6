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

import hashlib
import re
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from werkzeug.http import dump_cookie

from .. import clock, security
from ..bookings import service as bookings
from . import pairing, service

PATH = re.compile(r"^/rooms/([a-z0-9-]{1,60})/door/poll$")

# One query: the tablet by its token hash (unique index), its room, and the
# room's open session (the partial unique index on room_session).
SQL = """
SELECT t.id, t.kind, t.room_id, t.revoked_at, t.last_seen_at, r.id, r.version,
       s.state, s.expected_end, s.started_at, r.bookings_due_at
FROM tablet t
JOIN room r ON r.slug = {slug}
LEFT JOIN room_session s ON s.room_id = r.id AND s.ended_at IS NULL
WHERE t.token_hash = {token}
"""


UPDATE = "UPDATE tablet SET last_seen_at = {seen} WHERE id = {id}"


def _as_utc(value) -> datetime | None:
    """DB-API drivers give naive UTC datetimes (psycopg) or ISO text (sqlite3)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc)


class FastPoll:
    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.engine = None
        self.sql = ""

    def _setup(self) -> None:
        from ..extensions import db

        with self.app.app_context():
            self.engine = db.engine
        if self.engine.dialect.paramstyle in ("named", "qmark", "numeric"):
            self.sql = SQL.format(slug=":slug", token=":token")
            self.update_sql = UPDATE.format(seen=":seen", id=":id")
        else:
            self.sql = SQL.format(slug="%(slug)s", token="%(token)s")
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
        cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        morsel = cookies.get(pairing.COOKIE)
        asked = parse_qs(environ.get("QUERY_STRING", "")).get("v")
        if morsel is None or not asked:
            return False, None
        if self.engine is None:
            self._setup()
        token_hash = hashlib.sha256(morsel.value.encode()).hexdigest()
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            cur.execute(self.sql, {"slug": slug, "token": token_hash})
            row = cur.fetchone()
            if row is None:
                return False, None
            (tablet_id, kind, tablet_room, revoked, last_seen, room_id, version, state, expected_end, started,
             bookings_due) = row
            if kind != "door" or tablet_room != room_id or revoked is not None:
                return False, None
            now = clock.now()
            started = _as_utc(started)
            if started is not None and now >= started + self._max_session():
                return False, None  # the view releases it
            if bookings.is_due(_as_utc(bookings_due), now):
                return False, None  # a booking moment passed: the view writes it once and renders
            overrun = service.is_overrun(state, _as_utc(expected_end), now)
            content_version = self.app.extensions["kiosk_content"].version
            if asked[0] != service.panel_version(version, overrun, content_version):
                return False, None
            if not pairing.seen_long_ago(_as_utc(last_seen), now):
                return True, None
            self._write_last_seen(conn, cur, tablet_id, now)
            secure = environ.get("wsgi.url_scheme") == "https"
            return True, dump_cookie(pairing.COOKIE, morsel.value, max_age=pairing.COOKIE_MAX_AGE, path="/",
                                     secure=secure, httponly=True, samesite="Strict")
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
        headers = [("X-Kiosk-Fragment", "door"), ("Cache-Control", "no-store"),
                   ("Vary", "HX-Request, Cookie")]
        headers += security.static_headers(environ.get("wsgi.url_scheme") == "https")
        return headers
