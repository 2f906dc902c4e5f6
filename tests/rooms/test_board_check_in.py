"""The board's own check-in: undone with one tap within CHECK_IN_UNDO_SECONDS,
cancelled (asked first) while the room is prepared, never a check-in made at
the door; a room without a door tablet shows the visit's console code on the
board. Route tests: full page, htmx fragment, plain form, bad input, CSRF,
another unit's room, other surfaces."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.extensions import db
from kiosk.models import Booking, ConsoleCode, Event, Room, RoomSession
from kiosk.rooms import service
from kiosk.rooms.service import Actor

DAY = "2026-11-26"  # the frozen clock is 10:00 in Sweden that day


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def board(app, door_client, pair):
    """A board tablet of the door_client's unit (.slug: the room with a door)."""
    with app.app_context():
        unit_id = db.session.get(Room, door_client.room_id).unit_id
    client = pair(app.test_client(), unit_id=unit_id)
    client.unit_id, client.slug, client.room_id = unit_id, door_client.slug, door_client.room_id
    return client


@pytest.fixture
def doorless(app, board, make_room):
    """A room of the board's unit without a door tablet: (id, slug)."""
    room_id = make_room(unit_id=board.unit_id, name="Videorum utan dörr", slug="utan-dorr")
    return room_id, "utan-dorr"


def open_session(app, room_id: int) -> RoomSession | None:
    with app.app_context():
        session = db.session.scalar(select(RoomSession).where(RoomSession.room_id == room_id,
                                                               RoomSession.ended_at.is_(None)))
        if session is not None:
            db.session.expunge(session)
        return session


def events(app, kind: str) -> list[Event]:
    with app.app_context():
        found = list(db.session.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))
        for e in found:
            db.session.expunge(e)
        return found


def count_events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Event.id)))


def check_in(board, slug: str, **kw):
    return board.hx_post(f"/board/rooms/{slug}/check-in", {"minutes": "30"}, **kw)


# ---- undo -----------------------------------------------------------------------------


def test_the_board_undoes_its_check_in_with_one_tap(frozen_clock, app, board):
    with app.app_context():
        booking_id = bookings.create(board.room_id, Actor("test"), bookings.parse_local(DAY, "10:00"),
                                     bookings.parse_local(DAY, "10:30")).id
    r = check_in(board, board.slug)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    session = open_session(app, board.room_id)
    # The undo: one button, with the focus, gone from the page when the server would refuse it.
    undo = re.search(r'<div class="check-in-undo" data-hide-at="(\d+)"[^>]*>(.*?)</div>', html, re.S)
    assert undo, html
    assert int(undo.group(1)) == int((session.started_at + timedelta(seconds=10)).timestamp() * 1000)
    assert f'name="session" value="{session.id}"' in undo.group(2)
    assert re.search(r'<button[^>]*id="check-in-undo"[^>]*autofocus>Ångra incheckningen</button>', undo.group(2))
    assert "Incheckad 10.00 härifrån" in text_of(undo.group(2))
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "claimed"

    clock.advance(timedelta(seconds=9))
    r = board.hx_post(f"/board/rooms/{board.slug}/check-in/undo", {"session": str(session.id)})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert "Incheckningen är ångrad. Rummet är ledigt." in text_of(html)
    assert 'id="check-in-notice" tabindex="-1" autofocus' in html and "Checka in i rummet" in html
    assert open_session(app, board.room_id) is None
    with app.app_context():
        assert db.session.get(RoomSession, session.id).end_reason == "cancelled"
        assert db.session.get(Booking, booking_id).status == "booked"  # the booking is given back
    (cancel,) = events(app, "cancel")
    assert cancel.actor.startswith("board:") and cancel.session_id == session.id
    assert json.loads(cancel.detail).get("undo") is True


def test_an_undo_too_late_is_refused_beside_the_check_in(frozen_clock, app, board):
    check_in(board, board.slug)
    session = open_session(app, board.room_id)
    clock.advance(timedelta(seconds=11))
    html = board.get(f"/board/rooms/{board.slug}").get_data(as_text=True)
    assert "check-in-undo" not in html and "Avbryt incheckningen" in html  # only the question now
    before = count_events(app)
    r = board.hx_post(f"/board/rooms/{board.slug}/check-in/undo", {"session": str(session.id)})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and r.headers.get("X-Kiosk-Error")
    refusal = re.search(r'<div id="check-in-error"[^>]*>(.*?)</div>', html, re.S)
    assert refusal and 'role="alert"' in refusal.group(0) and "autofocus" in refusal.group(0)
    assert "Tiden för att ångra har gått ut" in text_of(refusal.group(1))
    assert html.count("Tiden för att ångra") == 1  # beside the check-in, not in the plan as well
    # A plain form: the whole page, the same status, in English too.
    r = board.form_post(f"/board/rooms/{board.slug}/check-in/undo?lang=en", {"session": str(session.id)})
    assert r.status_code == 409 and "<html" in r.get_data(as_text=True)
    assert "The time to undo has run out" in text_of(r.get_data(as_text=True))
    assert open_session(app, board.room_id).id == session.id and count_events(app) == before  # nothing written


