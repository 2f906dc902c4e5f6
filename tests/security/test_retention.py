"""Retention: clinician names and free-text reasons are erased after the
retention period (counts kept), by hand and daily on their own, once across
instances; and the schema holds no patient data (docs/data.md)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import String, Text, select

from kiosk import clock
from kiosk import retention
from kiosk.models import Maintenance, RateHit
from kiosk.extensions import db
from kiosk.models import Event, RoomSession
from kiosk.rooms import service
from kiosk.rooms.service import Actor

from tests.paths import ROOT
DOOR = Actor("tablet:1")


def visit(app, room_id, name="Anna Andersson", title="Sjuksköterska", force_reason=None):
    """A session with the clinician's name on it; force-ended with a reason, or finished."""
    with app.app_context():
        session = service.check_in(room_id, DOOR, name=name, title=title)
        if force_reason:
            service.force_end(room_id, Actor("admin:1", address="10.0.0.1"), force_reason)
        else:
            service.start_meeting(room_id, DOOR, skip_reason="urgent")
            service.end_meeting(room_id, DOOR)
            service.finish(room_id, DOOR, "held")
        return session.id


def names(app):
    with app.app_context():
        return [(s.clinician_name, s.clinician_title) for s in db.session.scalars(select(RoomSession).order_by(RoomSession.id))]


def force_end_details(app):
    with app.app_context():
        return [json.loads(e.detail) for e in db.session.scalars(
            select(Event).where(Event.kind == "force-ended").order_by(Event.id))]


def test_purge_erases_names_and_reasons_after_14_days_and_keeps_the_counts(app, make_room, frozen_clock):
    room_id = make_room()
    visit(app, room_id)
    visit(app, room_id, force_reason="Glömd incheckning av Anna")
    clock.advance(timedelta(days=13, hours=23))
    visit(app, room_id, name="Bo Berg", title="Läkare")  # only a day old when the others expire
    with app.app_context():
        assert retention.purge()["sessions"] == 0
    assert names(app)[0] == ("Anna Andersson", "Sjuksköterska")
    clock.advance(timedelta(hours=2))
    with app.app_context():
        done = retention.purge()
    assert (done["sessions"], done["events"]) == (2, 1)
    assert names(app) == [(None, None), (None, None), ("Bo Berg", "Läkare")]
    detail = force_end_details(app)[0]
    assert "reason" not in detail and detail["erased"] is True and detail["previous_state"] == "preparing"
    with app.app_context():  # the counts stay
        rows = db.session.scalars(select(RoomSession).order_by(RoomSession.id)).all()
        assert [(s.end_reason, s.outcome) for s in rows] == [("completed", "held"), ("force-ended", None),
                                                               ("completed", "held")]
        purge_event = db.session.scalar(select(Event).where(Event.kind == "purge"))
        assert json.loads(purge_event.detail) == {"days": 14, "events": 1, "sessions": 2}
        assert not any(retention.purge().values())  # nothing left to erase


def test_the_retention_period_is_a_setting(make_app, make_room, frozen_clock):
    app = make_app(RETENTION_DAYS=3)
    room_id = make_room()
    visit(app, room_id)
    clock.advance(timedelta(days=3, minutes=1))
    with app.app_context():
        retention.purge()
    assert names(app) == [(None, None)]


def test_the_purge_command(admin_app, make_room, frozen_clock):
    visit(admin_app, make_room())
    clock.advance(timedelta(days=15))
    result = admin_app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0 and "Erased names on 1 room session(s), 0 booking(s) and 0 fault note(s)" in result.output
    assert names(admin_app) == [(None, None)]
    assert json.loads(db_event(admin_app, "purge"))["sessions"] == 1


def db_event(app, kind):
    with app.app_context():
        return db.session.scalar(select(Event.detail).where(Event.kind == kind))


def test_purge_forgets_old_counted_attempts_and_admin_sessions(frozen_clock, admin_client, admin_app):
    # The clock is frozen before the login counts its attempt (a real-clock login is newer than FROZEN_AT).
    admin_client.form_post("/admin/logout")
    clock.advance(timedelta(days=2))
    with admin_app.app_context():
        done = retention.purge()
        assert done["rate_hits"] >= 1 and done["admin_sessions"] == 1
        assert db.session.scalar(select(RateHit.id)) is None


def last_run(app):
    with app.app_context():
        return db.session.scalar(select(Maintenance.last_run_at).where(Maintenance.name == "purge"))


def test_the_app_purges_once_a_day_by_itself(app, client, make_room, frozen_clock):
    room_id = make_room()
    visit(app, room_id)
    assert client.get("/").status_code == 200  # the first request of the day runs it
    assert last_run(app) == frozen_clock.now()
    clock.advance(timedelta(days=15))
    client.get("/about")
    assert names(app) == [(None, None)] and last_run(app) == frozen_clock.now()
    visit(app, room_id, name="Cecilia")
    clock.advance(timedelta(days=15))
    client.get("/")
    assert names(app)[-1] == (None, None)
    ran_at = last_run(app)
    clock.advance(timedelta(hours=23))
    visit(app, room_id, name="Dan")
    client.get("/")
    assert last_run(app) == ran_at  # not again the same day


