"""Configuration: defaults, then ``instance/config.py``, then ``KIOSK_*``
environment variables (and ``DATABASE_URL``), then the test mapping.

Every setting is listed in the README's configuration table; keep them in step.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from . import clock

DEFAULTS: dict[str, Any] = {
    # The database; None means SQLite in the instance folder.
    "SQLALCHEMY_DATABASE_URI": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # A door tablet keeps its page for weeks: its CSRF token must not expire
    # under it. The token is still bound to the browser's session.
    "WTF_CSRF_TIME_LIMIT": None,
    # Flask-WTF's https Referer check cannot work with Referrer-Policy:
    # no-referrer (browsers send none); security.py checks Origin instead.
    "WTF_CSRF_SSL_STRICT": False,
    # Forms and htmx posts are small; anything bigger is refused with 413.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "MAX_FORM_MEMORY_SIZE": 64 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # False means: Secure whenever the request came over https.
    "SESSION_COOKIE_SECURE": False,
    # Languages: Swedish first.
    "LANGUAGES": ["sv", "en"],
    "DEFAULT_LANGUAGE": "sv",
    "BABEL_DEFAULT_LOCALE": "sv",
    # The unit's wall clock: dates and times shown, and where a day starts (kiosk/clock.py).
    "BABEL_DEFAULT_TIMEZONE": clock.DEFAULT_ZONE,
    # Content: None means the files shipped in kiosk/content/.
    "CONTENT_DIR": None,
    # Rooms.
    "POLL_SECONDS": 5,
    "MAX_SESSION_HOURS": 3,
    "DEFAULT_MEETING_MINUTES": 30,
    "EXTEND_MINUTES": 15,
    "PAIRING_CODE_MINUTES": 10,
    # How long the door's code for a visit's console works: a few minutes.
    "CONSOLE_CODE_MINUTES": 5,
    # A guide opened from a door returns to the door's panel after this long without a touch.
    "DOOR_GUIDE_IDLE_SECONDS": 90,
    # The door's staff panel (extend, end, guides) folds after this long without a touch,
    # so a passer-by finds the sign and not the controls.
    "DOOR_PANEL_IDLE_SECONDS": 20,
    # A check-in made from the reception board can be undone with one tap this long
    # (after it, the board's "Avbryt incheckningen" asks first).
    "CHECK_IN_UNDO_SECONDS": 10,
    # Bookings (kiosk/bookings): an unclaimed booking is released this long after its start.
    "BOOKING_RELEASE_MINUTES": 10,
    # Calendar feeds: the largest feed read, how long to wait for it, and the
    # window of days (before and after today) whose bookings are kept from it.
    "FEED_MAX_BYTES": 5 * 1024 * 1024,
    "FEED_TIMEOUT_SECONDS": 10,
    "FEED_DAYS_BEFORE": 1,
    "FEED_DAYS_AHEAD": 60,
    # The whole read of one feed (connect, headers, body) within this many seconds.
    "FEED_DEADLINE_SECONDS": 30,
    # More meetings than this in a feed's window: "too many", the last good bookings stay.
    "FEED_MAX_INSTANCES": 5000,
    # Feeds read at once by one process (the timer's run and "read now" together).
    "FEED_MAX_CONCURRENT": 4,
    # Hosts ("host" or "host:port") read though they resolve to an internal address.
    "FEED_ALLOWED_HOSTS": "",
    # Warn about the routine's validity this many days before it ends (R1).
    "ROUTINE_WARN_DAYS": 60,
    # The address tablets use, for pairing links and QR codes.
    "PUBLIC_URL": None,
    # Behind a reverse proxy: how many proxies to trust for X-Forwarded-*.
    "PROXY_COUNT": 0,
    # Administrator sessions (kiosk/accounts.py).
    "ADMIN_IDLE_MINUTES": 30,
    "ADMIN_ABSOLUTE_HOURS": 12,
    # The warning before the idle deadline (WCAG 2.2.1 asks for at least 20 s).
    "ADMIN_WARN_SECONDS": 60,
    "ADMIN_PASSWORD_METHOD": "scrypt",
    "ADMIN_EVENTS_PER_PAGE": 50,
    # Event-log CSV downloads streaming at once per worker process, and per account (kiosk/admin).
    "EXPORTS_AT_ONCE": 2,
    "EXPORTS_PER_ACCOUNT": 1,
    # Abuse limits (kiosk/ratelimit.py), counted in the database.
    "LOGIN_LIMIT_PER_MINUTE": 10,
    "PAIR_LIMIT_PER_MINUTE": 10,
    # Bookings from a staff page (not logged in), per client address and hour.
    "STAFF_BOOKING_LIMIT_PER_HOUR": 10,
    # Refused claims of one visit's console code (already used, expired) before
    # the visit's claims are refused until the door shows a new code.
    "CONSOLE_CLAIM_FAILURES_PER_VISIT": 5,
    # Failed logins an hour per account *and address*: that address is locked out of that account.
    "LOGIN_FAILURES_PER_HOUR": 20,
    # Failed logins in 15 minutes per account (any address) after which the account is slowed:
    # each address may then try it once every LOGIN_SLOW_SECONDS (docs/admin.md).
    "LOGIN_SLOW_AFTER": 10,
    "LOGIN_SLOW_SECONDS": 30,
    # Retention of personal data (kiosk/retention.py).
    "RETENTION_DAYS": 14,
    "PURGE_AUTOMATICALLY": True,
}


def _normalise_db_url(url: str) -> str:
    """Route PostgreSQL URLs to psycopg 3, whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` in the documented order of precedence."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    # KIOSK_POLL_SECONDS=10 becomes POLL_SECONDS=10 (values parsed as JSON).
    app.config.from_prefixed_env("KIOSK", loads=_loads)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if test_config is not None:
        app.config.from_mapping(test_config)

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri:
        # The default database lives in instance/, which a fresh deployment may not
        # have yet (with the secret key given, nothing else would create it).
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        uri = "sqlite:///" + str(Path(app.instance_path) / "kiosk.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(uri)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    clock.use_zone(app.config["BABEL_DEFAULT_TIMEZONE"])


def _loads(value: str) -> Any:
    """Parse an environment value as JSON when it is JSON, else keep the text."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _instance_secret(instance: Path) -> str:
    """Read the generated secret key, creating it once; safe when workers race."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                return key
            import time

            time.sleep(0.02)  # another worker is writing it right now
        raise RuntimeError(f"{path} is empty: delete it and start again")
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
