"""Abuse limits counted in the database, shared by every worker and instance.

Flask-Limiter's in-memory storage counts per process: with four gunicorn
workers an attacker would get four times the attempts, and more with every
instance. Here each attempt is a row in ``rate_hit`` and a limit is a count
over a sliding window, so the limit holds however the requests are spread.

An attempt over the limit is refused after one read and writes nothing, so a
flood neither grows the table nor queues for SQLite's write lock in front of
check-ins. An attempt under the limit is written and then counted again, so
two attempts at the same moment see each other; the one that turns out to be
over the limit takes its row back. Old rows are removed by the daily purge.

The login policy built on these limits is described in docs/admin.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from . import clock
from .database import begin_write
from .extensions import db
from .models import RateHit

# A key is one string (an address, an account) or a pair (account, address).
Key = str | tuple[str, str]


@dataclass(frozen=True)
class Limit:
    """At most ``config[setting]`` hits per ``window`` in ``bucket``."""

    bucket: str
    setting: str
    window: timedelta

    @property
    def most(self) -> int:
        return int(current_app.config[self.setting])


# At most 10 attempts a minute per address (logins and pairings); 20 failed
# logins an hour per account and address (a lock for that address only); past
# 10 failures in 15 minutes an account is slowed (LOGIN_SLOW_SECONDS between
# one address's tries). The numbers are settings.
LOGIN_ADDRESS = Limit("login-address", "LOGIN_LIMIT_PER_MINUTE", timedelta(minutes=1))
PAIR_ADDRESS = Limit("pair-address", "PAIR_LIMIT_PER_MINUTE", timedelta(minutes=1))
LOGIN_LOCK = Limit("login-lock", "LOGIN_FAILURES_PER_HOUR", timedelta(hours=1))
LOGIN_ACCOUNT = Limit("login-account", "LOGIN_SLOW_AFTER", timedelta(minutes=15))
# Bookings (and moves) from a staff page, per address: anyone on the
# network may hold a free slot in their own name, but not fill the rooms' days.
STAFF_BOOKING = Limit("staff-booking", "STAFF_BOOKING_LIMIT_PER_HOUR", timedelta(hours=1))
# Refused claims of one visit's console code, per visit and code shown (a new code starts afresh).
CONSOLE_CLAIM_VISIT = Limit("console-claim-visit", "CONSOLE_CLAIM_FAILURES_PER_VISIT", timedelta(hours=12))
# A room console's writes (bookings and moves, faults, device checks), per
# console, by the staff pages' number: whoever passes a door may claim a visit's console.
CONSOLE_WRITE = Limit("console-write", "STAFF_BOOKING_LIMIT_PER_HOUR", timedelta(hours=1))
# How long counted attempts are kept (longer than any window).
KEEP = timedelta(days=1)


def _hash(bucket: str, part: str) -> str:
    # The bucket is part of the hash, so an address and an account never share a key.
    return hashlib.sha256(f"{bucket}\0{part}".encode()).hexdigest()


def key_hash(limit: Limit, key: Key) -> str:
    """The stored key: a hash, so the table holds neither addresses nor account
    names. A pair (account, address) is half the account's hash and half the
    address's, so every row of an account can be found (an admin's unlock)."""
    if isinstance(key, tuple):
        account, address = key
        return _hash(limit.bucket, account)[:32] + _hash(limit.bucket + "/address", address)[:32]
    return _hash(limit.bucket, key)


def count(limit: Limit, key: Key) -> int:
    """Attempts in the window now (a read; nothing written)."""
    return int(db.session.scalar(select(func.count()).select_from(RateHit).where(
        RateHit.bucket == limit.bucket, RateHit.key_hash == key_hash(limit, key),
        RateHit.at > clock.now() - limit.window)) or 0)


def over(limit: Limit, key: Key) -> bool:
    """True when one more attempt would be over the limit (a read; nothing written)."""
    return count(limit, key) >= limit.most


def latest(limit: Limit, key: Key) -> datetime | None:
    """When the last counted attempt in the window was made, or None."""
    return db.session.scalar(select(func.max(RateHit.at)).where(
        RateHit.bucket == limit.bucket, RateHit.key_hash == key_hash(limit, key),
        RateHit.at > clock.now() - limit.window))


def hit(limit: Limit, key: Key) -> tuple[int, int]:
    """Count one attempt; returns how many there were in the window (this one
    included) and the attempt's id (for :func:`forget`)."""
    now = clock.now()
    hashed = key_hash(limit, key)
    begin_write()
    row = RateHit(bucket=limit.bucket, key_hash=hashed, at=now)
    db.session.add(row)
    db.session.flush()
    counted = db.session.scalar(select(func.count()).select_from(RateHit).where(
        RateHit.bucket == limit.bucket, RateHit.key_hash == hashed, RateHit.at > now - limit.window))
    row_id = row.id
    db.session.commit()
    return int(counted or 0), row_id


def allow(limit: Limit, key: Key) -> bool:
    """Count one attempt; False when it is over the limit (the caller answers
    429). A refused attempt leaves no row behind."""
    if over(limit, key):
        return False
    counted, row_id = hit(limit, key)
    if counted > limit.most:  # another attempt came in at the same moment
        forget(row_id)
        return False
    return True


def forget(*hit_ids: int) -> None:
    """Take back counted attempts (a login that turned out right is not a
    failure; it was counted first so that racing guesses see it)."""
    begin_write()
    db.session.execute(delete(RateHit).where(RateHit.id.in_(hit_ids)))
    db.session.commit()


def clear_account(account: str) -> int:
    """Forget every counted login failure of an account, from every address
    (an administrator unlocks it). Inside the caller's write transaction (not
    committed); returns how many rows went."""
    prefix = key_hash(LOGIN_LOCK, (account, ""))[:32]
    locks = db.session.execute(delete(RateHit).where(
        RateHit.bucket == LOGIN_LOCK.bucket, RateHit.key_hash.startswith(prefix, autoescape=True)))
    slow = db.session.execute(delete(RateHit).where(
        RateHit.bucket == LOGIN_ACCOUNT.bucket, RateHit.key_hash == key_hash(LOGIN_ACCOUNT, account)))
    return (locks.rowcount or 0) + (slow.rowcount or 0)


def account_failures(account: str) -> int:
    """Counted login failures of an account in the last hour, from any address
    (the accounts page shows an unlock button when there are any)."""
    prefix = key_hash(LOGIN_LOCK, (account, ""))[:32]
    return int(db.session.scalar(select(func.count()).select_from(RateHit).where(
        RateHit.bucket == LOGIN_LOCK.bucket, RateHit.key_hash.startswith(prefix, autoescape=True),
        RateHit.at > clock.now() - LOGIN_LOCK.window)) or 0)


def purge_old(now) -> int:
    """Delete counted attempts older than any window; returns how many."""
    result = db.session.execute(delete(RateHit).where(RateHit.at < now - KEEP))
    return result.rowcount or 0
