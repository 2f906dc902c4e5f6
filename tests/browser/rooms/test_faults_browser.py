"""Room health in Chromium (issue 15): "kamera" reported at a door in two
taps shows on the door and the board within two polls; an administrator marks
it fixed and it leaves both. The new states and pages pass axe-core and the
Nu checker (door with a fault, the report control open, the admin fault page,
the device check with its save form, the fault statistics), in Swedish and English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kiosk.extensions import db
from kiosk.models import Room, Unit
from tests.browser.helpers import FOLLOW_MS, code_for, pair_page
from tests.browser.helpers import log_in_page
from tests.browser.helpers import check_page
from tests.browser_support import open_page

pytestmark = pytest.mark.browser


def admin_window(browser, server):
    return open_page(browser, server.url)


def test_a_camera_fault_from_the_door_on_the_board_and_fixed_in_admin(browser, make_admin, fast_app, server,
                                                                      assert_valid_html):
    account = make_admin("global")  # before the rooms: its app empties the tables when made
    with fast_app.app_context():
        unit = Unit(name="Hudmottagningen", slug="hud")
        room = Room(unit=unit, name="Videorum 1", slug="videorum-1", location="Plan 2")
        db.session.add_all([unit, room, Room(unit=unit, name="Videorum 2", slug="videorum-2")])
        db.session.commit()
        room_id, unit_id = room.id, unit.id
    door = pair_page(browser, server, code_for(fast_app, room_id=room_id))
    board = pair_page(browser, server, code_for(fast_app, unit_id=unit_id))
    expect(board.locator(".board-room").first).to_be_visible()
    assert board.locator(".board-faults").count() == 0

    # Two taps: open the control, tap what is broken.
    door.get_by_text("Anmäl fel på utrustningen").click()
    check_page(door, assert_valid_html, "door, fault control open")
    door.get_by_role("button", name="kamera", exact=True).click()
    notice = door.locator("#door-faults .fault-item")
    # The weekday is whatever day the suite runs on; JavaScript's \w is ASCII, so it
    # would miss "mån", "lör" and "sön": name the seven short weekdays instead.
    expect(notice).to_have_text(re.compile(r"^Fel anmält: kamera \(sedan (mån|tis|ons|tors|fre|lör|sön)\.? \d\d\.\d\d\)$"))
    check_page(door, assert_valid_html, "door with an open fault")
    # Check-in is not blocked, and the readiness list reminds.
    door.get_by_role("button", name="Checka in och förbered rummet").click()
    expect(door.locator(".fault-reminder")).to_be_visible()
    check_page(door, assert_valid_html, "door preparing with an open fault")
    expect(board.locator(".board-faults")).to_contain_text("Fel anmält: kamera", timeout=FOLLOW_MS)
    check_page(board, assert_valid_html, "board with an open fault")

    admin = admin_window(browser, server)
    log_in_page(admin, account)
    admin.goto("/admin/faults")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Fel och utrustningstest")
    check_page(admin, assert_valid_html, "admin faults (sv)")
    admin.get_by_label("Vad gjordes? (valfritt)").fill("Ny webbkamera")
    admin.get_by_role("button", name="Markera som åtgärdat").click()
    expect(admin.locator(".flash")).to_contain_text("Felet i Videorum 1 är markerat som åtgärdat.")
    expect(admin.get_by_text("Inga öppna felanmälningar.")).to_be_visible()

    expect(door.locator("#door-faults .fault-item")).to_have_count(0, timeout=FOLLOW_MS)
    expect(board.locator(".board-faults")).to_have_count(0, timeout=FOLLOW_MS)
    expect(door.locator(".fault-reminder")).to_have_count(0)

    # The device check saves its outcome for a room the administrator chooses.
    admin.goto("/check/devices")
    expect(admin.get_by_role("heading", name="Spara resultatet för rummet")).to_be_visible()
    expect(admin.get_by_role("button", name="Spara resultatet")).to_be_disabled()
    check_page(admin, assert_valid_html, "device check with its save form (sv)")
    for lang, heading in (("en", "Faults and device checks"), ("sv", "Fel och utrustningstest")):
        admin.goto(f"/admin/faults?lang={lang}")
        expect(admin.get_by_role("heading", level=1)).to_have_text(heading)
        check_page(admin, assert_valid_html, f"admin faults with a device check list ({lang})")
        admin.goto(f"/admin/stats/faults?unit={unit_id}&lang={lang}")
        expect(admin.locator("#table-per-kind")).to_be_visible()
        check_page(admin, assert_valid_html, f"fault statistics ({lang})")


def test_the_device_check_on_a_console_saves_the_outcome(media_browser, fast_app, server, assert_valid_html):
    """A console runs the device check with a fake camera and microphone; the
    camera works, the sound is answered "no": the outcome (never a picture) is saved."""
    from sqlalchemy import select

    from kiosk.models import DeviceCheck
    from kiosk.rooms import pairing

    with fast_app.app_context():
        unit = Unit(name="Hudmottagningen", slug="hud")
        room = Room(unit=unit, name="Videorum 1", slug="videorum-1")
        db.session.add_all([unit, room])
        db.session.commit()
        code = pairing.format_code(pairing.new_code("console", room.unit, room, actor="test"))
        room_id = room.id
    page = admin_window(media_browser, server)
    page.goto("/pair")
    page.get_by_label("Kopplingskod").fill(code)
    page.get_by_role("button", name="Koppla").click()
    page.wait_for_url(re.compile(r"/console$"))
    page.goto("/check/devices")
    expect(page.get_by_role("heading", name="Spara resultatet för rummet: Videorum 1")).to_be_visible()
    save = page.get_by_role("button", name="Spara resultatet")
    expect(save).to_be_disabled()
    page.locator("[data-devices-start]").click()
    expect(page.locator("#camera-status")).to_have_attribute("data-status", "ok", timeout=10_000)
    expect(save).to_be_enabled()
    page.locator("[data-sound-play]").click()
    page.locator('[data-sound-heard="no"]').click()
    save.click()
    expect(page.locator(".flash")).to_contain_text("Resultatet sparades för Videorum 1.")
    check_page(page, assert_valid_html, "device check on a console, saved")
    with fast_app.app_context():
        [check] = db.session.scalars(select(DeviceCheck)).all()
        assert (check.room_id, check.camera, check.sound, check.ok) == (room_id, "ok", "fail", False)
        assert check.microphone in ("ok", "fail", "untested")
