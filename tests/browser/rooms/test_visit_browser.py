"""A whole visit on a door tablet, as a clinician walks it, with the reception
board watching: check in, tick the readiness items, the sign turns on, the
patient does not join (the no-show guide on the room's own clock and session),
end, wrap up, free again."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import RoomSession
from tests.browser.helpers import FOLLOW_MS, SIGN_SV, code_for, pair_page

pytestmark = pytest.mark.browser
BOARD_WAIT = FOLLOW_MS


def test_a_whole_visit_with_a_no_show(browser, fast_app, server, room):
    room_id, unit_id = room
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    card = board.locator(".board-room", has_text="Videorum 1").locator(".state-word")
    expect(card).to_have_text("Ledigt")

    door.get_by_role("button", name="Checka in och förbered rummet").click()
    expect(card).to_have_text("Förbereds för videomöte", timeout=BOARD_WAIT)
    ticks = door.locator("button.tick")
    expect(door.locator("#door-readiness > summary")).to_be_visible()  # the door's own answer may land after the board's poll
    door.locator("#door-readiness > summary").click()  # the list is folded on the door (a sign first)
    expect(ticks.first).to_be_visible()
    total = ticks.count()
    assert total == 13
    for i in range(total):
        door.locator('button.tick[aria-checked="false"]').first.click()
        if i < total - 1:
            expect(door.get_by_text(f"{i + 1} av {total} klara")).to_be_visible()
    expect(door.get_by_text(SIGN_SV)).to_be_visible()
    expect(card).to_have_text("Videomöte pågår", timeout=BOARD_WAIT)

    # The patient has not joined: the guide, on the room's session and the server's clock,
    # opened from the door's folded staff controls in the door's own kiosk view.
    door.get_by_text("Personal: förläng, avsluta, guider").click()
    door.get_by_role("link", name="Patienten ansluter inte").click()
    expect(door.get_by_role("link", name="← Tillbaka till dörrskärmen för Videorum 1")).to_be_visible()
    door.get_by_role("button", name="Mötet skulle börja nu").click()
    expect(door.get_by_text("Väntar på att patienten ska ansluta")).to_be_visible()
    with fast_app.app_context():
        session = db.session.query(RoomSession).filter(RoomSession.ended_at.is_(None)).one()
        assert session.no_show_booked_at is not None  # kept on the room session, not in the browser
    clock.advance(timedelta(minutes=5))
    door.reload()
    expect(door.get_by_text("Ring patienten på det telefonnummer som står i bokningen")).to_be_visible()
    door.get_by_role("button", name="Patienten svarade inte").click()
    door.get_by_label("Ditt namn").first.fill("Anna Berg")
    door.get_by_label("Din titel").first.fill("sjuksköterska")
    door.get_by_label("Mottagning").first.fill("Hudmottagningen")
    door.get_by_role("button", name="Fyll i texterna").first.click()
    voicemail = door.locator("#no-show-panel")
    expect(voicemail).to_contain_text("Anna Berg")
    expect(voicemail).to_contain_text("Hudmottagningen")
    expect(voicemail).to_contain_text("avgift")
    expect(voicemail).to_contain_text("rutin")
    door.get_by_role("button", name="Journalanteckningen är gjord").click()
    # The outcome closes the loop (issue 11): the meeting ends and the door is back on
    # its panel, in wrap-up with the guide's answer chosen.
    door.wait_for_url(re.compile(r"/rooms/videorum-1/door$"))
    expect(door.get_by_role("heading", name="Efterarbete")).to_be_visible()
    with fast_app.app_context():
        session = db.session.query(RoomSession).filter(RoomSession.ended_at.is_(None)).one()
        assert (session.no_show_outcome, session.no_show_result) == ("no-answer", "no-show")
        assert session.state == "wrapup"
    expect(card).to_have_text("Upptaget – efterarbete", timeout=BOARD_WAIT)
    # The guide's outcome is the answer: the question is not asked again.
    expect(door.get_by_text("Utfall enligt guiden: Patienten anslöt inte.")).to_be_visible()
    expect(door.get_by_role("heading", name="Hur gick mötet?")).to_have_count(0)
    door.get_by_role("button", name="Klart – frigör rummet").click()
    expect(door.locator(".state-word")).to_have_text("Ledigt")
    expect(card).to_have_text("Ledigt", timeout=BOARD_WAIT)
    with fast_app.app_context():
        closed = db.session.query(RoomSession).one()
        assert (closed.outcome, closed.checklist_result, closed.end_reason) == ("no-show", "complete", "completed")
    door.context.close()
    board.context.close()
