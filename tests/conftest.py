"""Shared fixtures: the app on a migrated database, clients that speak htmx
and CSRF, factories, a live server and pairing.

The plugins named below hold the rest: the test database (database_support),
the clocks (moment), cheaper apps (speedups), Chromium and the HTML checks
(browser_support), and administrators (admin_support).
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from hypothesis import settings

from kiosk import create_app
from kiosk.extensions import db
from tests import PLUGINS
from tests.database_support import app_config, empty_tables, normalise
from tests.servers import LiveServer
from tests.speedups import speed_up

pytest_plugins = PLUGINS

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


# ---- the app and its clients ------------------------------------------------


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
        config = app_config(database_url, tmp_path, **extra)
        app = create_app(config)
        app.test_client_class = KioskClient
        speed_up(app)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            if app.config["SQLALCHEMY_DATABASE_URI"] == normalise(database_url):
                empty_tables()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The app with test settings."""
    app = make_app()
    with app.app_context():
        empty_tables()
    return app


@pytest.fixture
def client(app) -> KioskClient:
    """A browser without JavaScript, as the test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The app's command-line runner."""
    return app.test_cli_runner()


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


# ---- live server and pairing ------------------------------------------------


@pytest.fixture
def live_server(app):
    """The app served at live_server.url for the length of a test."""
    server = LiveServer(app).start()
    yield server
    server.stop()


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
