"""Search across checklists and guides, in the user's language.

One URL serves both ways of asking: a plain GET form gets the whole page, the
htmx live search (as the user types) gets only the list and, out of band, the
count that a screen reader announces.
"""

from __future__ import annotations

from flask import Blueprint, request

from ..i18n import content
from ..render import is_htmx, render
from .finder import MAX_QUERY, search as find

bp = Blueprint("search", __name__)


@bp.get("/search")
def search():
    """Checklists and guides matching ``q``; with no words, all of them."""
    q = request.args.get("q", "")[:MAX_QUERY].strip()
    hits = find(content(), q) if q else None
    context = {"search_q": q, "search_hits": hits}
    if is_htmx():
        return render("search/_results.html", oob=True, **context)
    return render("search/search.html", **context)
