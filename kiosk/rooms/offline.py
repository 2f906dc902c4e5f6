"""A door or board that starts without the server: the service worker's route
and the web app manifests of paired tablets.

The worker is a static file of ours (``kiosk/static/sw.js``) served at ``/sw.js``
so that its scope covers ``/door``, ``/rooms/<slug>/door`` and ``/board``; see
the file for what it keeps. A manifest lets a tablet add its door (or board) to
the home screen and open it full screen, starting at its own panel; it is
served only to the tablet paired there (the link asks for it with credentials).
"""

from __future__ import annotations

from flask import abort, current_app, jsonify, send_from_directory, url_for

from ..assets import static_url
from ..i18n import current_lang, t
from ..render import mark
from . import access

KEEP = "keep"  # X-Kiosk-Offline: the worker may keep this page for an offline start
THEME = "#00509e"
BACKGROUND = "#000000"


def service_worker():
    """The service worker, revalidated on every check (a new version takes over at once)."""
    return mark(send_from_directory(current_app.static_folder, "sw.js", mimetype="text/javascript", max_age=0),
                no_cache=True)


def keep_offline(response):
    """Mark a paired tablet's full door or board page as keepable by the worker."""
    response.headers["X-Kiosk-Offline"] = KEEP
    return response


def _manifest(name: str, short_name: str, start_url: str):
    body = {
        "name": f"{name} – {t('app.name')}",
        "short_name": short_name[:30],
        "lang": current_lang(),
        "dir": "ltr",
        "start_url": start_url,
        "scope": "/",
        "display": "fullscreen",
        "display_override": ["fullscreen", "standalone"],
        "orientation": "any",
        "background_color": BACKGROUND,
        "theme_color": THEME,
        "icons": [
            {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
            {"src": static_url("favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return mark(response, no_store=True)


def door_manifest(slug: str):
    """The door's manifest: its name is the room's, it starts at the room's panel."""
    room = access.room_or_404(slug)
    tablet = access.live_tablet("door")
    if tablet is None or tablet.room_id != room.id:
        abort(403)
    return _manifest(room.name, room.name, url_for("rooms.door_panel", slug=room.slug))


def board_manifest():
    """The board tablet's manifest: it starts at the unit's board."""
    tablet = access.live_tablet("board")
    if tablet is None:
        abort(403)
    return _manifest(tablet.unit.name, tablet.unit.name, url_for("rooms.board"))

