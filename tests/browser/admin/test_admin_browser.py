"""The admin pages in Chromium: every one passes axe-core (WCAG 2.1 A/AA) and
the Nu HTML checker in Swedish and English; pairing shows a code and a QR
code that a tablet can use; the session warning comes at least 20 seconds
before the idle deadline and one tap extends the session (WCAG 2.2.1)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kiosk import clock
from kiosk.models import AdminSession
from kiosk.extensions import db
from kiosk.models import Room, Unit
from kiosk.rooms import service
from kiosk.rooms.service import Actor
from tests.browser.helpers import WORDS, log_in_page
from tests.browser_support import assert_accessible, assert_no_console_errors

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(admin_app):
    """A unit with two rooms, one of them checked in, and a week of history."""
    with admin_app.app_context():
        unit = Unit(name="Hudmottagningen", slug="hud")
        a = Room(unit=unit, name="Videorum 1", slug="videorum-1", location="Plan 2")
        b = Room(unit=unit, name="Videorum 2", slug="videorum-2")
        db.session.add_all([unit, a, b])
        db.session.commit()
        actor = Actor("tablet:test")
        for room in (a, b):
            service.check_in(room.id, actor)
            service.start_meeting(room.id, actor, skip_reason="urgent")
            service.end_meeting(room.id, actor)
            service.finish(room.id, actor, "held")
        service.check_in(a.id, actor)
        return unit.id, a.id


def check(page, assert_valid_html, label, html=None):
    assert_valid_html(html if html is not None else page.request.get(page.url).text(), label)
    assert_accessible(page, label)
    assert_no_console_errors(page, label)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_admin_page_passes_axe_and_nu(admin_app, live_server, new_page, make_admin, demo,
                                            assert_valid_html, lang):
    unit_id, room_id = demo
    words = WORDS[lang]
    page = new_page()
    page.goto(f"/admin/login?lang={lang}")
    check(page, assert_valid_html, f"login ({lang})")
    page.get_by_label(words["email"]).fill("nobody@regionhalsan.example")
    page.get_by_label(words["password"], exact=True).fill("wrong password")
    page.get_by_role("button", name=words["login"], exact=True).click()
    expect(page.locator("#login-error")).to_be_visible()
    check(page, assert_valid_html, f"login failed ({lang})", html=page.content())

    log_in_page(page, make_admin(), lang)
    for path in ("/admin/", "/admin/units", f"/admin/units/{unit_id}", "/admin/rooms", f"/admin/rooms/{room_id}",
                 "/admin/tablets", "/admin/sessions", "/admin/events", f"/admin/stats?unit={unit_id}",
                 "/admin/accounts", "/admin/account", "/tillganglighet"):
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == lang
        check(page, assert_valid_html, f"{path} ({lang})")

    # A chart opened on its own is a document under its own strict CSP: no violation.
    page.goto(f"/admin/stats/endings.svg?unit={unit_id}")
    assert_no_console_errors(page, f"chart document ({lang})")

    # A form sent back with a refused field.
    page.goto("/admin/rooms")
    page.get_by_label(words["room_name"]).fill("<b>Rum</b>")
    page.get_by_role("button", name=words["create_room"]).click()
    expect(page.locator(".field-error")).to_be_visible()
    check(page, assert_valid_html, f"room form with an error ({lang})", html=page.content())

    # The pages that answer a POST: a pairing code, a new account's password.
    page.goto("/admin/tablets")
    page.get_by_role("button", name=words["pair"]).click()
    expect(page.locator(".pairing-code")).to_be_visible()
    check(page, assert_valid_html, f"pairing code ({lang})", html=page.content())
    page.goto("/admin/accounts")
    page.locator("#account-email").fill(f"ny-{lang}@regionhalsan.example")
    page.get_by_role("button", name=words["create"]).click()
    expect(page.locator("#new-password")).to_be_visible()
    check(page, assert_valid_html, f"account created ({lang})", html=page.content())
    page.goto("/admin/accounts")
    page.get_by_role("button", name=f"{words['reset']} ny-{lang}@regionhalsan.example").click()
    expect(page.locator("#new-password")).to_be_visible()
    check(page, assert_valid_html, f"password reset ({lang})", html=page.content())

    # My account: a refused password change marks the field and keeps the page valid.
    page.get_by_role("link", name=re.compile(words["my_account"])).click()
    page.get_by_label(words["current"]).fill("not my password")
    page.get_by_label(words["new"], exact=True).fill("a long new password here")
    page.get_by_label(words["repeat"]).fill("a long new password here")
    page.get_by_role("button", name=words["change"]).click()
    expect(page.locator("#account-current-error")).to_be_visible()
    assert page.locator("#account-current").get_attribute("aria-invalid") == "true"
    check(page, assert_valid_html, f"password change refused ({lang})", html=page.content())


def test_a_tablet_pairs_with_the_code_from_the_admin_page(admin_app, live_server, new_page, make_admin, demo):
    admin_app.config["PUBLIC_URL"] = live_server.url
    unit_id, room_id = demo
    page = new_page()
    log_in_page(page, make_admin())
    page.goto("/admin/tablets")
    page.get_by_label("Dörrskärm för rummet").select_option(label="Videorum 2 (Hudmottagningen)")
    page.get_by_role("button", name="Ta fram kod för dörrskärm").click()
    qr = page.get_by_role("img", name="QR-kod med kopplingsadressen")
    expect(qr).to_be_visible()
    assert qr.evaluate("el => el.tagName") == "svg"
    url = page.locator(".pairing a").get_attribute("href")
    assert re.fullmatch(rf"{re.escape(live_server.url)}/pair\?code=[A-Z0-9]{{4}}-[A-Z0-9]{{4}}", url)

    tablet = new_page()
    tablet.goto(url)
    tablet.get_by_role("button", name="Koppla").click()
    expect(tablet.get_by_role("heading", level=1)).to_have_text("Videorum 2")
    page.goto("/admin/tablets")
    expect(page.locator("table")).to_contain_text("Videorum 2")


def test_the_session_warning_comes_in_time_and_continue_extends(admin_app, live_server, new_page, make_admin,
                                                               frozen_clock):
    page = new_page()
    page.clock.install()
    account = make_admin()
    log_in_page(page, account)
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Rum").click()  # a person's action: 30 minutes from now
    # The page has come: its request reached the server before the clocks move
    # (one that came after would start the 30 minutes from there).
    expect(page.get_by_role("heading", level=1)).to_have_text("Rum")
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_hidden()

    # 29 minutes later (on the server and in the browser): at most a minute left.
    clock.advance(timedelta(minutes=29, seconds=5))
    page.clock.fast_forward("29:05")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Du loggas ut om")
    seconds = int(re.search(r"om (\d+) sekunder", warning.inner_text()).group(1))
    assert 20 <= seconds <= 60  # WCAG 2.2.1: at least 20 seconds to act
    keep = page.get_by_role("button", name="Fortsätt vara inloggad")
    expect(keep).to_be_focused()
    assert_accessible(page, "session warning")
    keep.click()
    expect(warning).to_be_hidden()
    with admin_app.app_context():
        assert db.session.scalar(select(AdminSession.last_active_at)) == frozen_clock.now()

    # Nobody there: after the deadline the page says so and offers to log in again.
    clock.advance(timedelta(minutes=30, seconds=1))
    page.clock.fast_forward("30:01")
    expect(warning).to_contain_text("Din inloggning har upphört")
    expect(page.get_by_role("link", name="Logga in igen")).to_be_visible()
    assert_no_console_errors(page, "session warning")


def test_the_statistics_fit_a_desk_screen_without_sideways_scrolling(admin_app, live_server, new_page, make_admin,
                                                                     demo, assert_valid_html):
    """At 1440 px the statistics page scrolled sideways (issue 12); weeks read
    "vecka 49, 2026", and every table has its total."""
    unit_id, _room_id = demo
    with admin_app.app_context():
        for n in range(3, 11):  # ten rooms: a wide week table
            db.session.add(Room(unit_id=unit_id, name=f"Videorum med långt namn {n}", slug=f"videorum-{n}"))
        db.session.commit()
    page = new_page(viewport={"width": 1440, "height": 900})
    log_in_page(page, make_admin())
    today = clock.today()  # Sweden's day: after 23.00 UTC it is tomorrow
    page.goto(f"/admin/stats?unit={unit_id}&from={(today - timedelta(days=60)).isoformat()}&to={today.isoformat()}")
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths
    expect(page.locator("#table-meetings tbody th").first).to_have_text(re.compile(r"^vecka \d{1,2}, \d{4}$"))
    expect(page.locator("#table-endings tfoot td")).to_have_text("3")
    expect(page.locator("#total-visits")).to_have_text("3")
    check(page, assert_valid_html, "statistics at 1440 px")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_refused_forms_keep_what_was_typed_and_stay_valid(admin_app, live_server, new_page, make_admin, demo,
                                                          assert_valid_html, lang):
    """The WTForms forms (kiosk/admin/forms.py) shown again after a refusal:
    the refused field marked and described, the rest as typed, axe and Nu clean."""
    unit_id, room_id = demo
    page = new_page()
    log_in_page(page, make_admin(), lang)

    page.goto(f"/admin/units/{unit_id}")
    page.locator("#unit-name").fill("Hudmottagningen Ö")
    page.locator("#opens-wed").fill("08:15")
    page.locator("#opens-wed").press("Enter")
    expect(page.locator("#hours-error")).to_be_visible()
    assert page.locator("#opens-wed").input_value() == "08:15"
    assert page.locator("#unit-name").input_value() == "Hudmottagningen Ö"
    check(page, assert_valid_html, f"opening hours refused ({lang})", html=page.content())

    # A setting's checkbox sent with a value that is not its own: refused, and said so beside it.
    page.goto(f"/admin/units/{unit_id}")
    page.locator("#unit-door-sign-english").evaluate("box => { box.value = 'yes'; box.checked = true; }")
    page.locator("#unit-name").press("Enter")
    expect(page.locator("#unit-door-sign-english-error")).to_be_visible()
    assert page.locator("#unit-door-sign-english").get_attribute("aria-invalid") == "true"
    check(page, assert_valid_html, f"door sign setting refused ({lang})", html=page.content())

    page.goto("/admin/units")
    page.locator("#unit-name").fill("<b>Enhet</b>")
    page.locator("#unit-slug").fill("enhet-9")
    page.locator("#unit-name").press("Enter")
    expect(page.locator("#unit-name-error")).to_be_visible()
    assert page.locator("#unit-name").get_attribute("aria-invalid") == "true"
    assert page.locator("#unit-slug").input_value() == "enhet-9"
    check(page, assert_valid_html, f"unit refused ({lang})", html=page.content())

    page.goto("/admin/accounts")
    page.locator("#account-email").fill("namn@exempel")  # a browser's e-mail check lets it through
    page.locator("#account-email").press("Enter")
    expect(page.locator("#account-email-error")).to_be_visible()
    assert page.locator("#account-email").input_value() == "namn@exempel"
    check(page, assert_valid_html, f"account refused ({lang})", html=page.content())

    page.goto("/admin/sessions")
    page.locator(f"#reason-{room_id}").fill("Rum <4>")
    page.locator(f"#reason-{room_id}").press("Enter")
    expect(page.locator(f"#reason-{room_id}-error")).to_be_visible()
    assert page.locator(f"#reason-{room_id}").input_value() == "Rum <4>"
    check(page, assert_valid_html, f"freeing a room refused ({lang})", html=page.content())
