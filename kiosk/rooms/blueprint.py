"""The rooms' blueprints and every URL rule they answer, one per line, so that
grepping a path finds its view.

``rooms``: the paired devices' surfaces (pairing, the door, the room console,
the reception board, the service worker and manifests); ``overview``: the staff
pages (every room's state, one room's day). The views live in one module per
surface; who is asking is decided in rooms/access.py.
"""

from __future__ import annotations

from flask import Blueprint

from . import board_list_views as board_list
from . import board_views as board
from . import checklist_views as checklists
from . import console_views as console
from . import door_views as door
from . import offline, overview

bp = Blueprint("rooms", __name__)
staff_bp = Blueprint("overview", __name__)

GET, POST, FORM = ["GET"], ["POST"], ["GET", "POST"]
# A room session's checklists are ticked by one view on one route per surface
# (who is asking differs); the rule's default names the surface.
DOOR, CONSOLE = {"surface": "door"}, {"surface": "console"}

# Pairing and the door tablet.
bp.add_url_rule("/pair", "pair", door.pair, methods=FORM)
bp.add_url_rule("/door", "door", door.door, methods=GET)
bp.add_url_rule("/rooms/<slug>/door", "door_panel", door.door_panel, methods=GET)
bp.add_url_rule("/rooms/<slug>/door/poll", "door_poll", door.door_poll, methods=GET)
bp.add_url_rule("/rooms/<slug>/door/guides/<key>", "door_guide", door.door_guide, methods=GET)
bp.add_url_rule("/rooms/<slug>/check-in", "check_in", door.check_in, methods=POST)
bp.add_url_rule("/rooms/<slug>/start", "start", door.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/console-code", "console_code", door.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/checklists/<key>/items/<item>", "tick", checklists.tick, methods=POST, defaults=DOOR)
bp.add_url_rule("/rooms/<slug>/checklists/<key>/reset", "checklist_reset", checklists.reset, methods=POST, defaults=DOOR)
bp.add_url_rule("/rooms/<slug>/skip", "skip", door.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/extend", "extend", door.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/end", "end", door.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/cancel", "cancel", door.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/finish", "finish", door.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/fault", "fault", door.fault, methods=POST)
bp.add_url_rule("/rooms/<slug>/console-disconnect", "console_disconnect", door.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/knock", "knock", door.step, methods=POST)

# The room console.
bp.add_url_rule("/console", "console_home", console.console_home, methods=FORM)
bp.add_url_rule("/rooms/<slug>/console", "console_page", console.console_page, methods=GET)
bp.add_url_rule("/rooms/<slug>/console/poll", "console_poll", console.console_poll, methods=GET)
bp.add_url_rule("/rooms/<slug>/console/guides/<key>", "console_guide", console.console_guide, methods=GET)
bp.add_url_rule("/rooms/<slug>/console/check-in", "console_check_in", console.check_in, methods=POST)
bp.add_url_rule("/rooms/<slug>/console/checklists/<key>/items/<item>", "console_tick", checklists.tick, methods=POST, defaults=CONSOLE)
bp.add_url_rule("/rooms/<slug>/console/checklists/<key>/reset", "console_checklist_reset", checklists.reset, methods=POST, defaults=CONSOLE)
bp.add_url_rule("/rooms/<slug>/console/skip", "console_skip", console.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/console/extend", "console_extend", console.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/console/end", "console_end", console.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/console/cancel", "console_cancel", console.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/console/finish", "console_finish", console.step, methods=POST)
bp.add_url_rule("/rooms/<slug>/console/fault", "console_fault", console.fault, methods=POST)
bp.add_url_rule("/rooms/<slug>/console/knock-seen", "console_knock_seen", console.knock_seen, methods=POST)
bp.add_url_rule("/rooms/<slug>/console/bookings", "console_bookings", console.console_bookings, methods=GET)
bp.add_url_rule("/rooms/<slug>/console/bookings", "console_book", console.book, methods=POST)
bp.add_url_rule("/rooms/<slug>/console/bookings/<int:booking_id>/move", "console_booking_move", console.move_booking, methods=POST)
bp.add_url_rule("/rooms/<slug>/console/bookings/<int:booking_id>/cancel", "console_booking_cancel", console.cancel_booking, methods=POST)

# The reception board.
bp.add_url_rule("/board", "board", board.board, methods=GET)
bp.add_url_rule("/board/poll", "board_poll", board.board_poll, methods=GET)
bp.add_url_rule("/board/rooms/<slug>", "board_room", board.board_room, methods=GET)
bp.add_url_rule("/board/rooms/<slug>/bookings", "board_book", board.book, methods=POST)
bp.add_url_rule("/board/rooms/<slug>/bookings/<int:booking_id>/move", "board_move", board.move_booking, methods=POST)
bp.add_url_rule("/board/rooms/<slug>/bookings/<int:booking_id>/cancel", "board_cancel", board.cancel_booking, methods=POST)
bp.add_url_rule("/board/rooms/<slug>/check-in", "board_check_in", board.check_in, methods=POST)
bp.add_url_rule("/board/rooms/<slug>/check-in/undo", "board_check_in_undo", board.undo_check_in, methods=POST)
bp.add_url_rule("/board/rooms/<slug>/check-in/cancel", "board_check_in_cancel", board.cancel_check_in, methods=POST)
bp.add_url_rule("/board/rooms/<slug>/console-code", "board_console_code", board.console_code, methods=POST)
bp.add_url_rule("/board/bookings", "board_bookings", board_list.board_bookings, methods=GET)
bp.add_url_rule("/board/bookings/<int:booking_id>/cancel", "board_list_cancel", board_list.board_list_cancel, methods=POST)

# A door or board that starts without the server.
bp.add_url_rule("/sw.js", "service_worker", offline.service_worker, methods=GET)
bp.add_url_rule("/rooms/<slug>/door/manifest.webmanifest", "door_manifest", offline.door_manifest, methods=GET)
bp.add_url_rule("/board/manifest.webmanifest", "board_manifest", offline.board_manifest, methods=GET)

# The staff pages.
staff_bp.add_url_rule("/rooms", "index", overview.index, methods=GET)
staff_bp.add_url_rule("/rooms/<slug>/day", "room_day", overview.room_day, methods=GET)
staff_bp.add_url_rule("/rooms/<slug>/day/bookings", "room_book", overview.book, methods=POST)
staff_bp.add_url_rule("/rooms/<slug>/day/bookings/<int:booking_id>/move", "room_booking_move", overview.move_booking, methods=POST)
staff_bp.add_url_rule("/rooms/<slug>/day/bookings/<int:booking_id>/cancel", "room_booking_cancel", overview.cancel_booking, methods=POST)