# ---- cancel ---------------------------------------------------------------------------


def test_the_board_cancels_its_check_in_asked_first(frozen_clock, app, board):
    board.form_post(f"/board/rooms/{board.slug}/check-in", {"minutes": "30"})
    session = open_session(app, board.room_id)
    clock.advance(timedelta(minutes=3))
    words = text_of(board.get(f"/board/rooms/{board.slug}").get_data(as_text=True))
    assert "Avbryt incheckningen Avbryta incheckningen 10.00? Rummet blir ledigt" in words
    assert "Ja, avbryt incheckningen" in words
    r = board.form_post(f"/board/rooms/{board.slug}/check-in/cancel", {"session": str(session.id)})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/board/rooms/{board.slug}")
    assert open_session(app, board.room_id) is None
    (cancel,) = events(app, "cancel")
    assert cancel.actor.startswith("board:") and "undo" not in json.loads(cancel.detail or "{}")
    # htmx, in English: the page says so
    check_in(board, board.slug)
    session = open_session(app, board.room_id)
    r = board.hx_post(f"/board/rooms/{board.slug}/check-in/cancel?lang=en", {"session": str(session.id)})
    assert r.status_code == 200 and "The check-in is cancelled. The room is free." in text_of(r.get_data(as_text=True))


def test_a_started_meeting_is_not_cancelled_from_the_board(frozen_clock, app, board):
    check_in(board, board.slug)
    session = open_session(app, board.room_id)
    with app.app_context():
        service.start_meeting(board.room_id, Actor("test"), skip_reason="urgent")
    html = board.get(f"/board/rooms/{board.slug}").get_data(as_text=True)
    assert "Avbryt incheckningen" not in html and "Mötet har börjat" in text_of(html)
    r = board.hx_post(f"/board/rooms/{board.slug}/check-in/cancel", {"session": str(session.id)})
    assert r.status_code == 409 and "Mötet har redan börjat" in text_of(r.get_data(as_text=True))
    assert open_session(app, board.room_id).state == "meeting"


def test_a_check_in_made_at_the_door_is_left_to_the_door(frozen_clock, app, board, door_client):
    assert door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {}).status_code == 200
    session = open_session(app, board.room_id)
    html = board.get(f"/board/rooms/{board.slug}").get_data(as_text=True)
    assert "check-in-undo" not in html and "check-in-cancel" not in html
    assert "Incheckningen gjordes vid dörren" in text_of(html)
    for step in ("undo", "cancel"):
        r = board.hx_post(f"/board/rooms/{board.slug}/check-in/{step}", {"session": str(session.id)})
        assert r.status_code == 403 and "kan bara avbrytas där" in text_of(r.get_data(as_text=True))
    assert open_session(app, board.room_id).id == session.id


def test_a_form_shown_before_another_check_in_takes_nothing_back(frozen_clock, app, board, door_client):
    check_in(board, board.slug)
    first = open_session(app, board.room_id)
    board.hx_post(f"/board/rooms/{board.slug}/check-in/undo", {"session": str(first.id)})
    door_client.hx_post(f"/rooms/{door_client.slug}/check-in", {})
    check_in(board, board.slug)  # taken: refused, the door's check-in stays
    second = open_session(app, board.room_id)
    assert second.id != first.id
    for step in ("undo", "cancel"):
        r = board.hx_post(f"/board/rooms/{board.slug}/check-in/{step}", {"session": str(first.id)})
        assert r.status_code == 409 and "Incheckningen finns inte längre" in text_of(r.get_data(as_text=True))
    assert open_session(app, board.room_id).id == second.id


