"""The device check page (filled by the checklists issue)."""

from flask import Blueprint

bp = Blueprint("devicecheck", __name__, url_prefix="/check")
