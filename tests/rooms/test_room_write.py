"""The room's write unit (kiosk/room_write.py): one version bump, the event and
the commit on a normal exit; nothing at all after an exception; bookings
brought up to date on entry; and nobody else bumps a room's version."""

from __future__ import annotations

import ast
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.events import Actor
from kiosk.extensions import db
from kiosk.models import Booking, Event, Room, RoomSession
from kiosk.room_write import room_write, rooms_write
from tests.paths import ROOT

WHO = Actor("tablet:test", address="127.0.0.1")


def _seen_from_outside(room_id: int) -> tuple[int, str, list[str]]:
    """The room's version and name and its events' kinds, as a new transaction sees them."""
    db.session.rollback()
    room = db.session.get(Room, room_id)
    db.session.refresh(room)
    kinds = list(db.session.scalars(select(Event.kind).where(Event.room_id == room_id).order_by(Event.id)))
    return room.version, room.name, kinds


def test_a_write_bumps_the_version_once_records_its_event_and_commits(room):
    version, _name, kinds = _seen_from_outside(room)
    with room_write(room) as w:
        w.room.name = "Videorum Väst"
        event = w.record("room-update", WHO, name="Videorum Väst")
        assert w.room.version == version  # bumped on the way out, not before
    assert _seen_from_outside(room) == (version + 1, "Videorum Väst", kinds + ["room-update"])
    assert (event.actor, event.address, event.room_id, event.at) == ("tablet:test", "127.0.0.1", room, clock.now())


def test_an_exception_rolls_everything_back(room):
    before = _seen_from_outside(room)
    with pytest.raises(RuntimeError, match="half-way"):
        with room_write(room) as w:
            w.room.name = "Half renamed"
            w.record("room-update", WHO, name="Half renamed")
            db.session.flush()  # written to the database, not yet committed
            raise RuntimeError("half-way")
    assert _seen_from_outside(room) == before


def test_a_refusal_inside_rolls_back_the_bookings_it_released(room):
    """Entering releases an unclaimed booking that is due; a refusal afterwards undoes that too."""
    start = clock.now() + timedelta(minutes=30)
    booking_id = bookings.create(room, WHO, start, start + timedelta(minutes=30)).id
    clock.advance(timedelta(minutes=45))  # 15 minutes after its start: past the 10 minutes' grace
    with pytest.raises(LookupError):
        with room_write(room) as w:
            assert db.session.get(Booking, booking_id).status == "released"
            raise LookupError("refused")
    db.session.rollback()
    assert db.session.get(Booking, booking_id).status == "booked"
    with room_write(room):
        pass
    db.session.rollback()
    assert db.session.get(Booking, booking_id).status == "released"
    assert db.session.scalar(select(Event.kind).order_by(Event.id.desc())) == "booking-release"


def test_leaving_sets_when_the_rooms_day_next_changes(room):
    start = clock.now() + timedelta(hours=2)
    with room_write(room) as w:
        pass
    _start, midnight = clock.day_bounds(clock.today())
    assert w.room.bookings_due_at == midnight
    bookings.create(room, WHO, start, start + timedelta(minutes=30))
    db.session.rollback()
    assert db.session.get(Room, room).bookings_due_at == start - timedelta(minutes=15)  # "Bokat" shows from then


def test_settle_runs_before_the_bookings_are_brought_up_to_date(room):
    """The state machine releases an expired session there, so a booking it overran is released in the same unit."""
    order = []
    with room_write(room, settle=lambda w: order.append(("settle", w.session))) as w:
        order.append(("body", w.room.id))
    assert order == [("settle", None), ("body", room)]


def test_a_missing_room_raises_the_callers_error(ctx):
    with pytest.raises(KeyError, match="gone"):
        with room_write(999_999, missing=KeyError("gone")):
            pass
    with pytest.raises(LookupError):
        with room_write(999_999):
            pass


def test_several_rooms_are_bumped_once_each_in_one_commit(room, make_room):
    other = make_room(name="Videorum Ö", slug="videorum-o")
    versions = {r: _seen_from_outside(r)[0] for r in (room, other)}
    with rooms_write([other, room, other]) as writes:
        assert [w.room.id for w in writes] == sorted([room, other])  # locked in id order, each once
    assert {r: _seen_from_outside(r)[0] for r in (room, other)} == {r: v + 1 for r, v in versions.items()}


def test_a_transition_writes_one_version_and_one_event(room):
    from kiosk.rooms import service

    version, _name, kinds = _seen_from_outside(room)
    service.check_in(room, WHO)
    assert _seen_from_outside(room) == (version + 1, _name, kinds + ["check-in"])
    with pytest.raises(service.RoomTaken):
        service.check_in(room, WHO)
    assert _seen_from_outside(room)[0] == version + 1
    assert db.session.scalar(select(func.count()).select_from(RoomSession)) == 1


# ---- the rule, read from the source ------------------------------------------------------


def version_bumps(source: str) -> list[int]:
    """Lines that change a room's version or bookings-due time by hand."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute) and part.attr in ("version", "bookings_due_at"):
                    found.append(node.lineno)
    return found


@pytest.mark.parametrize("snippet, finds", [
    ("room.version += 1", True),
    ("w.room.version = room.version + 1", True),
    ("room.bookings_due_at = None", True),
    ("room.name, room.version = 'x', 2", True),
    ("version = room.version", False),
    ("panel = state.version", False),
])
def test_the_version_rule_finds_what_it_should(snippet, finds):
    assert bool(version_bumps(snippet)) is finds


def test_only_the_write_unit_bumps_a_rooms_version():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in sorted((ROOT / "kiosk").rglob("*.py"))
             if path.name != "room_write.py" for line in version_bumps(path.read_text(encoding="utf-8"))]
    assert not found, "write through kiosk.room_write.room_write() instead:\n" + "\n".join(found)
