"""Vårdmöteskiosk: the routine "Digitala vårdmöten" on door tablets, reception
boards, staff pages and paper."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config
from .content import load_content
from .extensions import babel, csrf, db, htmx, migrate

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, content, extensions, blueprints, errors, CLI."""
    # The instance folder (database, secret key, caches) may live elsewhere.
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("KIOSK_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance or None)
    config.load(app, test_config)

    # Bad content stops start-up here, with every fault named (ContentError).
    app.extensions["kiosk_content"] = load_content(app.config["CONTENT_DIR"], app.config["LANGUAGES"])

    from . import database as dbsetup

    db.init_app(app)
    with app.app_context():
        dbsetup.setup_engine(db.engine, guard=bool(app.config.get("SQLITE_WRITE_GUARD")))
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    csrf.init_app(app)
    htmx.init_app(app)

    from . import assets, errors, i18n, security

    assets.init_app(app)

    babel.init_app(app, locale_selector=i18n.current_lang)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from . import models  # noqa: F401  (registers the tables with the metadata)
    from printables.views import bp as print_bp

    from .admin import bp as admin_bp
    from .checklists.views import bp as checklists_bp
    from .devicecheck.views import bp as devicecheck_bp
    from .guides.views import bp as guides_bp
    from .main.views import bp as main_bp
    from .rooms.blueprint import bp as rooms_bp
    from .rooms.blueprint import staff_bp as overview_bp
    from .search.views import bp as search_bp

    for blueprint in (main_bp, rooms_bp, checklists_bp, guides_bp, devicecheck_bp, search_bp, print_bp, admin_bp,
                      overview_bp):
        app.register_blueprint(blueprint)

    # App-wide hooks: the routine's standing on every page, the rooms' helpers
    # and error handler, the daily purge; each from the module below the features.
    from . import bookings, cli, retention, routine
    from .rooms import hooks as room_hooks
    from .rooms import stores

    app.context_processor(lambda: {"routine_status": routine.routine_status})
    room_hooks.init_app(app)
    retention.init_app(app)
    stores.init_app(app)
    cli.init_app(app)
    bookings.init_app(app)  # its error handler and `calendars sync`
    from .rooms import faults as room_faults

    room_faults.init_app(app)  # the templates' read-only fault helpers

    # Unchanged door polls are answered before Flask (see rooms/fastpoll.py).
    from .rooms.fastpoll import FastPoll

    app.wsgi_app = FastPoll(app, app.wsgi_app)  # type: ignore[method-assign]
    if app.config["PROXY_COUNT"]:
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    @app.teardown_request
    def _forget_write_flag(_exc):
        dbsetup.reset_write_flag()

    return app
