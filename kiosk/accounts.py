"""Administrator accounts, logins and sessions, and who may see what.

A login creates a new server-side session: the browser gets a random token in
a cookie, the database keeps its SHA-256. A session ends after
``ADMIN_IDLE_MINUTES`` without a person doing anything (a request whose path
ends in ``/poll`` is a machine asking, not a person, so it never counts) and
after ``ADMIN_ABSOLUTE_HOURS`` whatever happens.

The cookie is ``__Host-kiosk-admin`` (Secure, HttpOnly, SameSite=Strict,
Path=/) over https. Browsers refuse Secure and ``__Host-`` cookies over plain
http, so local development on http://127.0.0.1 gets the same cookie named
``kiosk-admin`` without Secure.

Two roles: a global administrator may do everything; a unit manager may see
and change their own unit's rooms, tablets, sessions, statistics and events.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from flask import current_app, g, redirect, request, url_for
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from . import clock, ratelimit, validate
from .database import begin_write
from .errors import KeyedError, error_response
from .events import client_address, record
from .extensions import db
from .models import GLOBAL, ROLES, UNIT, AdminSession, AdminUser, Unit
from .render import mark
from .security import host_cookie_name

PLAIN_COOKIE = "kiosk-admin"


class LoginError(KeyedError):
    """A refused login; ``key`` names the message, ``status`` the answer."""


# ---- passwords and accounts ---------------------------------------------------


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["ADMIN_PASSWORD_METHOD"])


def _dummy_hash() -> str:
    """A hash to check unknown accounts against, so they take as long as known ones."""
    cache = current_app.extensions.setdefault("kiosk_admin_dummy_hash", {})
    method = current_app.config["ADMIN_PASSWORD_METHOD"]
    if method not in cache:
        cache[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return cache[method]


def generate_password() -> str:
    """24 random URL-safe characters (144 bits)."""
    return secrets.token_urlsafe(18)


def create_admin(email: str, role: str, unit_id: int | None = None, password: str | None = None,
                 actor: str = "cli", address: str = "") -> str:
    """Create an administrator and return the password (generated when not given).

    Raises ``validate.FieldError`` for bad input (field and UI key say what).
    """
    email = validate.email("email", email)
    role = validate.choice("role", role, ROLES)
    begin_write()  # read (does the account exist?), then write
    password = validate.password("password", password) if password is not None else generate_password()
    if role == UNIT:
        if unit_id is None or db.session.get(Unit, unit_id) is None:
            raise validate.FieldError("unit", "admin.field.choice")
    else:
        unit_id = None
    if db.session.scalar(select(AdminUser.id).where(AdminUser.email == email)) is not None:
        raise validate.FieldError("email", "admin.accounts.exists")
    now = clock.now()
    user = AdminUser(email=email, password_hash=hash_password(password), role=role, unit_id=unit_id,
                     created_at=now)
    db.session.add(user)
    db.session.flush()
    record("admin-create", actor, address=address, unit_id=unit_id, account=user.id, role=role)
    db.session.commit()
    return password


class PasswordLimited(KeyedError):
    """Too many wrong current passwords for this account (answered with 429);
    ``key`` and ``slots`` name the message."""

    def __init__(self, key: str, **slots):
        super().__init__(key, 429, **slots)


def change_own_password(user: AdminUser, current: str, new: str, repeat: str, keep_session_id: int | None,
                        address: str) -> None:
    """An administrator changes their own password.

    The current password is checked like a login: a wrong one counts against
    the account's failure limit (so a left-open session cannot be used to guess
    it), and a right one is taken back. The new password must be valid, differ
    from the current one and be typed twice alike. Every other session of the
    account ends; this one goes on. Raises ``validate.FieldError`` (field and
    UI key) or ``PasswordLimited``.
    """
    try:
        _refuse_if_limited(user.email, address)
        attempts = _count_failure(user.email, address)
    except LoginError as exc:
        raise PasswordLimited(exc.key, **exc.slots) from None
    current = current or ""
    usable = len(current) <= validate.PASSWORD_MAX
    if not current or not usable or not check_password_hash(user.password_hash, current):
        begin_write()
        record("admin-password", user.label, address=address, unit_id=user.unit_id, account=user.id,
              result="wrong-password")
        db.session.commit()
        raise validate.FieldError("current", "admin.account.wrong_current")
    ratelimit.forget(*attempts)
    new = validate.password("new", new)
    if new == current:
        raise validate.FieldError("new", "admin.account.same")
    if (repeat or "") != new:
        raise validate.FieldError("repeat", "admin.account.mismatch")
    begin_write()
    _set_password(user.id, new, keep_session_id)
    record("admin-password", user.label, address=address, unit_id=user.unit_id, account=user.id, result="changed")
    db.session.commit()


def reset_password(user_id: int, actor: str, address: str) -> tuple[AdminUser, str] | None:
    """A global administrator gives another account a new generated password
    (a forgotten password). Every session of that account ends. Returns the
    account and the password (shown once), or None when there is no such account."""
    begin_write()
    user = db.session.get(AdminUser, user_id)
    if user is None:
        return None
    password = generate_password()
    _set_password(user.id, password, keep_session_id=None)
    record("admin-password", actor, address=address, unit_id=user.unit_id, account=user.id, result="reset")
    db.session.commit()
    return user, password


def _set_password(user_id: int, password: str, keep_session_id: int | None) -> None:
    """New hash; end the account's sessions except ``keep_session_id`` (inside the
    caller's write transaction; not committed)."""
    user = db.session.get(AdminUser, user_id)
    user.password_hash = hash_password(password)
    query = update(AdminSession).where(AdminSession.admin_id == user_id, AdminSession.ended_at.is_(None))
    if keep_session_id is not None:
        query = query.where(AdminSession.id != keep_session_id)
    db.session.execute(query.values(ended_at=clock.now()))


