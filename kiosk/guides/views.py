"""Guided procedures from the content files (filled by the checklists issue)."""

from flask import Blueprint

bp = Blueprint("guides", __name__, url_prefix="/guides")
