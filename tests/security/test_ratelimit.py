"""Abuse limits counted in the database (kiosk/ratelimit.py): a refused attempt
writes nothing, so a flood neither grows the table nor takes the write lock."""

from __future__ import annotations

from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Event, RateHit


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(RateHit)),
                db.session.scalar(select(func.count()).select_from(Event)))


def test_refused_pairing_attempts_write_nothing(frozen_clock, app):
    """Issue 14.7: each rate-limited /pair attempt inserted a row."""
    client = app.test_client()
    for _ in range(10):
        assert client.form_post("/pair", {"code": "ABCDEFGH"}).status_code == 400
    before = _counts(app)
    for _ in range(30):
        r = client.form_post("/pair", {"code": "ABCDEFGH"})
        assert r.status_code == 429 and "För många försök" in r.get_data(as_text=True)
    assert _counts(app) == before
