"""The start page, the routine's document control, and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for
from sqlalchemy import text

from .. import routine
from ..extensions import db
from ..i18n import content, store
from ..render import render

bp = Blueprint("main", __name__)

# What the start page offers: (endpoint, UI-string prefix).
OFFERS = (
    ("rooms.door", "index.offer.door"),
    ("overview.index", "index.offer.board"),
    ("checklists.index", "index.offer.checklists"),
    ("guides.index", "index.offer.guides"),
    ("printables.index", "index.offer.printables"),
    ("admin.index", "index.offer.admin"),
    ("main.about", "index.offer.about"),
)


@bp.get("/")
def index():
    """What the kiosk offers, with a link to each part."""
    offers = [(url_for(endpoint), prefix) for endpoint, prefix in OFFERS]
    return render("main/index.html", offers=offers)


@bp.get("/about")
def about():
    """The routine's document control (R1) and purpose (R2)."""
    return render("main/about.html", doc=content().document, days_left=routine.days_left())


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


@bp.get("/tillganglighet")
def accessibility():
    """The accessibility statement (DOS-lagen), public: how the kiosk meets WCAG 2.1 AA,
    what is known not to, and how to report a problem (the words are content)."""
    return render("main/accessibility.html")
