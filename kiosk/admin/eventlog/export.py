"""The event log as CSV for an auditor, bounded so that downloads never
take the threads the door polls need."""

from __future__ import annotations

import threading
from collections import Counter

from flask import current_app, stream_with_context
from sqlalchemy import select

from ... import clock
from ...database import begin_write
from ...errors import error_response
from ...events import record
from ...extensions import db
from ...i18n import current_lang, t
from ...models import ALL_EVENT_KINDS, AdminUser, Event, Room
from .. import csvfile
from .. import stats
from ..blueprint import address, bp, the_admin
from . import EventFilter, event_filter, event_query


class ExportSlots:
    """How many event-log exports stream at once in this worker process, and
    per account: a stream holds one of the worker's threads for as long as the
    client reads (a slow or stalled reader holds it indefinitely), so without a
    bound a few downloads take every thread and the door polls wait."""

    def __init__(self):
        self._lock = threading.Lock()
        self._running: Counter[int] = Counter()

    def take(self, account_id: int):
        """Take a slot: returns its release function (safe to call more than
        once), or the UI key of the refusal (a str) when none is free (429)."""
        config = current_app.config
        with self._lock:
            if self._running[account_id] >= int(config["EXPORTS_PER_ACCOUNT"]):
                return "admin.limit.export_account"
            if sum(self._running.values()) >= int(config["EXPORTS_AT_ONCE"]):
                return "admin.limit.export_instance"
            self._running[account_id] += 1
        released = threading.Event()

        def release() -> None:
            with self._lock:
                if released.is_set():
                    return
                released.set()
                self._running[account_id] -= 1
                if self._running[account_id] <= 0:
                    del self._running[account_id]

        return release


EXPORTS = ExportSlots()


@bp.get("/events.csv")
def events_csv():
    """The filtered event log as CSV for an auditor (oldest first, every row,
    streamed); the download itself is logged. At most ``stats.MAX_DAYS``
    days, and at most EXPORTS_AT_ONCE downloads at once per worker process and
    EXPORTS_PER_ACCOUNT per account (429 beyond), so that downloads never take
    the threads the door polls need."""
    admin = the_admin()
    f, _form = event_filter(admin)
    if (f.end - f.start).days >= stats.MAX_DAYS:
        return error_response(400, "admin.stats.too_long", days=stats.MAX_DAYS)
    release = EXPORTS.take(admin.id)
    if isinstance(release, str):
        return error_response(429, release)
    try:
        response = _events_csv_response(admin, f, release)
    except BaseException:
        release()
        raise
    # The server closes every response it served, sent, failed or cut off; the
    # stream also releases the slot itself when it ends.
    response.call_on_close(release)
    return response


def _events_csv_response(admin: AdminUser, f: EventFilter, release):
    begin_write()
    record("events-export", admin.label, address=address(), unit_id=None if admin.is_global else admin.unit_id,
               **{("event_kind" if k == "kind" else k): v for k, v in f.args().items() if v})
    db.session.commit()
    lang = current_lang()
    query = event_query(admin, f).order_by(Event.at, Event.id)
    room_names = {r.id: r.name for r in db.session.scalars(select(Room))}
    names = {f"admin:{i}": email for i, email in db.session.execute(select(AdminUser.id, AdminUser.email)).all()}
    kind_name = {k: t(f"admin.events.kinds.{k}") for k in ALL_EVENT_KINDS}
    header = [t("admin.events.time"), t("admin.events.kind"), t("admin.csv.code"), t("admin.events.room"),
              t("admin.events.actor"), t("admin.csv.account"), t("admin.events.address"), t("admin.events.detail")]

    def rows():
        try:
            yield header
            for e in db.session.scalars(query.execution_options(yield_per=500)):
                yield [clock.local(e.at).isoformat(timespec="seconds"), kind_name.get(e.kind, e.kind),
                       e.kind, room_names.get(e.room_id, ""), e.actor, names.get(e.actor, ""), e.address, e.detail]
        finally:
            release()

    filename = f"{t('admin.csv.events_filename')}-{f.start.isoformat()}-{f.end.isoformat()}.csv"
    response = current_app.response_class(stream_with_context(csvfile.csv_stream(rows(), lang)),
                                          mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


