"""Search (filled by the checklists issue)."""

from flask import Blueprint

bp = Blueprint("search", __name__)
