"""The public pages as a person sees them in Chromium: accessible (axe-core),
valid HTML (Nu checker), usable by keyboard, no console errors or CSP faults."""

import pytest

from tests.browser_support import assert_accessible, assert_no_console_errors

pytestmark = pytest.mark.browser

PAGES = ["/", "/about", "/does-not-exist"]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_public_pages_pass_axe_and_nu(page, lang, assert_valid_html):
    for path in PAGES:
        response = page.goto(f"{path}?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert_valid_html(response.text(), f"{path} ({lang})")
        assert_accessible(page, f"{path} ({lang})")
        assert_no_console_errors(page, f"{path} ({lang})")


def test_skip_link_is_first_and_moves_focus_to_main(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Hoppa till innehållet")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_language_switch_is_remembered(page):
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Digitala vårdmöten")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/about")
    assert page.get_by_role("heading", level=1).inner_text() == "About the routine"


def test_staff_menu_folds_behind_one_button_on_a_phone(new_page, assert_valid_html):
    """Issue 12: at 320 px the menu is one button (keyboard and Escape work);
    on a desk the menu shows and the button does not."""
    phone = new_page(viewport={"width": 320, "height": 640})
    response = phone.goto("/checklists/")
    menu = phone.get_by_role("button", name="Meny")
    nav = phone.get_by_role("navigation", name="Huvudmeny")
    assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false"
    assert not nav.is_visible()
    # The collapsed header takes a small part of the first screen.
    assert phone.locator(".site-header").bounding_box()["height"] < 200
    menu.focus()
    phone.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true" and nav.is_visible()
    nav.get_by_role("link", name="Guider").focus()
    phone.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false" and not nav.is_visible()
    assert menu.evaluate("el => el === document.activeElement")
    assert phone.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert_valid_html(response.text(), "/checklists/ (phone)")
    assert_accessible(phone, "/checklists/ (phone)")

    desk = new_page(viewport={"width": 1440, "height": 900})
    desk.goto("/checklists/")
    assert desk.get_by_role("navigation", name="Huvudmeny").is_visible()
    assert not desk.locator(".menu-toggle").is_visible()
