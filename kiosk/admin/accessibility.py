"""The accessibility statement at /tillganglighet.

A Swedish public body must publish one for its digital services (lagen om
tillgänglighet till digital offentlig service, "DOS-lagen"): how the service
meets WCAG 2.1 AA, what is known not to, and how to report a problem. The
words and the contact address are content (ui-admin.toml), so a deployment
sets its own address with its own content folder.
"""

from __future__ import annotations

from flask import Blueprint

from ..render import render

bp = Blueprint("a11y", __name__)


@bp.get("/tillganglighet")
def statement():
    """The accessibility statement, public: anyone may read it and report a problem."""
    return render("main/accessibility.html")
