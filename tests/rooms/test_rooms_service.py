"""The room state machine: every transition, every refusal, the automatic
release, and the event log behind them."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import ChecklistTick, Event, Room, RoomSession
from kiosk.rooms import service
from kiosk.rooms.service import Actor, BadInput, RoomError, RoomTaken

WHO = Actor("tablet:test")



def state(room_id):
    db.session.expire_all()
    room = db.session.get(Room, room_id)
    return service.state_of(room, service.open_session(room_id))


def events(room_id):
    return [e.kind for e in db.session.scalars(select(Event).where(Event.room_id == room_id).order_by(Event.id))]


def tick_all(room_id):
    for checklist, item in sorted(service.readiness_keys()):
        service.tick(room_id, WHO, checklist, item)


def test_a_new_room_is_free(room):
    assert state(room).state == "free"


def test_whole_visit_free_preparing_meeting_wrapup_free(room):
    v0 = state(room).room.version
    service.check_in(room, WHO, minutes=30)
    assert state(room).state == "preparing"
    tick_all(room)
    s = state(room)
    assert s.state == "meeting"
    assert s.session.checklist_result == "complete" and s.session.skip_reason is None
    assert s.session.expected_end == clock.now() + timedelta(minutes=30)
    service.end_meeting(room, WHO)
    assert state(room).state == "wrapup"
    service.finish(room, WHO, "held")
    s = state(room)
    assert s.state == "free" and s.room.version > v0
    closed = db.session.scalar(select(RoomSession).where(RoomSession.room_id == room))
    assert (closed.end_reason, closed.outcome, closed.state) == ("completed", "held", "closed")
    assert events(room) == ["check-in", "start", "end", "finish"]


def test_each_tick_is_stored_and_untick_removes_it(room):
    service.check_in(room, WHO)
    first = sorted(service.readiness_keys())[0]
    service.tick(room, WHO, *first)
    service.tick(room, WHO, *first)  # twice is once
    assert db.session.query(ChecklistTick).count() == 1
    service.tick(room, WHO, *first, on=False)
    assert db.session.query(ChecklistTick).count() == 0
    assert state(room).state == "preparing"


def test_an_item_may_be_marked_does_not_apply_only_where_the_content_allows(room):
    service.check_in(room, WHO)
    service.tick(room, WHO, "identity", "proxy", state="na")
    service.tick(room, WHO, "identity", "proxy", state="na")  # twice is once
    session = state(room).session
    assert service.marks(session) == {("identity", "proxy"): "na"} and service.ticks(session) == {("identity", "proxy")}
    service.tick(room, WHO, "identity", "proxy")  # ticked now
    assert service.marks(state(room).session) == {("identity", "proxy"): "done"}
    readiness = sorted(service.readiness_keys())[0]
    for checklist, item, bad_state in ((*readiness, "na"), ("identity", "proxy", "maybe")):
        with pytest.raises(BadInput, match="bad_item"):
            service.tick(room, WHO, checklist, item, state=bad_state)
    assert db.session.query(ChecklistTick).count() == 1


def test_start_needs_a_complete_checklist_or_a_reason(room):
    service.check_in(room, WHO)
    with pytest.raises(RoomError, match="checklist_incomplete"):
        service.start_meeting(room, WHO)
    with pytest.raises(BadInput, match="bad_reason"):
        service.start_meeting(room, WHO, skip_reason="felt like it")
    service.start_meeting(room, WHO, skip_reason="urgent")
    s = state(room).session
    assert (s.state, s.checklist_result, s.skip_reason) == ("meeting", "skipped", "urgent")
    start = db.session.scalar(select(Event).where(Event.kind == "start"))
    assert json.loads(start.detail) == {"checklist": "skipped", "reason": "urgent"}


def test_check_in_twice_is_refused_as_taken(room):
    service.check_in(room, WHO)
    with pytest.raises(RoomTaken):
        service.check_in(room, Actor("tablet:other"))
    assert db.session.query(RoomSession).count() == 1


@pytest.mark.parametrize("action,needs", [
    (lambda r: service.start_meeting(r, WHO, skip_reason="urgent"), ("preparing",)),
    (lambda r: service.extend(r, WHO), ("meeting",)),
    (lambda r: service.end_meeting(r, WHO), ("meeting",)),
    (lambda r: service.cancel(r, WHO), ("preparing",)),
    (lambda r: service.finish(r, WHO, "held"), ("wrapup",)),
    (lambda r: service.tick(r, WHO, "ending", sorted(i for c, i in service.checklist_keys() if c == "ending")[0]),
     ("preparing", "meeting", "wrapup")),
    (lambda r: service.record_no_show(r, WHO, choice="joined"), ("preparing", "meeting", "wrapup")),
])
def test_refused_transitions_from_every_other_state(room, action, needs):
    """Walk the room through all four states; the action works only in `needs`."""
    def go(to):
        s = state(room).state
        if s == "wrapup":
            service.finish(room, WHO, "held")
        elif s != "free":
            service.force_end(room, Actor("admin"), "reset for the test")
        if to in ("preparing", "meeting", "wrapup"):
            service.check_in(room, WHO)
        if to in ("meeting", "wrapup"):
            service.start_meeting(room, WHO, skip_reason="urgent")
        if to == "wrapup":
            service.end_meeting(room, WHO)
        assert state(room).state == to

    for current in ("free", "preparing", "meeting", "wrapup"):
        if current in needs:
            continue
        go(current)
        version = state(room).room.version
        with pytest.raises(RoomError):
            action(room)
        db.session.rollback()
        assert state(room).state == current and state(room).room.version == version


def test_cancel_frees_the_room_without_a_meeting(room):
    service.check_in(room, WHO)
    service.cancel(room, WHO)
    assert state(room).state == "free"
    assert db.session.scalar(select(RoomSession.end_reason)) == "cancelled"


def test_extend_moves_the_expected_end_and_overrun_shows(room):
    service.check_in(room, WHO, minutes=15)
    service.start_meeting(room, WHO, skip_reason="urgent")
    end = state(room).session.expected_end
    clock.advance(timedelta(minutes=16))
    assert state(room).overrun and state(room).state == "meeting"
    version_overrun = state(room).version
    service.extend(room, WHO, minutes=15)
    s = state(room)
    assert not s.overrun and s.session.expected_end == clock.now() + timedelta(minutes=15)
    assert s.session.expected_end > end and s.session.overran and s.version != version_overrun


def test_overrun_changes_the_version_by_time_alone(room):
    service.check_in(room, WHO, minutes=15)
    service.start_meeting(room, WHO, skip_reason="urgent")
    before = state(room).version
    clock.advance(timedelta(minutes=14))
    assert state(room).version == before
    clock.advance(timedelta(minutes=2))
    assert state(room).version != before


def test_ending_early_is_recorded(room):
    service.check_in(room, WHO, minutes=45)
    service.start_meeting(room, WHO, skip_reason="urgent")
    clock.advance(timedelta(minutes=10))
    service.end_meeting(room, WHO)
    s = state(room).session
    assert s.ended_early and not s.overran and s.meeting_ended_at == clock.now()


def test_automatic_release_after_the_maximum(room, app):
    service.check_in(room, WHO)
    service.start_meeting(room, WHO, skip_reason="urgent")
    started = state(room).session.started_at
    clock.advance(timedelta(hours=3, minutes=20))
    assert service.release_all_expired() == 1
    s = db.session.scalar(select(RoomSession))
    assert s.end_reason == "auto-released" and s.ended_at == started + timedelta(hours=3)
    assert s.overran
    assert events(room)[-1] == "auto-released"
    assert state(room).state == "free"
    assert service.release_all_expired() == 0


def test_an_expired_session_does_not_block_the_next_check_in(room):
    service.check_in(room, WHO)
    clock.advance(timedelta(hours=4))
    service.check_in(room, WHO)
    assert [e for e in events(room)] == ["check-in", "auto-released", "check-in"]
    assert state(room).state == "preparing"


def test_finish_needs_a_known_outcome(room):
    service.check_in(room, WHO)
    service.start_meeting(room, WHO, skip_reason="urgent")
    service.end_meeting(room, WHO)
    with pytest.raises(BadInput):
        service.finish(room, WHO, "fine")
    assert state(room).state == "wrapup"


@pytest.mark.parametrize("bad", [{"minutes": 7}, {"name": "x" * 81}, {"name": "Anna\x00"}, {"title": "a\nb\x07"}])
def test_check_in_refuses_bad_input_and_stores_nothing(room, bad):
    with pytest.raises(BadInput):
        service.check_in(room, WHO, **bad)
    assert db.session.query(RoomSession).count() == 0


def test_check_in_trims_names_and_keeps_them_optional(room):
    service.check_in(room, WHO, name="  Anna   Berg ", title="")
    s = state(room).session
    assert s.clinician_name == "Anna Berg" and s.clinician_title is None


def test_an_inactive_room_cannot_be_taken(room):
    db.session.get(Room, room).active = False
    db.session.commit()
    with pytest.raises(RoomError, match="inactive"):
        service.check_in(room, WHO)


def test_force_end_needs_a_reason_and_logs_it(room):
    service.check_in(room, WHO)
    with pytest.raises(BadInput):
        service.force_end(room, Actor("admin:a@example.se"), "  ")
    service.force_end(room, Actor("admin:a@example.se"), "Glömd incheckning")
    e = db.session.scalar(select(Event).where(Event.kind == "force-ended"))
    assert e.actor == "admin:a@example.se"
    assert json.loads(e.detail) == {"previous_state": "preparing", "reason": "Glömd incheckning"}
    with pytest.raises(RoomError, match="already_free"):
        service.force_end(room, Actor("admin"), "again")


def test_no_show_procedure_is_recorded_on_the_session(room):
    service.check_in(room, WHO)
    service.start_meeting(room, WHO, skip_reason="urgent")
    booked = clock.now() - timedelta(minutes=2)
    service.record_no_show(room, WHO, booked_at=booked)
    service.record_no_show(room, WHO, choice="no-answer")
    service.record_no_show(room, WHO, result="no-show")
    s = state(room).session
    assert (s.no_show_booked_at, s.no_show_outcome, s.no_show_result) == (booked, "no-answer", "no-show")
    service.record_no_show(room, WHO, choice="joined")  # a new answer forgets the old result
    assert state(room).session.no_show_result is None
    service.record_no_show(room, WHO, reset=True)
    s = state(room).session
    assert (s.no_show_booked_at, s.no_show_outcome) == (None, None)
    with pytest.raises(BadInput):
        service.record_no_show(room, WHO, choice="maybe")
    with pytest.raises(BadInput):
        service.record_no_show(room, WHO, result="fine")


def test_checklist_ticks_in_a_meeting_do_not_restart_anything(room):
    service.check_in(room, WHO)
    service.start_meeting(room, WHO, skip_reason="urgent")
    service.tick(room, WHO, "ending", sorted(i for c, i in service.checklist_keys() if c == "ending")[0])
    assert state(room).state == "meeting" and len(service.ticks(state(room).session)) == 1
    service.reset_ticks(room, WHO, "ending")
    assert service.ticks(state(room).session) == set()
    with pytest.raises(BadInput):
        service.tick(room, WHO, "ending", "no-such-item")


def test_every_change_bumps_the_room_version_once(room):
    versions = [state(room).room.version]
    for step in (lambda: service.check_in(room, WHO), lambda: service.start_meeting(room, WHO, skip_reason="urgent"),
                 lambda: service.extend(room, WHO), lambda: service.end_meeting(room, WHO),
                 lambda: service.finish(room, WHO, "no-show")):
        step()
        versions.append(state(room).room.version)
    assert versions == list(range(versions[0], versions[0] + 6))
