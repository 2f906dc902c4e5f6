"""Shared fixtures: the app on a migrated database, clients that speak htmx
and CSRF, factories, a frozen clock, a live server and a real Chromium.

The database is SQLite in a temporary folder, or the PostgreSQL database named
by TEST_DATABASE_URL (``.ci/run`` runs the suite on both). Migrations build the
schema once per run (once per worker under pytest-xdist, each worker on its own
database); every test starts with empty tables.
"""

from __future__ import annotations

import os
import re
import sqlite3
import socket
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import settings
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from sqlalchemy import MetaData, create_engine, make_url, text
from werkzeug.serving import make_server

from kiosk import clock, create_app
from kiosk.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
# "gw0", "gw1", ... under pytest-xdist; empty in a plain run.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# Thursday 26 November 2026, 10:00 in Stockholm: a working morning.
FROZEN_AT = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


# ---- cheaper apps ------------------------------------------------------------
# Every test builds its own app (its config is its own), and two costs of a new
# app are the same work done again each time: Werkzeug compiles a URL builder
# for each of ~80 rules (Python source through ast and compile()), and Jinja
# compiles each template the app renders for the first time. Both results depend
# only on the rule or the template source, so the worker keeps them: a test
# still gets a new app, map and Jinja environment, with the same code in them.


class _TemplateBytecode(BytecodeCache):
    """Jinja's compiled templates, kept in memory for the worker's apps: the code
    objects themselves (immutable, so every app may run the same one), not
    marshalled bytes to read again. Keyed with a checksum of the template
    source, so an edited template compiles anew."""

    def __init__(self):
        self._store: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket) -> None:
        found = self._store.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket) -> None:
        self._store[bucket.key] = (bucket.checksum, bucket.code)


TEMPLATE_BYTECODE = _TemplateBytecode()


def _cache_url_builders() -> None:
    """Reuse Werkzeug's compiled URL builder of a rule for every later app.

    The builder is a function of the rule's parsed parts, its defaults and
    whether unknown arguments are appended; it reaches the rule's converters
    through its first argument (the rule it is bound to), so one function
    serves every app's copy of the rule."""
    from werkzeug.routing.rules import Rule

    original = Rule._compile_builder
    if getattr(original, "kiosk_cached", False):
        return
    builders: dict = {}

    def compile_builder(self, append_unknown: bool = True):
        try:
            key = (append_unknown, self.rule, self.subdomain, self.host, self.merge_slashes,
                   tuple(self._trace), repr(sorted((self.defaults or {}).items())))
            hash(key)
        except TypeError:
            return original(self, append_unknown)
        found = builders.get(key)
        if found is None:
            found = builders[key] = original(self, append_unknown)
        return found

    compile_builder.kiosk_cached = True
    Rule._compile_builder = compile_builder


_cache_url_builders()


def _cache_rule_parsing() -> None:
    """Parse each URL rule once for every later app of the worker.

    Each test's app registers its ~110 rules again and Werkzeug parses every
    one (regular expressions, weights): about 40 ms an app, a fifth of a test.
    A rule's parse depends only on its text, host/subdomain and the map's
    converter classes; the converters themselves are made new for each map."""
    from werkzeug.routing.rules import Rule

    original = Rule.compile
    if getattr(original, "kiosk_cached", False):
        return
    parsed: dict = {}

    def compile_rule(self) -> None:
        key = (self.rule, self.host, self.subdomain, self.merge_slashes, self.map.host_matching,
               frozenset(self.map.converters.items()))
        found = parsed.get(key)
        if found is None:
            calls: list = []
            make = self.get_converter

            def recording(variable, name, args, kwargs):
                calls.append((variable, name, args, dict(kwargs)))
                return make(variable, name, args, kwargs)

            self.get_converter = recording
            try:
                original(self)
            finally:
                del self.get_converter
            parsed[key] = (list(self._parts), list(self._trace), calls)
            return
        parts, trace, calls = found
        self._parts, self._trace, self._converters = list(parts), list(trace), {}
        for variable, name, args, kwargs in calls:
            self._converters[variable] = self.get_converter(variable, name, args, kwargs)
            self.arguments.add(variable)
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    compile_rule.kiosk_cached = True
    Rule.compile = compile_rule


_cache_rule_parsing()


