"""gunicorn settings for `make run` and the benchmarks (one place, so both agree).

Threads rather than many processes: a poll is short and mostly waits on the
database, and each worker process holds its own copy of the content and the
printable cache. Override with GUNICORN_CMD_ARGS (e.g. "--workers 4")."""

import multiprocessing
import os

workers = int(os.environ.get("KIOSK_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("KIOSK_THREADS", 4))
worker_class = "gthread"
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
