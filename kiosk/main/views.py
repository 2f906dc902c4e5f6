"""The start page, the routine's document control, and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, url_for
from sqlalchemy import text

from .. import clock
from ..extensions import db
from ..i18n import content, store
from ..render import render

bp = Blueprint("main", __name__)

# What the start page offers: (endpoint, UI-string prefix). Only endpoints
# that exist are shown, so the page never links to a screen not yet built.
OFFERS = (
    ("rooms.door", "index.offer.door"),
    ("rooms.board", "index.offer.board"),
    ("checklists.index", "index.offer.checklists"),
    ("guides.index", "index.offer.guides"),
    ("printables.index", "index.offer.printables"),
    ("admin.index", "index.offer.admin"),
    ("main.about", "index.offer.about"),
)


def routine_status() -> str:
    """valid / expiring / expired / not-yet, for the banner on staff pages (R1)."""
    doc = content().document
    today = clock.now().astimezone(_tz()).date()
    return doc.status(today, int(current_app.config["ROUTINE_WARN_DAYS"]))


def _tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


@bp.app_context_processor
def _routine_context():
    return {"routine_status": routine_status}


@bp.get("/")
def index():
    """What the kiosk offers, with a link to each part."""
    offers = [
        (url_for(endpoint), prefix)
        for endpoint, prefix in OFFERS
        if endpoint in current_app.view_functions
    ]
    return render("main/index.html", offers=offers)


@bp.get("/about")
def about():
    """The routine's document control (R1) and purpose (R2)."""
    doc = content().document
    today = clock.now().astimezone(_tz()).date()
    days_left = (doc.valid_to - today).days
    return render("main/about.html", doc=doc, days_left=days_left)


@bp.get("/healthz")
def healthz():
    """For load balancers and monitoring: the database and the content version."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure to reach the database is "down"
        db.session.rollback()
        database = "error"
    ok = database == "ok"
    body = {"status": "ok" if ok else "degraded", "database": database,
            "content_version": store().version}
    return jsonify(body), (200 if ok else 503)
