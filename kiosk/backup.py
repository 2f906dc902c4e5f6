"""A consistent copy of the live database.

SQLite: the online backup API copies page by page while the kiosk keeps
serving, and the copy is a database as of one moment (WAL readers are not
blocked). PostgreSQL: pg_dump in its custom format (restore with pg_restore).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from .extensions import db


def backup(path: str) -> str:
    """Copy the database to ``path``; returns a line that says what was done."""
    engine = db.engine
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(engine.url.database, timeout=30)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.unlink(missing_ok=True)
        dest = sqlite3.connect(tmp)
        try:
            with dest:
                source.backup(dest, pages=1024)
            dest.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        finally:
            dest.close()
            source.close()
        check = sqlite3.connect(tmp)
        try:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise RuntimeError("the copy failed its integrity check")
        finally:
            check.close()
        os.replace(tmp, target)
        return f"SQLite database copied to {target} ({target.stat().st_size:,} bytes)"
    if engine.dialect.name == "postgresql":
        if not shutil.which("pg_dump"):
            raise RuntimeError("pg_dump is not installed (apt-get install postgresql-client)")
        url = engine.url.set(drivername="postgresql")
        subprocess.run(["pg_dump", "--format=custom", "--file", str(target),
                        url.render_as_string(hide_password=False)], check=True)
        return f"PostgreSQL database dumped to {target} (restore with pg_restore)"
    raise RuntimeError(f"no backup for {engine.dialect.name}")
