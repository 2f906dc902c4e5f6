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
