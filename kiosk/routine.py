"""The routine's standing (R1): is the document in force today?

Staff pages, the admin start page and /about all ask; it lives below the
features so that none of them imports another to find out.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app

from . import clock
from .i18n import content


def today() -> date:
    """Today's date in the unit's time zone (Sweden), from the one clock."""
    return clock.now().astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def routine_status() -> str:
    """valid / expiring / expired / not-yet, for the banner on staff pages."""
    return content().document.status(today(), int(current_app.config["ROUTINE_WARN_DAYS"]))


def days_left() -> int:
    """Days until the routine's valid-to date (negative once it has expired)."""
    return (content().document.valid_to - today()).days
