"""The kiosk's tables. No table holds patient data: the only personal data are
a clinician's optional name and title on a room session and free-text reasons,
which retention erases (see docs/data.md)."""
# Over 400 lines: the whole schema in one module, the one place migrations and docs/data.md are checked against.

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from . import clock
from .database import UTCDateTime
from .extensions import db


def _one_of(allowed, what: str, hint: str = ""):
    """A column validator (``validates(column)(_one_of(...))``): a value outside
    ``allowed`` is a programming error, refused before it reaches the database."""
    def check(_self, _key: str, value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {what} {value!r}{hint}")
        return value
    return check


class Unit(db.Model):
    """A care unit (mottagning): its rooms, its board tablets, its statistics."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    # Show the checked-in clinician's name and title on the door (off by default).
    show_clinician: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The door sign's English line under the Swedish (on by default); a unit may
    # turn it off, and the Swedish then takes the whole sign.
    door_sign_english: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Opening hours, Monday first: "07:30-17:00;...;;" (kiosk/hours.py).
    # Empty or NULL: no hours, always open, no night screen.
    opening_hours: Mapped[str | None] = mapped_column(String(120))
    # A booking's patient letter prints these (empty name: the routine's "applies to").
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    letter_name: Mapped[str] = mapped_column(String(120), default="", server_default="")

    rooms: Mapped[list[Room]] = relationship(back_populates="unit", order_by="Room.name")


class Room(db.Model):
    """A video room with a door tablet. ``version`` grows with every change, so a
    poll compares one integer to know whether anything happened."""

    __tablename__ = "room"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    location: Mapped[str] = mapped_column(String(200), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # When what the room shows next changes by time alone because of a booking
    # (one about to start, an unclaimed one to release, one ending, midnight).
    # A poll compares it with the clock and reads no booking (kiosk/bookings).
    bookings_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship(back_populates="rooms")


class Tablet(db.Model):
    """A paired browser: a door tablet (one room) or a board tablet (one unit).
    Only a hash of its device token is stored."""

    __tablename__ = "tablet"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "door" | "board"
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="", server_default="")
    paired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    room: Mapped[Room | None] = relationship()


class PairingCode(db.Model):
    """A one-time code that binds a browser to a room or unit; valid 10 minutes."""

    __tablename__ = "pairing_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tablet_id: Mapped[int | None] = mapped_column(ForeignKey("tablet.id"))


class RoomSession(db.Model):
    """One use of a room, from check-in to free again. Open while ``ended_at`` is
    null; the partial unique index lets each room have one open session only."""

    __tablename__ = "room_session"
    __table_args__ = (
        Index(
            "uq_room_session_open", "room_id", unique=True,
            sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), index=True)
    # preparing | meeting | wrapup | closed
    state: Mapped[str] = mapped_column(String(12))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    meeting_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meeting_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expected_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # completed | cancelled | auto-released | force-ended
    end_reason: Mapped[str | None] = mapped_column(String(20))
    # held | no-show | technical | rebooked (the wrap-up's answer)
    outcome: Mapped[str | None] = mapped_column(String(20))
    planned_minutes: Mapped[int] = mapped_column(Integer, default=30)
    extended_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ended_early: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    overran: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # complete | skipped (how Preparing became In meeting)
    checklist_result: Mapped[str | None] = mapped_column(String(10))
    skip_reason: Mapped[str | None] = mapped_column(String(30))
    # The no-show procedure (R26-R28): the booked start the clinician entered,
    # and the answer at the call step (joined | technical | no-answer). No patient data.
    no_show_booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    no_show_outcome: Mapped[str | None] = mapped_column(String(20))
    # How that procedure ended (held | rebooked | no-show), suggested at wrap-up.
    no_show_result: Mapped[str | None] = mapped_column(String(20))
    # Someone knocked at the door while a console ran the visit (shown there until cleared).
    knock_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Personal data, shown on the door only if the unit allows; erased by retention.
    clinician_name: Mapped[str | None] = mapped_column(String(80))
    clinician_title: Mapped[str | None] = mapped_column(String(80))

    room: Mapped[Room] = relationship()


class ChecklistTick(db.Model):
    """A checklist item marked inside a room session (it names no patient):
    ticked ("done") or, where the content allows, "does not apply" ("na")."""

    __tablename__ = "checklist_tick"
    __table_args__ = (UniqueConstraint("session_id", "checklist_key", "item_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("room_session.id", ondelete="CASCADE"), index=True)
    checklist_key: Mapped[str] = mapped_column(String(40))
    item_key: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(4), default="done", server_default="done")  # done | na
    ticked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class ConsoleCode(db.Model):
    """A short one-time code shown on the door that makes a browser (the room's
    computer, a phone) the console of one room session. Once claimed, the
    browser's console token (only its SHA-256 here) is bound to that session
    and stops working when the session ends. The code itself is stored as
    shown: it lives minutes, works once, and the door must show it again."""

    __tablename__ = "console_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("room_session.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(8), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The door disconnected this console (or a newer code replaced it); its browser is told so.
    disconnected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# ---- bookings: a room held for a time (kiosk/bookings) ----
# No field can hold a patient: a booking is a room, a start and an end, and
# optionally the clinician who holds it (name and title, as at check-in). A
# feed's meeting title, description, location and attendees are never stored.

BOOKING_STATUSES = ("booked", "claimed", "released", "cancelled")
BOOKING_SOURCES = ("manual", "feed")


class CalendarFeed(db.Model):
    """A room's published iCalendar feed (its resource calendar in Exchange or
    Google): where to read it and how the last reading went."""

    __tablename__ = "calendar_feed"
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), unique=True)
    # The published address; it often holds a secret, so it is never logged.
    url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A fixed key (kiosk/bookings/feeds.py ERRORS), never the server's or the parser's text.
    last_error: Mapped[str | None] = mapped_column(String(40))
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    # The last full read, what it held ("meetings=3,free=2": feeds.read_counts), since when failing.
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_counts: Mapped[str | None] = mapped_column(String(200))
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    room: Mapped[Room] = relationship()


class Booking(db.Model):
    """A room held from ``starts_at`` to ``ends_at`` (UTC). Made in the kiosk
    (manual) or read from the room's calendar feed (read-only here)."""

    __tablename__ = "booking"
    __table_args__ = (
        Index("ix_booking_room_starts", "room_id", "starts_at"),
        UniqueConstraint("feed_id", "feed_uid", "recurrence_id", name="uq_booking_feed_instance"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The clinician's, as at check-in (personal data, erased by retention); never a patient's.
    holder_name: Mapped[str | None] = mapped_column(String(80))
    holder_title: Mapped[str | None] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(8), default="manual", server_default="manual")
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("calendar_feed.id", ondelete="SET NULL"), index=True)
    # SHA-256 of the event's UID (a moved meeting keeps it) and the instance's
    # original start (ISO, UTC) for a recurring event, "" for a single one.
    feed_uid: Mapped[str | None] = mapped_column(String(64))
    recurrence_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="booked", server_default="booked")
    session_id: Mapped[int | None] = mapped_column(ForeignKey("room_session.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by: Mapped[str] = mapped_column(String(120), default="", server_default="")
    updated_by: Mapped[str] = mapped_column(String(120), default="", server_default="")

    room: Mapped[Room] = relationship()

    _known_status = validates("status")(_one_of(BOOKING_STATUSES, "booking status"))


# Every kind of event the log holds, grouped as the event log's filter shows them. A kind
# not listed here cannot be written (Event.kind is checked), and every kind has a name
# in each language's content (admin.events.kinds.*), tested in tests/test_admin_pages.py.
EVENT_KINDS: dict[str, tuple[str, ...]] = {
    "rooms": ("check-in", "start", "extend", "end", "cancel", "finish", "no-show", "auto-released",
              "force-ended", "knock", "knock-seen"),
    "tablets": ("pairing-code", "pair", "revoke", "console-code", "console-claim", "console-disconnect"),
    "bookings": ("booking-create", "booking-move", "booking-cancel", "booking-claim", "booking-release",
                 "calendar-set", "calendar-sync", "calendar-sync-failed"),
    "admin": ("admin-login", "admin-login-failed", "admin-logout", "admin-create", "admin-activate",
              "admin-deactivate", "admin-password", "admin-unlock", "unit-create", "unit-update", "unit-deactivate",
              "room-create", "room-update", "room-activate", "room-deactivate", "stats-export", "events-export",
              "purge"),
    # Room health: faults reported and fixed, device checks stored for a room.
    "faults": ("fault-report", "fault-fix", "device-check"),
}
ALL_EVENT_KINDS: frozenset[str] = frozenset(k for kinds in EVENT_KINDS.values() for k in kinds)


class Event(db.Model):
    """The audit log: every state change, pairing and admin action, with who,
    what, when and from where."""

    __tablename__ = "event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("room_session.id"))
    tablet_id: Mapped[int | None] = mapped_column(ForeignKey("tablet.id"))
    actor: Mapped[str] = mapped_column(String(120), default="", server_default="")
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")
    detail: Mapped[str] = mapped_column(Text, default="", server_default="")

    _known_kind = validates("kind")(_one_of(ALL_EVENT_KINDS, "event kind",
                                            ": add it to EVENT_KINDS and name it in the content"))


# ---- administration: accounts, their sessions, abuse counters, periodic jobs ----
# None holds patient data; an account's e-mail is the only personal data (of staff).

GLOBAL, UNIT = "global", "unit"
ROLES = (GLOBAL, UNIT)


class AdminUser(db.Model):
    """An administrator: global (everything) or a unit manager (one unit)."""

    __tablename__ = "admin_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # Werkzeug's scrypt hash (method, parameters, salt and hash in one string).
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))  # "global" | "unit"
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit | None] = relationship()

    @property
    def is_global(self) -> bool:
        return self.role == GLOBAL

    @property
    def label(self) -> str:
        """How the event log names this administrator (no e-mail in the log)."""
        return f"admin:{self.id}"


