"""The routine's standing (R1): is the document in force today?

Staff pages, the admin start page and /about all ask; it lives below the
features so that none of them imports another to find out.
"""

from __future__ import annotations

from flask import current_app

from . import clock
from .i18n import content


def routine_status() -> str:
    """valid / expiring / expired / not-yet, for the banner on staff pages."""
    return content().document.status(clock.today(), int(current_app.config["ROUTINE_WARN_DAYS"]))


def days_left() -> int:
    """Days until the routine's valid-to date (negative once it has expired)."""
    return (content().document.valid_to - clock.today()).days
