"""Command-line tasks: ``flask --app kiosk <command>``."""

from __future__ import annotations

import subprocess

import click
from flask import Flask
from sqlalchemy import func, select

from .database import begin_write
from .extensions import db
from .models import Room, Unit

DEMO_UNIT = ("Regionhälsan demomottagning", "demo")
DEMO_ROOMS = (("Videorum 1", "videorum-1"), ("Videorum 2", "videorum-2"), ("Videorum 3", "videorum-3"))


def seed_demo() -> bool:
    """Create the demo unit and its three rooms; False if the database has rooms."""
    begin_write()
    if db.session.scalar(select(func.count()).select_from(Room)):
        db.session.rollback()
        return False
    unit = Unit(name=DEMO_UNIT[0], slug=DEMO_UNIT[1])
    db.session.add(unit)
    for i, (name, slug) in enumerate(DEMO_ROOMS, start=1):
        db.session.add(Room(unit=unit, name=name, slug=slug, location=f"Plan 2, korridor B, rum {200 + i}"))
    db.session.commit()
    return True


def init_app(app: Flask) -> None:
    from .admin.cli import init_cli as init_admin_cli

    init_admin_cli(app)  # create-admin, purge
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no rooms yet.")
    def seed_demo_command(if_empty: bool) -> None:
        """Load the demo unit with Videorum 1-3."""
        created = seed_demo()
        if created:
            from .rooms import pairing

            click.echo("Demo data loaded: Videorum 1, Videorum 2, Videorum 3.")
            click.echo(f"One-time pairing codes (valid {app.config['PAIRING_CODE_MINUTES']} minutes; "
                       "new ones: flask --app kiosk pair ROOM_SLUG):")
            unit = db.session.scalar(select(Unit).where(Unit.slug == DEMO_UNIT[1]))
            for room in unit.rooms:
                code = pairing.new_code("door", unit, room, actor="seed-demo")
                click.echo(f"  door of {room.name}: {pairing.pairing_url(code)}")
            code = pairing.new_code("board", unit, None, actor="seed-demo")
            click.echo(f"  reception board: {pairing.pairing_url(code)}")
            from .accounts import create_admin

            email = "demo@regionhalsan.example"
            password = create_admin(email, "global", actor="seed-demo")
            click.echo(f"Demo administrator (shown once): {email} / {password}  -> /admin/login")
        elif not if_empty:
            raise click.ClickException("The database already has rooms; nothing loaded.")

    @app.cli.command("pair")
    @click.argument("target")
    @click.option("--board", is_flag=True, help="TARGET is a unit: pair a reception board for it.")
    @click.option("--console", is_flag=True, help="Pair the computer in room TARGET as its console.")
    def pair_command(target: str, board: bool, console: bool) -> None:
        """Print a one-time code that pairs a tablet with room TARGET (or unit, with --board;
        or the room's computer as its console, with --console)."""
        from .rooms import pairing

        if board and console:
            raise click.ClickException("Choose --board or --console, not both.")
        if board:
            unit = db.session.scalar(select(Unit).where(Unit.slug == target))
            if unit is None:
                raise click.ClickException(f"No unit with the slug {target!r}.")
            code = pairing.new_code("board", unit, None, actor="cli")
            what = f"the reception board of {unit.name}"
        else:
            room = db.session.scalar(select(Room).where(Room.slug == target))
            if room is None:
                raise click.ClickException(f"No room with the slug {target!r}.")
            kind = "console" if console else "door"
            code = pairing.new_code(kind, room.unit, room, actor="cli")
            what = f"the console of {room.name}" if console else f"the door of {room.name}"
        minutes = app.config["PAIRING_CODE_MINUTES"]
        click.echo(f"Pairing code for {what}: {pairing.format_code(code)}")
        click.echo(f"Open on the tablet: {pairing.pairing_url(code)}")
        click.echo(f"The code works once and expires in {minutes} minutes.")

    @app.cli.command("release-expired")
    def release_expired_command() -> None:
        """Free every room whose session passed MAX_SESSION_HOURS (recorded as automatic)."""
        from .rooms import service

        click.echo(f"Released {service.release_all_expired()} room(s).")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def backup_command(path: str) -> None:
        """Write a consistent copy of the live database to PATH (SQLite; pg_dump for PostgreSQL)."""
        from .backup import backup

        try:
            click.echo(backup(path))
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            raise click.ClickException(str(exc)) from None

    @app.cli.group("content")
    def content_group() -> None:
        """The content files."""

    @content_group.command("check")
    @click.argument("directory", required=False, type=click.Path(file_okay=False, exists=True))
    def content_check(directory: str | None) -> None:
        """Check a content folder (default: the one in use) and print its version."""
        from .content import ContentError, load_content

        try:
            store = load_content(directory or app.config["CONTENT_DIR"], app.config["LANGUAGES"])
        except ContentError as exc:
            raise click.ClickException(str(exc)) from None
        for lang, c in store.languages.items():
            served = c.requirements()
            missing = [f"R{n}" for n in range(1, 42) if f"R{n}" not in served]
            click.echo(f"{lang}: {len(c.checklists)} checklists, {len(c.guides)} guides, "
                       f"requirements not served: {', '.join(missing) or 'none'}")
        click.echo(f"content version {store.version}")
