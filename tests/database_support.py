"""The test database (a pytest plugin named in conftest.py): SQLite in a
temporary folder, or the PostgreSQL database named by TEST_DATABASE_URL
(``.ci/run`` runs the suite on both). Migrations build the schema once per run
(once per worker under pytest-xdist, each worker on its own database); every
test starts with empty tables."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, make_url, text

from kiosk import create_app
from kiosk.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
# "gw0", "gw1", ... under pytest-xdist; empty in a plain run.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def pytest_report_header(config):
    return f"kiosk database: {'PostgreSQL ' + _redact(TEST_DATABASE_URL) if TEST_DATABASE_URL else 'SQLite'}"


def _redact(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A database migrated to the newest schema, shared by the whole run (by one worker)."""
    if TEST_DATABASE_URL:
        url = _worker_database(TEST_DATABASE_URL)
        engine = create_engine(_psycopg(url))
        with engine.begin() as conn:
            meta = MetaData()
            meta.reflect(conn)
            meta.drop_all(conn)
        engine.dispose()
    else:
        # tmp_path_factory gives every xdist worker its own folder, so its own file.
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "kiosk.db")
    app = create_app(app_config(url, tmp_path_factory.mktemp("instance-migrate")))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    # Every test ends by disposing of its pool; were that the file's last
    # connection, SQLite would checkpoint the WAL and delete it each time
    # (1-6 ms a test). One idle connection held for the run keeps it open; it
    # counts only once it has read the database (a connection that never read
    # has not opened the WAL, and SQLite does not see it).
    keeper = None
    if url.startswith("sqlite"):
        keeper = sqlite3.connect(make_url(url).database)
        keeper.execute("SELECT count(*) FROM sqlite_master").fetchall()  # done: no read left open
    yield url
    if keeper is not None:
        keeper.close()
    if TEST_DATABASE_URL and url != TEST_DATABASE_URL:
        _drop_database(TEST_DATABASE_URL, url)


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _worker_database(url: str) -> str:
    """The PostgreSQL database of this xdist worker: TEST_DATABASE_URL's name plus
    "_gw0" etc., created on the same server (the role needs CREATEDB). Workers
    truncate tables after every test, so they cannot share one database."""
    if not WORKER:
        return url
    base = make_url(url)
    worker_url = base.set(database=f"{base.database}_{WORKER}")
    engine = create_engine(_psycopg(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": worker_url.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{worker_url.database}"'))
    engine.dispose()
    return worker_url.render_as_string(hide_password=False)


def _drop_database(admin_url: str, url: str) -> None:
    """Drop a worker's database at the end of its run, so none is left behind."""
    name = make_url(url).database
    engine = create_engine(_psycopg(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def normalise(url: str) -> str:
    from kiosk.config import _normalise_db_url

    return _normalise_db_url(url)


def app_config(url: str, instance: Path, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance),
        # A request that reads, then writes without begin_write() fails the test (kiosk/database.py).
        "SQLITE_WRITE_GUARD": True,
        **extra,
    }


def empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()