class AdminSession(db.Model):
    """A login. The browser holds a random token; only its SHA-256 is stored.
    Idle and absolute expiry are computed from the two times."""

    __tablename__ = "admin_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The last request a person made (polls do not count).
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    admin: Mapped[AdminUser] = relationship()


class RateHit(db.Model):
    """One counted attempt (a login, a pairing, a failed password) in the
    database, so every worker and instance sees the same count. The key is a
    hash: the table holds neither addresses nor account names."""

    __tablename__ = "rate_hit"
    __table_args__ = (Index("ix_rate_hit_bucket_key_at", "bucket", "key_hash", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Maintenance(db.Model):
    """When a periodic job last ran (one row per job): a conditional UPDATE on
    it lets exactly one request of one instance run the daily purge."""

    __tablename__ = "maintenance"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# ---- room health: faults reported from a room, device checks (kiosk/rooms/faults.py) ----
# No field can hold a patient: a fault is a kind from a fixed list and a short
# optional text by the name rule (erased by retention, like other free text).

FAULT_KINDS = ("camera", "microphone", "sound", "network", "computer", "screen", "other")
FAULT_SOURCES = ("door", "console", "devicecheck", "admin")
DEVICE_RESULTS = ("ok", "fail", "untested")


class RoomFault(db.Model):
    """Broken equipment reported in a room. Open while ``fixed_at`` is null;
    the door and the board say so until an administrator marks it fixed."""

    __tablename__ = "room_fault"
    __table_args__ = (Index("ix_room_fault_room_fixed", "room_id", "fixed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    # Optional short free text by the name rule; erased by retention.
    text: Mapped[str | None] = mapped_column(String(140))
    source: Mapped[str] = mapped_column(String(12))  # door | console | devicecheck | admin
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    reported_by: Mapped[str] = mapped_column(String(120), default="", server_default="")
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fixed_by: Mapped[str | None] = mapped_column(String(120))
    # What was done (free text by the name rule; erased by retention).
    fix_note: Mapped[str | None] = mapped_column(String(200))

    room: Mapped[Room] = relationship()

    _known_kind = validates("kind")(_one_of(FAULT_KINDS, "fault kind"))


class DeviceCheck(db.Model):
    """The outcome of one device check run for a room (no media, only whether
    the camera showed a picture, the microphone a level, the sound was heard)."""

    __tablename__ = "device_check"
    __table_args__ = (Index("ix_device_check_room_at", "room_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    camera: Mapped[str] = mapped_column(String(8))      # ok | fail | untested
    microphone: Mapped[str] = mapped_column(String(8))
    sound: Mapped[str] = mapped_column(String(8))
    # True when all three worked: "the last good check".
    ok: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    actor: Mapped[str] = mapped_column(String(120), default="", server_default="")

    room: Mapped[Room] = relationship()
