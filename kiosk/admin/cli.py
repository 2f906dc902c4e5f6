"""Commands: ``flask --app kiosk create-admin EMAIL`` and ``flask --app kiosk purge``.

Registered on the app itself (not on the admin blueprint, whose commands
would be ``flask admin ...``): ``kiosk/cli.py`` calls :func:`init_cli`.
"""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from .. import retention, validate
from ..accounts import create_admin
from ..extensions import db
from ..models import GLOBAL, ROLES, UNIT, Unit


def init_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--role", type=click.Choice(ROLES), default=GLOBAL, show_default=True,
                  help="global: everything; unit: one unit's rooms, tablets and statistics.")
    @click.option("--unit", "unit_slug", help="The unit (its slug) of a unit manager.")
    @click.option("--ask-password", is_flag=True,
                  help="Type the password (at least 12 characters) instead of getting a generated one.")
    def create_admin_command(email: str, role: str, unit_slug: str | None, ask_password: bool) -> None:
        """Create an administrator and print the password once."""
        unit_id = None
        if role == UNIT:
            if not unit_slug:
                raise click.UsageError("A unit manager needs --unit UNIT_SLUG.")
            unit_id = db.session.scalar(select(Unit.id).where(Unit.slug == unit_slug))
            if unit_id is None:
                raise click.ClickException(f"No unit with the slug {unit_slug!r}.")
        password = None
        if ask_password:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            password = create_admin(email, role, unit_id, password)
        except validate.FieldError as exc:
            raise click.ClickException(_explain(exc)) from None
        click.echo(f"Administrator {email.strip().lower()} created ({role}).")
        if not ask_password:
            click.echo(f"Password (shown only now): {password}")

    @app.cli.command("purge")
    def purge_command() -> None:
        """Erase clinician names and free-text reasons older than RETENTION_DAYS."""
        done = retention.purge(actor="cli")
        click.echo(f"Erased names on {done['sessions']} room session(s), {done['bookings']} booking(s) and "
                   f"{done['faults']} fault note(s), and reasons on {done['events']} event(s), older than "
                   f"{app.config['RETENTION_DAYS']} days; deleted {done['rate_hits']} old rate-limit count(s) "
                   f"and {done['admin_sessions']} old admin session(s).")


def _explain(exc: validate.FieldError) -> str:
    """The command line speaks English: the UI string of the English content."""
    from flask import current_app

    content = current_app.extensions["kiosk_content"].get("en")
    return f"{exc.field}: {content.t(exc.key, **exc.slots)}"