def test_only_one_instance_runs_it(make_app, frozen_clock):
    """Two app objects stand for two instances: the conditional UPDATE lets one win."""
    first, second = make_app(), make_app()
    with first.app_context():
        assert retention.claim_daily_run(clock.now()) is True
    with second.app_context():
        assert retention.claim_daily_run(clock.now()) is False
    clock.advance(timedelta(days=1))
    with second.app_context():
        assert retention.claim_daily_run(clock.now()) is True
    with first.app_context():
        assert retention.claim_daily_run(clock.now()) is False


def test_polls_never_run_the_purge(app, door_client):
    with app.app_context():  # pairing the door ran it: start the day again
        db.session.query(Maintenance).delete()
        db.session.commit()
    app.extensions["kiosk_purge"]["next"] = None
    door_client.hx_get(f"/rooms/{door_client.slug}/door/poll?v=0")
    door_client.get("/healthz")
    assert last_run(app) is None
    door_client.get(f"/rooms/{door_client.slug}/door")
    assert last_run(app) is not None


def test_the_purge_can_be_left_to_a_scheduled_job(make_app):
    app = make_app(PURGE_AUTOMATICALLY=False)
    app.test_client().get("/")
    assert last_run(app) is None


# ---- no patient data in the schema ---------------------------------------------------------

# A column whose name suggests a person or free text.
SUSPICIOUS = re.compile(r"name|title|personnummer|person|ssn|phone|tel|mobile|patient|note|comment|mail|"
                        r"address|birth|text|detail|reason|description|label|message|free", re.I)
# Never allowed, whatever the documentation says.
PATIENT = re.compile(r"patient|personnummer|ssn|social_security|birth", re.I)
KINDS = {"purged", "code", "address", "thing", "account", "secret"}


def allow_list() -> dict[str, str]:
    """The documented columns of docs/data.md: `table.column` -> kind."""
    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+\.\w+)` \| (\w+) \|", text, re.M)}


def could_hold_free_text(column) -> bool:
    return isinstance(column.type, Text) or (isinstance(column.type, String) and (column.type.length or 10**6) > 64)


def test_the_schema_holds_no_patient_data(app):
    documented = allow_list()
    assert documented and set(documented.values()) <= KINDS
    flagged = {}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            where = f"{table.name}.{column.name}"
            assert not PATIENT.search(column.name), f"{where}: a column for patient data"
            if SUSPICIOUS.search(column.name) or could_hold_free_text(column):
                flagged[where] = column
    undocumented = sorted(set(flagged) - set(documented))
    assert not undocumented, (f"columns that could hold personal data but are not in docs/data.md: {undocumented}. "
                              "Document each (and erase it in kiosk/retention.py if it is personal).")
    stale = sorted(set(documented) - set(flagged) - {k for k in documented if k in _all_columns()})
    assert not stale, f"docs/data.md lists columns that do not exist: {stale}"


def _all_columns() -> set[str]:
    return {f"{t.name}.{c.name}" for t in db.metadata.sorted_tables for c in t.columns}


def test_every_purged_column_is_really_erased(app, make_room, frozen_clock):
    """Each column docs/data.md marks 'purged' is checked here; a new one needs a check."""
    room_id = make_room()
    visit(app, room_id)
    visit(app, room_id, force_reason="Fritext om något")
    with app.app_context():
        from kiosk.bookings import service as bookings
        from kiosk.models import Booking

        start = clock.now() + timedelta(hours=1)
        bookings.create(room_id, DOOR, start, start + timedelta(minutes=30), holder_name="Anna Andersson",
                        holder_title="Sjuksköterska")
        from kiosk.models import RoomFault
        from kiosk.rooms import faults

        fault = faults.report(room_id, DOOR, "camera", "Fritext om kameran", "door")
        faults.fix(fault.id, DOOR, "Fritext om åtgärden")
    clock.advance(timedelta(days=15))
    with app.app_context():
        done = retention.purge()
        assert done["bookings"] == 1 and done["faults"] == 1
        checks = {
            "booking.holder_name": lambda: db.session.scalars(select(Booking.holder_name)).all(),
            "booking.holder_title": lambda: db.session.scalars(select(Booking.holder_title)).all(),
            "room_session.clinician_name": lambda: db.session.scalars(select(RoomSession.clinician_name)).all(),
            "room_session.clinician_title": lambda: db.session.scalars(select(RoomSession.clinician_title)).all(),
            "event.detail": lambda: [d for d in db.session.scalars(select(Event.detail)) if "Fritext" in d],
            # Room health (issue 15): a fault's short text and fix note (made below, before the purge).
            "room_fault.text": lambda: db.session.scalars(select(RoomFault.text)).all(),
            "room_fault.fix_note": lambda: db.session.scalars(select(RoomFault.fix_note)).all(),
        }
        purged = sorted(k for k, kind in allow_list().items() if kind == "purged")
        assert purged == sorted(checks), "a purged column without a check here (or a check without the column)"
        for column, read in checks.items():
            assert all(value in (None, "") for value in read()) or read() == [], column
