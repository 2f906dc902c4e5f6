"""The event log's one writer: every state change, pairing and admin action.

Callers pass what they know - who (an actor label such as ``admin:3``,
``tablet:7``, ``system``), from where (the address), about what (unit, room,
session, tablet) and the details as keyword arguments - and the event is
added to the caller's transaction, so it is committed (or rolled back) with
the change it records. The kind must be one of ``models.EVENT_KINDS``, each
named in the content in both languages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, request

from . import clock
from .extensions import db
from .models import Event

ADDRESS_MAX = 64


@dataclass(frozen=True)
class Actor:
    """Who made a change, for the event log: a label (``tablet:7``,
    ``admin:3``, ``system`` ...), the tablet if one acted, and the address."""

    label: str
    tablet_id: int | None = None
    address: str = ""

    @classmethod
    def system(cls) -> Actor:
        """The kiosk itself: a release by time, a calendar feed's sync."""
        return cls("system")


def client_address() -> str:
    """The address of this request's client (after the trusted proxies), or ''."""
    if not has_request_context():
        return ""
    return (request.remote_addr or "")[:ADDRESS_MAX]


def record(kind: str, actor: str, *, address: str = "", unit_id: int | None = None, room_id: int | None = None,
           session_id: int | None = None, tablet_id: int | None = None, at: datetime | None = None,
           **detail) -> Event:
    """Add one event to the current transaction (not committed) and return it."""
    event = Event(
        at=at or clock.now(), kind=kind, unit_id=unit_id, room_id=room_id, session_id=session_id,
        tablet_id=tablet_id, actor=actor, address=(address or "")[:ADDRESS_MAX],
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
    )
    db.session.add(event)
    return event