# ---- logging in and out ----------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refuse_if_limited(email: str, address: str) -> None:
    """Raise a 429 ``LoginError`` - having written nothing - when this address
    is locked out of the account, or the account is slowed and this address
    tried it less than LOGIN_SLOW_SECONDS ago (the policy: docs/admin.md)."""
    pair = (email, address)
    if ratelimit.over(ratelimit.LOGIN_LOCK, pair):
        raise LoginError("admin.login.limited", 429)
    if ratelimit.over(ratelimit.LOGIN_ACCOUNT, email):
        last = ratelimit.latest(ratelimit.LOGIN_LOCK, pair)
        pause = timedelta(seconds=int(current_app.config["LOGIN_SLOW_SECONDS"]))
        if last is not None and clock.now() < last + pause:
            wait = last + pause - clock.now()
            raise LoginError("admin.login.slowed", 429, seconds=max(1, math.ceil(wait.total_seconds())))


def _count_failure(email: str, address: str) -> tuple[int, ...]:
    """Count this attempt as a failure of the account from this address, before
    the password is checked, so that racing guesses see each other (the caller
    takes the rows back when the password is right); returns the rows."""
    failures, lock_row = ratelimit.hit(ratelimit.LOGIN_LOCK, (email, address))
    if failures > ratelimit.LOGIN_LOCK.most:  # a racing attempt took the last one
        ratelimit.forget(lock_row)
        raise LoginError("admin.login.limited", 429)
    _slow, account_row = ratelimit.hit(ratelimit.LOGIN_ACCOUNT, email)
    return lock_row, account_row


def login(raw_email: str, raw_password: str, address: str) -> tuple[AdminUser, str]:
    """Check a login within the limits; return the account and a new session token.

    The address limit counts every attempt; the account's limits count
    failures (an attempt is counted first and taken back when the password was
    right). Every limit is checked before anything is counted, so a refused
    attempt writes nothing.
    """
    if ratelimit.over(ratelimit.LOGIN_ADDRESS, address):
        raise LoginError("admin.login.limited", 429)
    email = (raw_email or "").strip().lower()[: validate.EMAIL_MAX + 1]
    password = raw_password or ""
    if not email or not password:
        raise LoginError("admin.login.missing")
    _refuse_if_limited(email, address)
    if not ratelimit.allow(ratelimit.LOGIN_ADDRESS, address):
        raise LoginError("admin.login.limited", 429)
    attempts = _count_failure(email, address)
    user = db.session.scalar(select(AdminUser).where(AdminUser.email == email))
    # Too long a password is checked against the dummy hash: the same time, never a match.
    usable = len(password) <= validate.PASSWORD_MAX
    matches = check_password_hash(user.password_hash if user and usable else _dummy_hash(),
                                  password if usable else "")
    if user is None or not user.active or not matches or not usable:
        result = "unknown-account" if user is None else ("inactive" if not user.active else "wrong-password")
        label, unit_id = (user.label, user.unit_id) if user else ("anonymous", None)
        begin_write()
        record("admin-login-failed", label, address=address, unit_id=unit_id, result=result)
        db.session.commit()
        raise LoginError("admin.login.failed")
    ratelimit.forget(*attempts)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    begin_write()
    user = db.session.get(AdminUser, user.id)
    db.session.add(AdminSession(token_hash=_hash(token), admin_id=user.id, created_at=now, last_active_at=now))
    user.last_login_at = now
    record("admin-login", user.label, address=address, unit_id=user.unit_id)
    db.session.commit()
    return user, token


