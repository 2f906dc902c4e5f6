"""gunicorn settings for `make run` and the benchmarks (one place, so both agree).

Threads rather than many processes: a poll is short and mostly waits on the
database, and each worker process holds its own copy of the content and the
printable cache. Override with GUNICORN_CMD_ARGS (e.g. "--workers 4").

The app is built once, in the arbiter, before any worker forks (preload), and
built again there on SIGHUP (`on_reload`) while the old workers go on
answering: a new worker is a fork of a ready app and answers at once. Without
it, gunicorn stops the old workers as soon as it has forked the new ones, and
every request waits in the socket's queue while each new worker imports
WeasyPrint and reads the content (9-14 s under load in bench.load's reload).
A reload therefore reads the content again but not the code: a new release is
a restart (docs/deployment.md)."""

import multiprocessing
import os

workers = int(os.environ.get("KIOSK_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("KIOSK_THREADS", 4))
worker_class = "gthread"
preload_app = True
# A poll that cannot be answered in time is better refused than hung.
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("KIOSK_ACCESS_LOG") or None
errorlog = "-"
# gunicorn's control socket (gunicornc) defaults to one path per user
# ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl): two instances on one host
# would overwrite each other's, and a command meant for one would reach the
# other. The kiosk needs none (reload is SIGHUP), so it is off unless an
# instance is given a path of its own (docs/deployment.md).
if os.environ.get("KIOSK_CONTROL_SOCKET"):
    control_socket = os.environ["KIOSK_CONTROL_SOCKET"]
else:
    control_socket_disable = True


def on_reload(server):
    """SIGHUP: build the app again from the content as it is now, in the arbiter,
    before gunicorn forks the new workers from it. Content with a fault is not
    served: the error is logged with every fault named and the new workers
    are forks of the app that runs now."""
    from kiosk import create_app

    try:
        app = create_app()
    except Exception:  # ContentError, or a setting that no longer reads
        server.log.exception("reload: the app could not be built again; the workers keep the content they have")
        return
    server.app.callable = app
    server.log.info("reload: content version %s", app.extensions["kiosk_content"].version)


def post_fork(server, worker):
    """A worker's database connections are its own. The arbiter opens none
    today; should building the app ever read the database, its pooled
    connections are dropped here (not closed: the arbiter owns them) instead
    of being shared by every worker."""
    app = server.app.callable
    if app is None or "sqlalchemy" not in getattr(app, "extensions", {}):
        return  # not the kiosk (bench/bare.py's endpoint is served by these settings too)
    from kiosk.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
