"""Administrator accounts (global administrators only): create, deactivate,
a new password for a forgotten one, lift a login lock.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from sqlalchemy import select

from .. import accounts as auth
from .. import ratelimit
from ..accounts import global_required
from ..database import begin_write
from ..errors import error_response
from ..events import record
from ..extensions import db
from ..i18n import t
from ..models import ROLES, AdminUser
from ..render import render
from ..validate import FieldError
from .blueprint import address, bp, the_admin, visible_units
from .forms import AccountForm, ActiveForm


@bp.get("/accounts")
@global_required
def accounts():
    return _accounts_page()


def _accounts_page(form=None, status=200):
    users = list(db.session.scalars(select(AdminUser).order_by(AdminUser.email)))
    failures = {u.id: ratelimit.account_failures(u.email) for u in users}
    return render("admin/accounts.html", users=users, units=visible_units(the_admin()), roles=ROLES,
                  failures=failures, form=form or AccountForm(formdata=None), status=status)


@bp.post("/accounts")
@global_required
def account_create():
    """A new administrator; the generated password is shown once, here."""
    admin = the_admin()
    form = AccountForm()
    if not form.validate():
        return _accounts_page(form, 400)
    email = form.email.data
    try:
        password = auth.create_admin(email, form.role.data, form.unit.data, actor=admin.label, address=address())
    except FieldError as exc:  # the address is taken, or the unit is gone
        db.session.rollback()
        form.refuse(exc)
        return _accounts_page(form, 400)
    return render("admin/account_created.html", email=email, password=password, reset=False)


@bp.post("/accounts/<int:admin_id>/active")
@global_required
def account_active(admin_id: int):
    """Deactivate (or bring back) an account; deactivating ends its sessions at once."""
    begin_write()  # read, then write: take SQLite's write lock first
    admin = the_admin()
    user = db.session.get(AdminUser, admin_id)
    if user is None:
        abort(404)
    form = ActiveForm()
    if not form.validate():
        return form.refused()
    wanted = form.active.data == "1"
    if user.id == admin.id and not wanted:
        return error_response(409, "admin.accounts.not_self")
    if wanted != user.active:
        user.active = wanted
        if not wanted:
            auth.end_sessions_of(user.id)
        record("admin-activate" if wanted else "admin-deactivate", admin.label, address=address(),
                   unit_id=user.unit_id, account=user.id)
        db.session.commit()
    flash(t("admin.saved"), "status")
    return redirect(url_for("admin.accounts"), code=303)


@bp.post("/accounts/<int:admin_id>/unlock")
@global_required
def account_unlock(admin_id: int):
    """Forget an account's counted login failures from every address: its
    owner (or anyone) may try again at once (docs/admin.md)."""
    begin_write()  # read, then write: take SQLite's write lock first
    admin = the_admin()
    user = db.session.get(AdminUser, admin_id)
    if user is None:
        abort(404)
    cleared = ratelimit.clear_account(user.email)
    record("admin-unlock", admin.label, address=address(), unit_id=user.unit_id, account=user.id, failures=cleared)
    db.session.commit()
    flash(t("admin.accounts.unlocked", email=user.email), "status")
    return redirect(url_for("admin.accounts"), code=303)