def test_bad_input_csrf_and_who_may_ask(frozen_clock, app, board, door_client, client, make_room):
    check_in(board, board.slug)
    session = open_session(app, board.room_id)
    url = f"/board/rooms/{board.slug}/check-in/cancel"
    for bad in ({}, {"session": ""}, {"session": "abc"}, {"session": "²"}, {"session": "2147483648"},
                {"session": "9" * 40}, {"session": "-1"}):
        r = board.hx_post(url, bad)
        assert r.status_code == 400 and "Sidan var gammal" in text_of(r.get_data(as_text=True)), bad
    assert board.hx_post(url, {"session": "999999"}).status_code == 409  # no such check-in: not the room's
    assert board.hx_post(url, {"session": str(session.id)}, csrf=False).status_code == 400
    assert door_client.hx_post(url, {"session": str(session.id)}).status_code == 403
    assert client.hx_post(url, {"session": str(session.id)}).status_code == 403
    with app.app_context():
        other = db.session.get(Room, make_room()).slug
    for step in ("undo", "cancel"):
        assert board.hx_post(f"/board/rooms/{other}/check-in/{step}", {"session": "1"}).status_code == 403
        assert board.hx_post(f"/board/rooms/no-such-room/check-in/{step}", {"session": "1"}).status_code == 404
    assert board.get(f"{url}").status_code == 405
    assert open_session(app, board.room_id).id == session.id


def test_an_administrator_on_the_board_takes_back_a_check_in_too(frozen_clock, app, board, admin_client):
    with app.app_context():
        unit_slug = db.session.get(Room, board.room_id).unit.slug
    r = admin_client.hx_post(f"/board/rooms/{board.slug}/check-in?unit={unit_slug}", {"minutes": "30"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert f'action="/board/rooms/{board.slug}/check-in/undo?unit={unit_slug}"' in html
    session = open_session(app, board.room_id)
    # Another board of the unit (reception) may take it back: the board made it.
    r = board.hx_post(f"/board/rooms/{board.slug}/check-in/undo", {"session": str(session.id)})
    assert r.status_code == 200 and open_session(app, board.room_id) is None


# ---- a room without a door tablet -------------------------------------------------------


def test_a_room_without_a_door_shows_the_console_code_on_the_board(frozen_clock, app, board, doorless):
    room_id, slug = doorless
    r = check_in(board, slug)
    html = r.get_data(as_text=True)
    with app.app_context():
        code = db.session.scalar(select(ConsoleCode).where(ConsoleCode.room_id == room_id))
        shown, until = f"{code.code[:3]}-{code.code[3:]}", clock.local(code.expires_at).strftime("%H.%M")
    words = text_of(html)
    assert "Rummet har ingen dörrskärm" in words and f"Kod: {shown}" in words
    assert f"Koden gäller till {until} och fungerar en gång." in words and 'class="qr-code"' in html
    assert f'action="/board/rooms/{slug}/console-code"' in html  # "Ny kod" from the board
    # The full page says the same; in English too.
    assert shown in board.get(f"/board/rooms/{slug}").get_data(as_text=True)
    assert f"Code: {shown}" in text_of(board.get(f"/board/rooms/{slug}?lang=en").get_data(as_text=True))

    # The code expires: the board says so and makes a new one.
    clock.advance(timedelta(minutes=6))
    assert "Koden har gått ut." in text_of(board.get(f"/board/rooms/{slug}?lang=sv").get_data(as_text=True))
    r = board.hx_post(f"/board/rooms/{slug}/console-code")
    assert r.status_code == 200
    with app.app_context():
        newest = db.session.scalar(select(ConsoleCode).where(ConsoleCode.room_id == room_id)
                                   .order_by(ConsoleCode.id.desc()).limit(1))
        assert newest.id != code.id
    assert f"{newest.code[:3]}-{newest.code[3:]}" in r.get_data(as_text=True)

    # Claimed at the computer: the board says the console runs the visit, and offers no new code.
    computer = app.test_client()
    assert computer.form_post("/console", {"code": newest.code}).status_code == 303
    html = board.get(f"/board/rooms/{slug}").get_data(as_text=True)
    assert "Besöket körs från en konsol sedan 10.06" in text_of(html) and "console-code" not in html
    r = board.hx_post(f"/board/rooms/{slug}/console-code")
    assert r.status_code == 409 and "Besöket körs redan från en dator" in text_of(r.get_data(as_text=True))


def test_a_room_with_a_door_keeps_the_code_on_the_door(frozen_clock, app, board):
    html = check_in(board, board.slug).get_data(as_text=True)
    assert "Kör besöket från datorn i rummet" not in html and "Rummet har ingen dörrskärm" not in html
    r = board.hx_post(f"/board/rooms/{board.slug}/console-code")
    assert r.status_code == 409 and "koden visas där" in text_of(r.get_data(as_text=True))
    assert board.hx_post(f"/board/rooms/{board.slug}/console-code", csrf=False).status_code == 400


def test_a_free_room_without_a_door_has_no_code_to_renew(frozen_clock, app, board, doorless):
    _room_id, slug = doorless
    r = board.hx_post(f"/board/rooms/{slug}/console-code")
    assert r.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count(ConsoleCode.id))) == 0
