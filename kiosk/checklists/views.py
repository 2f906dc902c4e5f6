"""Checklists from the content files (filled by the checklists issue)."""

from flask import Blueprint

bp = Blueprint("checklists", __name__, url_prefix="/checklists")
