"""``flask --app kiosk calendars sync [--room SLUG]``: read the rooms' calendar feeds."""

from __future__ import annotations

import click
from flask import Flask


def init_cli(app: Flask) -> None:
    @app.cli.group("calendars")
    def calendars_group() -> None:
        """Rooms' calendar feeds (bookings read from Exchange/Outlook or Google)."""

    @calendars_group.command("sync")
    @click.option("--room", "room_slug", default=None, help="Only this room (its address name).")
    def sync_command(room_slug: str | None) -> None:
        """Read every active room's feed; a feed that fails keeps its last good bookings.
        Exits 1 when any feed failed, so a systemd timer's unit shows it."""
        from . import feeds

        results = feeds.sync_all(room_slug)
        if room_slug and not results:
            raise click.ClickException(f"No calendar feed for room {room_slug!r}.")
        failed = 0
        for r in results:
            if r.ok:
                click.echo(f"room {r.room_id}: read, {r.added} added, {r.changed} changed, {r.removed} removed"
                           + (" (unchanged)" if r.unchanged_feed else ""))
            else:
                failed += 1
                click.echo(f"room {r.room_id}: not read ({r.error}); the last good bookings stay", err=True)
        click.echo(f"{len(results)} feed(s), {failed} failed.")
        if failed:
            raise SystemExit(1)
