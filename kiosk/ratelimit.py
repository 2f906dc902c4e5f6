"""Abuse limits counted in the database, shared by every worker and instance.

Flask-Limiter's in-memory storage counts per process: with four gunicorn
workers an attacker would get four times the attempts, and more with every
instance. Here each attempt is a row in ``rate_hit`` and a limit is a count
over a sliding window, so the limit holds however the requests are spread.

An attempt is written *before* it is counted (and before the password is
checked): two attempts at the same moment both see each other, and a client
that keeps hammering stays limited. Old rows are removed by the daily purge.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from . import clock
from .database import begin_write
from .extensions import db
from .models import RateHit


@dataclass(frozen=True)
class Limit:
    """At most ``config[setting]`` hits per ``window`` in ``bucket``."""

    bucket: str
    setting: str
    window: timedelta

    @property
    def most(self) -> int:
        return int(current_app.config[self.setting])


# At most 10 a minute per address (logins and pairings), 100 failed logins an
# hour per account (the numbers are settings; tests and deployments may change them).
LOGIN_ADDRESS = Limit("login-address", "LOGIN_LIMIT_PER_MINUTE", timedelta(minutes=1))
PAIR_ADDRESS = Limit("pair-address", "PAIR_LIMIT_PER_MINUTE", timedelta(minutes=1))
LOGIN_ACCOUNT = Limit("login-account", "LOGIN_FAILURES_PER_HOUR", timedelta(hours=1))
# How long counted attempts are kept (longer than any window).
KEEP = timedelta(days=1)


def _key(bucket: str, key: str) -> str:
    # The bucket is part of the hash, so an address and an account never share a key.
    return hashlib.sha256(f"{bucket}\0{key}".encode()).hexdigest()


def hit(limit: Limit, key: str) -> tuple[int, int]:
    """Count one attempt; returns how many there were in the window (this one
    included) and the attempt's id (for :func:`forget`)."""
    now = clock.now()
    key_hash = _key(limit.bucket, key)
    begin_write()
    row = RateHit(bucket=limit.bucket, key_hash=key_hash, at=now)
    db.session.add(row)
    db.session.flush()
    count = db.session.scalar(select(func.count()).select_from(RateHit).where(
        RateHit.bucket == limit.bucket, RateHit.key_hash == key_hash, RateHit.at > now - limit.window))
    row_id = row.id
    db.session.commit()
    return int(count or 0), row_id


def allow(limit: Limit, key: str) -> bool:
    """Count one attempt; False when it is over the limit (the caller answers 429)."""
    count, _row = hit(limit, key)
    return count <= limit.most


def forget(hit_id: int) -> None:
    """Take back a counted attempt (a login that turned out right is not a
    failure; it was counted first so that racing guesses see it)."""
    begin_write()
    db.session.execute(delete(RateHit).where(RateHit.id == hit_id))
    db.session.commit()


def purge_old(now) -> int:
    """Delete counted attempts older than any window; returns how many."""
    result = db.session.execute(delete(RateHit).where(RateHit.at < now - KEEP))
    return result.rowcount or 0
