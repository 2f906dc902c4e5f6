"""Counting the SQL statements a piece of work sends (the hot paths' and the
booking lists' query counts are exact, so a query more fails a test)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from kiosk.extensions import db

VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


@contextmanager
def statements(app):
    """Collect the SQL statements (reads and writes, not BEGIN/COMMIT) sent meanwhile."""
    sent: list[str] = []

    def listen(_conn, _cursor, statement, _parameters, _context, _executemany):
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if verb in VERBS:
            sent.append(" ".join(statement.split())[:160])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", listen)
