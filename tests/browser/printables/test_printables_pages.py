"""The printables in Chromium: /print/ and a preview of every kind of printable
pass axe-core and the Nu checker in both languages with no console error (a
CSP violation would be one); a person finds, previews and downloads a
printable by role and label."""

import pytest

from tests.browser_support import assert_accessible, assert_no_console_errors

pytestmark = pytest.mark.browser

PREVIEWS = ["door-sign", "quick-reference", "support", "suitability", "patient-info", "checklist-environment"]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_print_index_passes_axe_and_nu(page, make_room, lang, assert_valid_html):
    make_room(name="Videorum 1", slug="videorum-1")
    response = page.goto(f"/print/?lang={lang}")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == lang
    assert_valid_html(response.text(), f"/print/ ({lang})")
    assert_accessible(page, f"/print/ ({lang})")
    assert_no_console_errors(page, f"/print/ ({lang})")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_previews_pass_axe_and_nu(page, make_room, lang, assert_valid_html):
    make_room(name="Videorum 1", slug="videorum-1")
    for name in PREVIEWS:
        url = f"/print/{name}.html?lang={lang}" + ("&room=videorum-1" if name == "door-sign" else "")
        response = page.goto(url)
        assert response.status == 200, url
        assert page.locator("html").get_attribute("lang") == lang
        assert page.get_by_role("heading", level=1).count() == 1
        assert_valid_html(response.text(), url)
        assert_accessible(page, url)
        assert_no_console_errors(page, url)


def test_patient_info_preview_shows_the_films_as_qr_codes_with_alt_text(page):
    page.goto("/print/patient-info.html?lang=en")
    codes = page.get_by_role("img", name="QR code to")
    assert codes.count() == 2
    assert "https://vimeo.com/398186293" in codes.first.get_attribute("alt")
    # The SVG data: image is allowed by the CSP and actually drawn.
    assert codes.first.evaluate("img => img.complete && img.naturalWidth > 0")


def test_a_person_previews_and_downloads_a_rooms_door_sign(page, make_room):
    make_room(name="Videorum Blå", slug="videorum-bla")
    page.goto("/print/?lang=sv")
    page.get_by_role("combobox", name="Rum").select_option(label="Videorum Blå")
    page.get_by_role("button", name="Förhandsgranska: Dörrskylt med rummets namn").click()
    page.wait_for_url("**/print/door-sign.html?lang=sv&room=videorum-bla")
    heading = page.get_by_role("heading", level=1)
    assert " ".join(heading.inner_text().split()) == "Här pågår videomöte - var god stör ej"
    assert page.get_by_text("Videorum Blå").is_visible()

    with page.expect_download() as info:
        page.get_by_role("link", name="Ladda ner PDF").click()
    download = info.value
    assert download.suggested_filename == "door-sign-videorum-bla-sv.pdf"
    with open(download.path(), "rb") as fh:
        assert fh.read(4) == b"%PDF"

    page.get_by_role("link", name="Tillbaka till utskrifterna").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Utskrifter"
    assert_no_console_errors(page)


def test_every_download_link_of_the_index_gives_a_pdf(page):
    page.goto("/print/?lang=en")
    links = page.get_by_role("link", name="Download PDF:")
    assert links.count() >= 12
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href")
        response = page.request.get(href)
        assert response.status == 200, href
        assert response.headers["content-type"] == "application/pdf"
        assert response.body().startswith(b"%PDF")
    swedish = page.get_by_role("link", name="PDF in Swedish: Support")
    assert swedish.get_attribute("hreflang") == "sv"
