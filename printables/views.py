"""Routes of the printables (filled by the printables issue)."""

from flask import Blueprint

bp = Blueprint("printables", __name__, url_prefix="/print", template_folder="templates")
