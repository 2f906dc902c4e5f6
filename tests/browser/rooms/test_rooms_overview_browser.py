"""The rooms overview in Chromium (issue 12): staff at a desk follow the menu's
"Rumsöversikt" and see the rooms' states, accessible (axe-core) and valid (Nu),
in Swedish and English, on a desk screen and a 320 px phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_support import assert_accessible, assert_no_console_errors

pytestmark = pytest.mark.browser


@pytest.fixture
def rooms(app, make_unit, make_room):
    """A unit with a free room and a room in a meeting."""
    from kiosk.rooms import service
    from kiosk.rooms.service import Actor

    unit = make_unit(name="Hudmottagningen", slug="hud")
    make_room(unit_id=unit, name="Videorum 1", slug="v1", location="Plan 2")
    busy = make_room(unit_id=unit, name="Videorum 2", slug="v2")
    with app.app_context():
        service.check_in(busy, Actor("test"))
        service.start_meeting(busy, Actor("test"), skip_reason="urgent")


@pytest.mark.parametrize("lang, width", [("sv", 1440), ("en", 1440), ("sv", 320)])
def test_staff_follow_the_menu_to_the_rooms_overview(new_page, live_server, rooms, assert_valid_html, lang, width):
    page = new_page(viewport={"width": width, "height": 900 if width > 400 else 640})
    page.goto(f"/checklists/?lang={lang}")
    name = {"sv": "Rumsöversikt", "en": "Room overview"}[lang]
    menu_toggle = page.locator("button.menu-toggle")
    if width <= 400:  # the menu folds behind one button on a phone
        menu_toggle.click()
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url("**/rooms")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator(".board-room").filter(has_text="Videorum 2").locator(".state-meeting")).to_be_visible()
    expect(page.locator(".board-room").filter(has_text="Videorum 1").locator(".state-free")).to_be_visible()
    assert page.locator("main form").count() == 0
    scroll = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert scroll <= 0, f"scrolls sideways by {scroll} px at {width}"
    assert_valid_html(page.content(), f"rooms overview ({lang}, {width})")
    assert_accessible(page, f"rooms overview ({lang}, {width})")
    assert_no_console_errors(page, f"rooms overview ({lang}, {width})")
