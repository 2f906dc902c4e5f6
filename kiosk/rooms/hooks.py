"""What the rooms part adds to every page; ``create_app`` installs these hooks.

Staff pages opened from a door tablet (a guide, a checklist) need the way
back to the door and the room session's suggestions; any page may meet a
refused room transition; a tablet's device cookie is renewed while in use.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, url_for

from .. import clock
from ..errors import error_response
from ..extensions import db
from . import access, pairing, service
from .service import RoomError


def init_app(app: Flask) -> None:
    app.register_error_handler(RoomError, room_error)
    app.context_processor(room_helpers)
    app.after_request(renew_device_cookie)


def room_error(exc: RoomError):
    """A refused transition from any page (a guide in a room, say): words, not a 500."""
    db.session.rollback()
    return error_response(exc.status, exc.key)


def room_helpers() -> dict:
    return {"content_store": lambda: current_app.extensions["kiosk_content"],
            "guide_url": guide_url, "suggested_outcome": suggested_outcome, "now": clock.now,
            "door_home": door_home}


def door_home():
    """On a door tablet's staff pages (a guide opened from the door): the way back."""
    if not pairing.device_token():
        return None
    room = access.door_room()
    if room is None:
        return None
    return {"url": url_for("rooms.door_panel", slug=room.slug), "room": room.name,
            "in_use": service.open_session(room.id) is not None}


def guide_url(key: str, slug: str) -> str:
    """A guide opened from a door tablet, inside the room's session."""
    return url_for("guides.guide", key=key, room=slug)


def suggested_outcome(rs) -> str:
    """The wrap-up's likely answer, from what the no-show guide recorded."""
    return service.outcome_so_far(rs.session)


def renew_device_cookie(response):
    """Keep a tablet's device cookie from lapsing while the tablet is in use."""
    token = pairing.device_token() if g.get("renew_device_cookie") else None
    if token:
        pairing.set_device_cookie(response, token)
    return response
