"""Fixtures shared by the admin tests (a pytest plugin named in conftest.py):
accounts, logged-in clients, and a cheap password hash (tests log in hundreds
of times; the default scrypt costs a fifth of a second each). Tests import the
helpers (log_in, events, PASSWORD), never the fixtures."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from kiosk.extensions import db

PASSWORD = "rätt häst batteri häftklammer"
CHEAP_HASH = "scrypt:1024:8:1"
_emails = itertools.count(1)


@dataclass
class Account:
    id: int
    email: str
    password: str
    unit_id: int | None


@pytest.fixture
def admin_app(app):
    """The app with a cheap password hash and the admin commands on its CLI."""
    app.config["ADMIN_PASSWORD_METHOD"] = CHEAP_HASH
    from kiosk.admin.cli import init_cli

    if "create-admin" not in app.cli.commands:
        init_cli(app)
    return app


@pytest.fixture
def make_admin(admin_app):
    """Factory: an administrator account (global, or unit manager with unit_id)."""
    from kiosk.accounts import create_admin
    from kiosk.models import AdminUser

    def factory(role: str = "global", unit_id: int | None = None, email: str | None = None,
                password: str = PASSWORD) -> Account:
        email = email or f"admin{next(_emails)}@regionhalsan.example"
        with admin_app.app_context():
            create_admin(email, role, unit_id, password)
            account_id = db.session.scalar(select(AdminUser.id).where(AdminUser.email == email))
        return Account(account_id, email, password, unit_id)

    return factory


def log_in(client, account: Account, expect: int = 303, **kw):
    """Log a test client in through the form; the CSRF token is new afterwards."""
    response = client.form_post("/admin/login", {"email": account.email, "password": account.password}, **kw)
    assert response.status_code == expect, response.get_data(as_text=True)[:2000]
    client._token = None  # the login gave the browser a new CSRF token
    return response


@pytest.fixture
def admin_client(admin_app, make_admin):
    """A browser logged in as a global administrator (.account set)."""
    client = admin_app.test_client()
    client.account = make_admin("global")
    log_in(client, client.account)
    return client


@pytest.fixture
def manager_client(admin_app, make_admin, make_unit):
    """A browser logged in as the unit manager of a new unit (.account, .unit_id set)."""
    unit_id = make_unit()
    client = admin_app.test_client()
    client.account = make_admin("unit", unit_id=unit_id)
    client.unit_id = unit_id
    log_in(client, client.account)
    return client


def events(app, kind: str | None = None):
    """The event log as (kind, actor, address, detail) tuples, oldest first."""
    from kiosk.models import Event

    with app.app_context():
        query = select(Event).order_by(Event.id)
        if kind:
            query = query.where(Event.kind == kind)
        return [(e.kind, e.actor, e.address, e.detail) for e in db.session.scalars(query)]
