"""Logging in and out, the session's deadlines, the start page and my own
account (its password).
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask import session as flask_session
from sqlalchemy import select

from .. import accounts as auth
from .. import clock, retention
from ..accounts import current_admin, global_required
from ..errors import error_response
from ..extensions import db
from ..i18n import content, t
from ..models import AdminUser, Maintenance
from ..render import render
from ..routine import routine_status
from ..validate import FieldError
from .blueprint import address, bp, the_admin
from .forms import LoginForm, PasswordForm


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; a good login starts a new session and goes on to the admin pages."""
    next_url = auth.safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_admin() is not None:
            return redirect(next_url or url_for("admin.index"), code=303)
        return render("admin/login.html", form=LoginForm(formdata=None), next_url=next_url,
                      expired=bool(g.get("admin_expired")))
    form = LoginForm()
    try:
        _user, token = auth.login(form.email.data, form.password.data, address())
    except auth.LoginError as exc:
        db.session.rollback()
        form.refuse(exc)
        return render("admin/login.html", form=form, next_url=next_url, expired=False, status=exc.status)
    # A new CSRF token for the new session (a token seen before login is not reused).
    flask_session.pop("csrf_token", None)
    response = redirect(next_url or url_for("admin.index"), code=303)
    auth.set_session_cookie(response, token)
    return response


@bp.post("/logout")
def logout():
    auth.logout()
    flash(t("admin.login.logged_out"), "status")
    response = redirect(url_for("admin.login"), code=303)
    auth.clear_session_cookie(response)
    return response


def _session_json(admin: AdminUser | None):
    """What admin.js needs: is the session alive, and when does it end."""
    limits = auth.current_deadlines() if admin is not None else None
    now = clock.now()
    if limits is None:
        return jsonify(active=False, now=_ms(now), login_url=url_for("admin.login"))
    return jsonify(active=True, now=_ms(now), idle=_ms(limits.idle), absolute=_ms(limits.absolute),
                   warn=int(current_app.config["ADMIN_WARN_SECONDS"]) * 1000)


def _ms(value) -> int:
    return int(value.timestamp() * 1000)


@bp.get("/session/poll")
def session_status():
    """The session's deadlines; a poll, so it does not count as an action."""
    return _session_json(current_admin())


@bp.post("/session/extend")
def session_extend():
    """"Continue": a person's action, which moves the idle deadline on."""
    return _session_json(current_admin())


@bp.get("/")
def index():
    """Who is logged in, the content version and the routine's validity (R1)."""

    doc = content().document
    last_purge = db.session.scalar(select(Maintenance.last_run_at).where(
        Maintenance.name == retention.JOB))
    from ..bookings import feeds

    admin = the_admin()
    failing = [f for f in feeds.failing(clock.now()) if auth.may_see_unit(admin, f.room.unit_id)]
    return render("admin/index.html", routine_state=routine_status(), doc=doc, last_purge=last_purge,
                  retention_days=current_app.config["RETENTION_DAYS"], failing_feeds=failing)


@bp.get("/account")
def account():
    """The signed-in administrator's own account: who, which role, a new password."""
    return _account_page()


def _account_page(form=None, status=200):
    return render("admin/account.html", user=the_admin(), form=form or PasswordForm(formdata=None), status=status)


@bp.post("/account/password")
def account_password():
    """Change my own password (the current one first); my other sessions end."""
    admin = the_admin()
    session = g.get("admin_session")
    form = PasswordForm()
    try:
        auth.change_own_password(admin, form.current.data, form.new.data, form.repeat.data,
                                 session.id if session is not None else None, address())
    except auth.PasswordLimited as exc:
        db.session.rollback()
        form.refuse(exc, "current")
        return _account_page(form, 429)
    except FieldError as exc:
        db.session.rollback()
        form.refuse(exc)
        return _account_page(form, 400)
    flash(t("admin.account.changed"), "status")
    return redirect(url_for("admin.account"), code=303)


@bp.post("/accounts/<int:admin_id>/password")
@global_required
def account_reset(admin_id: int):
    """A new generated password for another account, shown once; its sessions end."""
    admin = the_admin()
    if admin_id == admin.id:
        return error_response(409, "admin.accounts.reset_self")
    result = auth.reset_password(admin_id, admin.label, address())
    if result is None:
        abort(404)
    user, password = result
    return render("admin/account_created.html", email=user.email, password=password, reset=True)
