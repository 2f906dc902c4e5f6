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
    @click.option("--accept-smaller", is_flag=True,
                  help="Store a feed that reads as much smaller than before (checked by a person), "
                       "cancelling what is missing.")
    def sync_command(room_slug: str | None, accept_smaller: bool) -> None:
        """Read every active room's feed (several at once); a feed that fails keeps its
        last good bookings. Exits 1 when any feed failed, so a systemd timer's unit shows
        it (the timer's unit runs the release whatever this exits with)."""
        from . import feeds

        results = feeds.sync_all(room_slug, accept_smaller=accept_smaller)
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