def logout() -> None:
    """End this browser's session (the cookie is removed by the caller)."""
    session = g.get("admin_session")
    if session is None:
        return
    begin_write()
    now = clock.now()
    db.session.execute(update(AdminSession).where(AdminSession.id == session.id).values(ended_at=now))
    record("admin-logout", session.admin.label, address=client_address(), unit_id=session.admin.unit_id)
    db.session.commit()


def cookie_name() -> str:
    return host_cookie_name(PLAIN_COOKIE)


def set_session_cookie(response, token: str) -> None:
    """The session cookie: gone when the browser closes; the server enforces expiry."""
    response.set_cookie(cookie_name(), token, httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/")


def clear_session_cookie(response) -> None:
    response.delete_cookie(cookie_name(), httponly=True, samesite="Strict", secure=request.is_secure, path="/")


# ---- the current administrator ------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    idle: datetime
    absolute: datetime

    @property
    def first(self) -> datetime:
        return min(self.idle, self.absolute)


def deadlines(session: AdminSession) -> Deadlines:
    config = current_app.config
    return Deadlines(idle=session.last_active_at + timedelta(minutes=float(config["ADMIN_IDLE_MINUTES"])),
                     absolute=session.created_at + timedelta(hours=float(config["ADMIN_ABSOLUTE_HOURS"])))


def is_user_action() -> bool:
    """A person did something: anything but a poll (tablets and scripts poll)."""
    return not request.path.rstrip("/").endswith("/poll")


def current_admin() -> AdminUser | None:
    """The administrator of this request, or None (no, ended or expired session).

    A request that is a person's action moves the idle deadline on; call this
    before making changes of your own (touching the session commits).
    """
    if "admin" in g:
        return g.admin
    g.admin = None
    g.admin_session = None
    token = request.cookies.get(cookie_name())
    if not token or len(token) > 100:
        return None
    session = db.session.scalar(select(AdminSession).where(AdminSession.token_hash == _hash(token)))
    if session is None or session.ended_at is not None:
        return None
    now = clock.now()
    limits = deadlines(session)
    if now >= limits.first or not session.admin.active:
        g.admin_expired = True
        begin_write()
        db.session.execute(update(AdminSession).where(AdminSession.id == session.id, AdminSession.ended_at.is_(None))
                           .values(ended_at=min(now, limits.first)))
        db.session.commit()
        return None
    if is_user_action():
        begin_write()
        db.session.execute(update(AdminSession).where(AdminSession.id == session.id).values(last_active_at=now))
        db.session.commit()
        session = db.session.get(AdminSession, session.id)
    g.admin_session = session
    g.admin = session.admin
    return g.admin


def current_deadlines() -> Deadlines | None:
    session = g.get("admin_session")
    return deadlines(session) if session is not None else None


def may_see_unit(admin: AdminUser | None, unit_id: int | None) -> bool:
    """May this administrator see (and manage) the unit? Global ones see every unit."""
    if admin is None or not admin.active:
        return False
    return admin.role == GLOBAL or (unit_id is not None and admin.unit_id == unit_id)


def end_sessions_of(admin_id: int) -> None:
    """End every open session of an account (it was deactivated)."""
    db.session.execute(update(AdminSession).where(AdminSession.admin_id == admin_id,
                                                  AdminSession.ended_at.is_(None)).values(ended_at=clock.now()))


# ---- guards for views ---------------------------------------------------------------------


def safe_next(raw: str | None) -> str | None:
    """Where to go after login: only a path of our own admin pages (no open redirect)."""
    value = (raw or "").strip()
    if (value.startswith("/admin") and "//" not in value and "\\" not in value and len(value) <= 300
            and all(32 < ord(ch) < 127 for ch in value)):
        return value
    return None


def login_redirect():
    """Send a browser without a session to the login page (htmx: a full-page redirect)."""
    target = url_for("admin.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if request.headers.get("HX-Request") == "true":
        return mark(current_app.response_class(status=204), htmx_redirect=target)
    return redirect(target, code=303)


def global_required(view):
    """Only a global administrator (a unit manager gets 403)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        admin = current_admin()
        if admin is None:
            return login_redirect()
        if not admin.is_global:
            return error_response(403, "admin.error.global_only")
        return view(*args, **kwargs)

    return wrapper