def _share_engines() -> None:
    """One SQLAlchemy engine per database (and write-guard setting) for the worker's apps.

    An engine keeps the SQL it compiled for each statement (its compiled cache);
    a new engine per test compiled every query again. The apps of a worker use
    the same database, so they share its engine, set up once (kiosk/database.py's
    listeners); each test still ends by emptying the tables and disposing of the
    pool, so no connection outlives the test that opened it."""
    from flask_sqlalchemy import SQLAlchemy

    from kiosk import database

    original_make, original_setup = SQLAlchemy._make_engine, database.setup_engine
    if getattr(original_make, "kiosk_shared", False):
        return
    engines: dict = {}
    ready: set[int] = set()

    def make_engine(self, bind_key, options, app):
        key = (bind_key, repr(sorted(options.items(), key=lambda kv: kv[0])),
               bool(app.config.get("SQLITE_WRITE_GUARD")))
        if key not in engines:
            engines[key] = original_make(self, bind_key, options, app)
        return engines[key]

    def setup_engine(engine, guard: bool = False) -> None:
        if id(engine) in ready:
            return
        ready.add(id(engine))
        original_setup(engine, guard=guard)

    make_engine.kiosk_shared = True
    SQLAlchemy._make_engine = make_engine
    database.setup_engine = setup_engine


_share_engines()


# Hypothesis tests run 30 examples each; `make test-fast` (the quick loop, and
# CI's runs at moved dates) asks for the "fast" profile: 10 of the same
# derandomized sequence.
settings.register_profile("kiosk", max_examples=30)
settings.register_profile("fast", max_examples=10)
settings.load_profile("kiosk")


def pytest_collection_modifyitems(config, items):
    """A serial test (it runs alone, after the parallel run) must also be slow:
    `make test-fast` runs no serial step, so a fast serial test would never run there."""
    fast_serial = [item.nodeid for item in items
                   if item.get_closest_marker("serial") and not item.get_closest_marker("slow")]
    if fast_serial:
        raise pytest.UsageError("tests marked serial must also be marked slow: " + ", ".join(fast_serial))


def pytest_report_header(config):
    return f"kiosk database: {'PostgreSQL ' + _redact(TEST_DATABASE_URL) if TEST_DATABASE_URL else 'SQLite'}"


def _redact(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


# ---- database and app ------------------------------------------------------


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
    app = create_app(_test_config(url, tmp_path_factory.mktemp("instance-migrate")))
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


def _normalise(url: str) -> str:
    from kiosk.config import _normalise_db_url

    return _normalise_db_url(url)


def _test_config(url: str, instance: Path, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance),
        # A request that reads, then writes without begin_write() fails the test (kiosk/database.py).
        "SQLITE_WRITE_GUARD": True,
        **extra,
    }


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


class KioskClient(FlaskClient):
    """A test client that knows the page's CSRF token and speaks htmx."""

    _token: str | None = None

    def csrf_token(self) -> str:
        """The CSRF token the pages of this browser session carry."""
        if self._token is None:
            html = self.get("/").get_data(as_text=True)
            match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
            assert match, "no CSRF token in the page"
            self._token = match.group(1)
        return self._token

    def hx_get(self, url: str, **kw):
        """GET as htmx does (fragment wanted)."""
        headers = {"HX-Request": "true", **kw.pop("headers", {})}
        return self.get(url, headers=headers, **kw)

    def hx_post(self, url: str, data=None, csrf: bool = True, **kw):
        """POST as htmx does: the CSRF token in the header from <body hx-headers>."""
        headers = {"HX-Request": "true", **kw.pop("headers", {})}
        if csrf:
            headers["X-CSRFToken"] = self.csrf_token()
        return self.post(url, data=data or {}, headers=headers, **kw)

    def form_post(self, url: str, data=None, **kw):
        """POST as a plain HTML form does (no JavaScript)."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kw)


@pytest.fixture
def make_app(database_url, tmp_path, _clock_first):
    """Factory: an app on the test database with extra config; tables emptied after."""
    apps = []

    def factory(**extra):
        config = _test_config(database_url, tmp_path, **extra)
        app = create_app(config)
        app.test_client_class = KioskClient
        app.jinja_env.bytecode_cache = TEMPLATE_BYTECODE
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            if app.config["SQLALCHEMY_DATABASE_URI"] == _normalise(database_url):
                _empty_tables()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The app with test settings."""
    app = make_app()
    with app.app_context():
        _empty_tables()
    return app


@pytest.fixture
def client(app) -> KioskClient:
    """A browser without JavaScript, as the test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The app's command-line runner."""
    return app.test_cli_runner()


@pytest.fixture(autouse=True)
def _real_clock_after():
    """Every test starts and ends with the real clock."""
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def frozen_clock(_real_clock_after):
    """The clock stopped at FROZEN_AT; move it with clock.advance()."""
    clock.freeze(FROZEN_AT)
    return clock


