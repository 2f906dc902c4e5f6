"""The unchanged door poll, answered before Flask.

Thousands of door tablets ask every few seconds "has anything changed?", and
nearly always the answer is no. This WSGI layer answers that no (204) with one
indexed read on a pooled DB-API connection, without building a Flask request,
opening the cookie session or an ORM session. Anything else - a change, a
revoked or unknown tablet, an expired session to release, a last-seen time due
to be written, any error - falls through to the Flask view, which is the
authority and gives the same answer slowly. Tests compare the two paths.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from .. import clock, security
from . import pairing

PATH = re.compile(r"^/rooms/([a-z0-9-]{1,60})/door/poll$")

# One query: the tablet by its token hash (unique index), its room, and the
# room's open session (the partial unique index on room_session).
SQL = """
SELECT t.kind, t.room_id, t.revoked_at, t.last_seen_at, r.id, r.version,
       s.state, s.expected_end, s.started_at
FROM tablet t
JOIN room r ON r.slug = {slug}
LEFT JOIN room_session s ON s.room_id = r.id AND s.ended_at IS NULL
WHERE t.token_hash = {token}
"""


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
        else:
            self.sql = SQL.format(slug="%(slug)s", token="%(token)s")

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            match = PATH.match(environ.get("PATH_INFO", ""))
            if match is not None:
                try:
                    unchanged = self._unchanged(match.group(1), environ)
                except Exception:  # the Flask view handles every failure properly
                    unchanged = False
                if unchanged:
                    start_response("204 No Content", self._headers(environ))
                    return []
        return self.wsgi_app(environ, start_response)

    def _unchanged(self, slug: str, environ) -> bool:
        cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        morsel = cookies.get(pairing.COOKIE)
        asked = parse_qs(environ.get("QUERY_STRING", "")).get("v")
        if morsel is None or not asked:
            return False
        if self.engine is None:
            self._setup()
        token_hash = hashlib.sha256(morsel.value.encode()).hexdigest()
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            cur.execute(self.sql, {"slug": slug, "token": token_hash})
            row = cur.fetchone()
            cur.close()
        finally:
            conn.close()  # back to the pool (which rolls back any read transaction)
        if row is None:
            return False
        kind, tablet_room, revoked, last_seen, room_id, version, state, expected_end, started = row
        if kind != "door" or tablet_room != room_id or revoked is not None:
            return False
        now = clock.now()
        if pairing.seen_long_ago(_as_utc(last_seen), now):
            return False  # the view writes last-seen (once a minute)
        started = _as_utc(started)
        if started is not None and now >= started + self._max_session():
            return False  # the view releases it
        expected_end = _as_utc(expected_end)
        overrun = state == "meeting" and expected_end is not None and now > expected_end
        content_version = self.app.extensions["kiosk_content"].version
        return asked[0] == f"{version}.{int(overrun)}.{content_version}"

    def _max_session(self) -> timedelta:
        return timedelta(hours=float(self.app.config["MAX_SESSION_HOURS"]))

    def _headers(self, environ) -> list[tuple[str, str]]:
        headers = [("X-Kiosk-Fragment", "door"), ("Cache-Control", "no-store"),
                   ("Vary", "HX-Request, Cookie")]
        headers += security.static_headers(environ.get("wsgi.url_scheme") == "https")
        return headers
