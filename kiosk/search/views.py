"""Search across checklists, guides and staff pages, in the user's language.

One URL serves both ways of asking: a plain GET form gets the whole page, the
htmx live search (as the user types) gets only the list and, out of band, the
count that a screen reader announces.
"""

from __future__ import annotations

from flask import Blueprint, request

from ..i18n import content
from ..render import render
from .finder import MAX_QUERY, nearest, search as find

bp = Blueprint("search", __name__)

# The directory and search box every staff page includes; its blocks are the fragments.
DIRECTORY = "search/_directory.html"


@bp.get("/search")
def search():
    """Pages matching ``q``; with no words, all of them. With no hit, the nearest
    pages, and when nothing is near either, whom to contact: never a dead end."""
    q = request.args.get("q", "")[:MAX_QUERY].strip()
    hits = find(content(), q) if q else None
    near = nearest(content(), q) if q and not hits else []
    context = {"search_q": q, "search_hits": hits, "search_near": near}
    return render("search/search.html", block="results", oob=("status",), component=DIRECTORY, **context)