@pytest.fixture
def _clock_first(request):
    """A test that freezes the clock has it frozen before any fixture writes a time.

    Every fixture that logs in, pairs, stamps or counts builds on make_app, which
    depends on this. Without it, a fixture listed before frozen_clock logs in on
    the real clock, and the frozen clock then lies before the login: "two days
    later" is still in the past on any day after FROZEN_AT.
    """
    if "frozen_clock" in request.fixturenames:
        request.getfixturevalue("frozen_clock")


# ---- factories -------------------------------------------------------------


@pytest.fixture
def make_unit(app):
    """Factory: a unit (care unit)."""
    from kiosk.models import Unit

    counter = iter(range(1, 10_000))

    def factory(**overrides):
        n = next(counter)
        with app.app_context():
            unit = Unit(**{"name": f"Mottagning {n}", "slug": f"mottagning-{n}", **overrides})
            db.session.add(unit)
            db.session.commit()
            return unit.id

    return factory


@pytest.fixture
def make_room(app, make_unit):
    """Factory: a room (in a new unit unless unit_id is given); returns its id."""
    from kiosk.models import Room

    counter = iter(range(1, 10_000))

    def factory(**overrides):
        n = next(counter)
        with app.app_context():
            if "unit_id" not in overrides:
                overrides["unit_id"] = make_unit()
            room = Room(**{"name": f"Videorum {n}", "slug": f"videorum-{n}", **overrides})
            db.session.add(room)
            db.session.commit()
            return room.id

    return factory


@pytest.fixture
def ctx(app, frozen_clock):
    """An app context with the clock frozen (service-level tests)."""
    with app.app_context():
        yield


@pytest.fixture
def room(ctx, make_room):
    """A room of a new unit, inside ``ctx``."""
    return make_room()


# ---- live server and browser -----------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# How often a test's server thread looks for shutdown(): socketserver's default
# (0.5 s) made every test that served HTTP wait up to half a second at its end.
SHUTDOWN_POLL = 0.01


class LiveServer:
    """The app served on a loopback port in a thread of the test process, so a
    test can move the clock under it, stop it and start it again.

    Stopping waits for the requests in flight and answers any later request
    (a page left open, on a kept-alive connection) with 503 without running the
    app: the test's teardown empties the tables next, and on PostgreSQL a poll
    still inside its transaction would deadlock with the TRUNCATE."""

    def __init__(self, app, port: int | None = None):
        self.app = app
        # Port 0: the OS picks a free one at the first start (no race with other
        # xdist workers between choosing a port and binding it); a restart reuses it.
        self.port = port or 0
        self._server = None
        self._thread = None
        self._busy = threading.Condition()
        self._in_flight = 0
        self._stopped = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self, environ, start_response):
        with self._busy:
            if self._stopped:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"the test server has stopped"]
            self._in_flight += 1
        try:
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]  # the whole answer inside the count
            finally:
                if hasattr(body, "close"):
                    body.close()
        finally:
            with self._busy:
                self._in_flight -= 1
                self._busy.notify_all()

    def start(self) -> LiveServer:
        with self._busy:
            self._stopped = False
        self._server = make_server("127.0.0.1", self.port, self._serve, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, args=(SHUTDOWN_POLL,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            with self._busy:
                self._stopped = True
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None
            with self._busy:
                self._busy.wait_for(lambda: self._in_flight == 0, timeout=30)


@pytest.fixture
def live_server(app):
    """The app served at live_server.url for the length of a test."""
    server = LiveServer(app).start()
    yield server
    server.stop()


pytest_plugins = ["tests.browser_support", "tests.admin_support"]


@pytest.fixture
def new_pairing_code(app):
    """Factory: a one-time pairing code for a room's door (or, with unit_id, a board)."""
    from kiosk.models import Room, Unit
    from kiosk.rooms import pairing

    def factory(room_id: int | None = None, unit_id: int | None = None) -> str:
        with app.app_context():
            if room_id is not None:
                room = db.session.get(Room, room_id)
                return pairing.new_code("door", room.unit, room, actor="test")
            return pairing.new_code("board", db.session.get(Unit, unit_id), None, actor="test")

    return factory


@pytest.fixture
def pair(new_pairing_code):
    """Factory: pair a test client as the door tablet of a room (or a unit's board)."""

    def factory(client, room_id: int | None = None, unit_id: int | None = None):
        code = new_pairing_code(room_id=room_id, unit_id=unit_id)
        response = client.form_post("/pair", {"code": code})
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return factory


@pytest.fixture
def door_client(app, make_room, pair):
    """A test client paired as the door tablet of a fresh room; .room_id, .slug set."""
    from kiosk.models import Room

    room_id = make_room()
    client = pair(app.test_client(), room_id=room_id)
    with app.app_context():
        client.slug = db.session.get(Room, room_id).slug
    client.room_id = room_id
    return client
