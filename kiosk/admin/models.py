"""The administration's tables: accounts, their sessions, the abuse counters
and the one row that says when the daily purge last ran.

None of them holds patient data. An account's e-mail address is the only
personal data (of staff), kept while the account exists (docs/data.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..database import UTCDateTime
from ..extensions import db
from ..models import Unit

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
