"""Printables (issue 5): every document in each language is a tagged PDF/UA
file with the routine's words and its document control on every page; the
cache never serves stale paper; bad parameters get a clear 400/404; the door
sign fills the page; the build command writes the whole set."""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from kiosk import clock, create_app
from kiosk.content import load_content
from kiosk.extensions import db
from printables import fit
from printables.documents import QUICK_REFERENCE_GUIDES, SUITABILITY_REQUIREMENT, catalogue
from printables.render import ASSETS_DIR, AssetFetcher
from tests.database_support import app_config
from tests.moment import FROZEN_AT
from tests.servers import SHUTDOWN_POLL

CONTENT = load_content()
LANGS = ("sv", "en")
NAMES = list(catalogue(CONTENT.get("sv")))
# One page each, but the patient handout (two at most, R-issue 5).
PAGES = {"patient-info": 2}
DOCUMENT_ID = "RHS9919-529963968-26"
PRINT_DATE = "2026-11-26"  # FROZEN_AT in Stockholm
# Every printable is rendered once for the module (the `rendered` fixture, seconds of
# WeasyPrint): one xdist worker runs the whole module, so no other renders it again.
pytestmark = pytest.mark.xdist_group("printables")


def squash(text: str) -> str:
    return " ".join(text.split())


def pdf_text(pdf: bytes, page: int | None = None) -> str:
    """The PDF's text, whitespace-normalised. -raw keeps the drawing order, which
    WeasyPrint makes the reading order, and keeps a dash that ends a line."""
    args = ["pdftotext", "-raw", "-enc", "UTF-8"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    out = subprocess.run([*args, "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return squash(out.decode("utf-8"))


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


# ---- every printable, rendered once for the module ----------------------------


@pytest.fixture(scope="module")
def print_app(database_url, tmp_path_factory):
    """An app of its own for the module, so its rendered PDFs can be shared."""
    app = create_app(app_config(database_url, tmp_path_factory.mktemp("print-instance")))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(scope="module")
def rendered(print_app):
    """Every printable in both languages at FROZEN_AT, with WeasyPrint's complaints."""
    handler = _Records()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    clock.freeze(FROZEN_AT)
    try:
        client = print_app.test_client()
        pdfs = {}
        for lang in LANGS:
            for name in NAMES:
                response = client.get(f"/print/{name}.pdf?lang={lang}")
                assert response.status_code == 200, (name, lang)
                pdfs[(name, lang)] = response.data
    finally:
        clock.reset()
        logger.removeHandler(handler)
    return {"pdfs": pdfs, "warnings": handler.records}


def test_the_catalogue_has_every_document_of_the_issue():
    assert {"door-sign", "patient-info", "quick-reference", "support", "suitability"} <= set(NAMES)
    assert {f"checklist-{key}" for key in CONTENT.get("sv").checklists} <= set(NAMES)
    assert list(catalogue(CONTENT.get("en"))) == NAMES


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", NAMES)
def test_every_printable_is_a_tagged_pdf_with_document_control(rendered, name, lang):
    pdf = rendered["pdfs"][(name, lang)]
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == PAGES.get(name, 1)

    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == lang
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert "/StructTreeRoot" in root
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfuaid:part="1"' in xmp
    assert reader.metadata.title == catalogue(CONTENT.get(lang))[name].title

    document = CONTENT.get(lang).document
    # The document control is in every PDF's metadata; on paper it is on the
    # staff printables, while the patient handout has a patient footer (issue 12).
    keywords = reader.metadata["/Keywords"]
    assert DOCUMENT_ID in keywords and f"version {document.version}" in keywords and CONTENT.version in keywords
    if name == "patient-info":
        for number in range(1, page_count(pdf) + 1):
            text = pdf_text(pdf, number)
            assert DOCUMENT_ID not in text and CONTENT.version not in text
            assert f"{document.applies_to} · {CONTENT.get(lang).t('print.footer.printed', date=PRINT_DATE)}" in text
            assert f"{number} / {page_count(pdf)}" in text
        return
    for number in range(1, page_count(pdf) + 1):
        text = pdf_text(pdf, number)
        assert DOCUMENT_ID in text
        assert f"version {document.version}" in text
        assert f"{document.valid_from.isoformat()} – {document.valid_to.isoformat()}" in text
        assert CONTENT.version in text
        assert PRINT_DATE in text
        assert f"{number} / {page_count(pdf)}" in text


def _expected_words(name: str, lang: str) -> list[str]:
    """What the content says must be on the paper (so paper and screens agree)."""
    c = CONTENT.get(lang)
    if name == "door-sign":
        return [CONTENT.get(code).door_sign.text for code in LANGS]
    if name.startswith("checklist-"):
        checklist = c.checklists[name.removeprefix("checklist-")]
        return [checklist.title, checklist.intro, checklist.if_incomplete,
                *(i.text for i in checklist.items), *(i.help for i in checklist.items)]
    if name == "patient-info":
        words = [c.patient.title, c.patient.intro]
        for section in c.patient.sections:
            words += [section.heading, section.text, *section.items]
            words += [c.links[key].url for key in section.links]
        return words
    if name == "quick-reference":
        words = []
        for key in QUICK_REFERENCE_GUIDES:
            guide = c.guides[key]
            words.append(guide.title)
            for step in guide.steps:
                words += [step.title, step.text, *step.items]
        return words + [f"{ct.name} {ct.phone}".strip() for ct in c.contacts.values()]
    if name == "support":
        return [w for ct in c.contacts.values() for w in (ct.name, ct.role, ct.phone, ct.email)]
    if name == "suitability":
        checklist = c.checklists["suitability"]
        return [checklist.title, checklist.intro, checklist.if_incomplete,
                *(i.help for i in checklist.items if SUITABILITY_REQUIREMENT in i.req)]
    raise AssertionError(f"no expectations for {name}")


# Facts the issue names, written out once here to catch a content or template
# slip that the content-driven check above would share.
FACTS = {
    ("door-sign", "sv"): ["Här pågår videomöte - var god stör ej",
                          "Video meeting in progress - please do not disturb"],
    ("door-sign", "en"): ["Här pågår videomöte - var god stör ej",
                          "Video meeting in progress - please do not disturb"],
    ("patient-info", "sv"): ["Mobilt BankID", "ombud", "vårdnadshavaren", "synas i bild", "lugn plats",
                             "ringer vi upp dig på telefonnumret som står i din bokning", "avgift",
                             "anonymiseras efter 14 dagar", "stäng av Wi-Fi",
                             "https://vimeo.com/398186293", "https://vimeo.com/395699693"],
    ("patient-info", "en"): ["Mobile BankID", "proxy", "guardian", "visible on camera", "quiet place",
                             "we call you on the phone number in your booking", "fee",
                             "anonymised after 14 days", "turn off Wi-Fi",
                             "https://vimeo.com/398186293", "https://vimeo.com/395699693"],
    ("quick-reference", "sv"): ["Vänta cirka 5 minuter", "Återuppta samtal", "010-47 37 100", "076-314 49 82"],
    ("quick-reference", "en"): ["Wait about 5 minutes", "Återuppta samtal", "010-47 37 100", "076-314 49 82"],
    ("support", "sv"): ["076-314 49 82", "support@visibacare.com", "010-47 37 100"],
    ("support", "en"): ["076-314 49 82", "support@visibacare.com", "010-47 37 100"],
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", NAMES)
def test_every_printable_carries_the_routines_words(rendered, name, lang):
    text = pdf_text(rendered["pdfs"][(name, lang)])
    missing = [w for w in _expected_words(name, lang) + FACTS.get((name, lang), [])
               if w and squash(w) not in text]
    assert not missing, f"{name} ({lang}) lacks: {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_an_item_that_may_not_apply_gets_a_does_not_apply_box_on_paper(rendered, lang):
    words = {"sv": "Gäller inte", "en": "Does not apply"}[lang]
    for key, checklist in CONTENT.get(lang).checklists.items():
        if key == "suitability":
            continue  # printed as questions with yes and no boxes
        text = pdf_text(rendered["pdfs"][(f"checklist-{key}", lang)])
        expected = sum(i.may_not_apply for i in checklist.items)
        assert text.count(words) == expected, (key, text.count(words), expected)
    assert sum(i.may_not_apply for i in CONTENT.get(lang).checklists["identity"].items) == 5


@pytest.mark.parametrize("lang", LANGS)
def test_suitability_asks_the_four_questions_and_nothing_else(rendered, lang):
    text = pdf_text(rendered["pdfs"][("suitability", lang)])
    checklist = CONTENT.get(lang).checklists["suitability"]
    questions = [i for i in checklist.items if SUITABILITY_REQUIREMENT in i.req]
    assert len(questions) == 4
    others = [i.help for i in checklist.items if i not in questions]
    assert not [w for w in others if squash(w) in text]
    yes = {"sv": "Ja", "en": "Yes"}[lang]
    assert len(re.findall(rf"\b{yes}\b", text)) >= 4


def test_rendering_makes_weasyprint_complain_about_nothing(rendered):
    # A missing alt text, a refused asset or an unknown CSS property shows here.
    assert [r.getMessage() for r in rendered["warnings"]] == []


def test_print_css_names_a_page_for_every_kind_of_printable():
    css = (ASSETS_DIR / "print.css").read_text()
    for kind in {p.kind for p in catalogue(CONTENT.get("sv")).values()}:
        assert re.search(rf"@page {kind} \{{", css), kind
        assert f"body.page-{kind} {{ page: {kind}; }}" in css


# ---- the door sign ----------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_door_sign_text_fills_most_of_the_landscape_page(rendered, lang, tmp_path):
    pdf = rendered["pdfs"][("door-sign", lang)]
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert box.width > box.height  # A4 landscape
    (tmp_path / "sign.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(tmp_path / "sign.pdf"), str(tmp_path / "sign")], check=True)
    image = Image.open(tmp_path / "sign.png").convert("L")
    width, height = image.size
    # Above the footer (the bottom margin is 26 mm of the page's 210).
    sign = image.crop((0, 0, width, int(height * (1 - 26 / 210))))
    dark_columns = [x for x in range(width) if any(sign.getpixel((x, y)) < 100 for y in range(sign.height))]
    span = (max(dark_columns) - min(dark_columns)) / width
    assert span > 0.8, f"the sign text spans {span:.0%} of the page width"
    # ...and it is big: the dark rows cover most of the height too.
    dark_rows = [y for y in range(sign.height) if any(sign.getpixel((x, y)) < 100 for x in range(width))]
    assert (max(dark_rows) - min(dark_rows)) / height > 0.5


def test_a_file_name_is_safe_whatever_the_slug():
    from printables.documents import PrintJob, RoomLabel

    door_sign = catalogue(CONTENT.get("sv"))["door-sign"]
    assert PrintJob(door_sign, "sv", RoomLabel('../x"\r\ny', "X")).filename == "door-sign-x-y-sv.pdf"


def test_door_sign_names_the_room(client, make_room, frozen_clock):
    make_room(name="Videorum Blå", slug="videorum-bla")
    response = client.get("/print/door-sign.pdf?lang=sv&room=videorum-bla")
    assert response.status_code == 200
    assert page_count(response.data) == 1
    text = pdf_text(response.data)
    assert "Videorum Blå" in text
    assert "Här pågår videomöte - var god stör ej" in text
    assert 'filename="door-sign-videorum-bla-sv.pdf"' in response.headers["Content-Disposition"]
    preview = client.get("/print/door-sign.html?lang=sv&room=videorum-bla").get_data(as_text=True)
    assert "Videorum Blå" in preview


def test_a_renamed_room_gets_a_new_sign(app, client, make_room, frozen_clock):
    from kiosk.models import Room

    room_id = make_room(name="Videorum 7", slug="videorum-7")
    assert "Videorum 7" in pdf_text(client.get("/print/door-sign.pdf?room=videorum-7").data)
    with app.app_context():
        db.session.get(Room, room_id).name = "Videorum Sju"
        db.session.commit()
    response = client.get("/print/door-sign.pdf?room=videorum-7")
    assert response.headers["X-Print-Cache"] == "rendered"
    assert "Videorum Sju" in pdf_text(response.data)


def test_fit_keeps_the_words_and_grows_with_the_box():
    text = "Här pågår videomöte - var god stör ej"
    size, lines = fit.fit(text, 700, 400)
    assert " ".join(lines).replace(fit.NBSP, " ") == text
    assert not any(line.startswith("-") or line.endswith("-") for line in lines)
    bigger, _ = fit.fit(text, 1400, 800)
    assert bigger > size
    assert fit.text_width_em("WWW") > fit.text_width_em("iii")


# ---- bad parameters -----------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/print/no-such-thing.pdf", "/print/no-such-thing.html",
    "/print/checklist-no-such-list.pdf", "/print/checklist-.pdf",
])
def test_an_unknown_document_is_a_clear_404(client, url):
    response = client.get(url + "?lang=sv")
    assert response.status_code == 404
    assert "Det finns ingen utskrift som heter" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/print/door-sign.pdf?lang=de", "/print/support.html?lang=", "/print/support.pdf?lang=SV"])
def test_an_unknown_language_is_a_clear_400(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "finns inte för utskrifter" in response.get_data(as_text=True)
    assert "sv, en" in response.get_data(as_text=True)


def test_an_unknown_or_inactive_room_is_a_clear_404(client, make_room):
    make_room(name="Gamla rummet", slug="gamla-rummet", active=False)
    for slug in ("no-such-room", "gamla-rummet", "x" * 500, "<script>"):
        for suffix in ("pdf", "html"):
            response = client.get(f"/print/door-sign.{suffix}", query_string={"lang": "en", "room": slug})
            assert response.status_code == 404, slug
            assert "There is no active room called" in response.get_data(as_text=True)
            assert "<script>" not in response.get_data(as_text=True)


def test_bad_parameters_answer_htmx_with_the_message_fragment(client):
    response = client.hx_get("/print/no-such-thing.pdf?lang=sv")
    assert response.status_code == 404
    assert response.headers["X-Kiosk-Error"] == "404"
    assert "<html" not in response.get_data(as_text=True)


def test_post_is_not_allowed(client):
    assert client.post("/print/door-sign.pdf").status_code == 405


# ---- the cache ----------------------------------------------------------------


def test_a_second_request_is_served_without_rendering(make_app, frozen_clock):
    app = make_app()
    client = app.test_client()
    first = client.get("/print/support.pdf?lang=en")
    second = client.get("/print/support.pdf?lang=en")
    assert first.headers["X-Print-Cache"] == "rendered"
    assert second.headers["X-Print-Cache"] == "memory"
    assert second.data == first.data
    # Another worker (a new app on the same instance folder) finds it on disk.
    again = make_app().test_client().get("/print/support.pdf?lang=en")
    assert again.headers["X-Print-Cache"] == "disk"
    assert again.data == first.data
    cached = list((Path(app.instance_path) / "print-cache").rglob("*.pdf"))
    assert len(cached) == 1
    # A browser that has it gets a 304.
    etag = first.headers["ETag"]
    assert client.get("/print/support.pdf?lang=en", headers={"If-None-Match": etag}).status_code == 304


def test_languages_and_documents_are_cached_apart(client, frozen_clock):
    sv = client.get("/print/support.pdf?lang=sv")
    en = client.get("/print/support.pdf?lang=en")
    other = client.get("/print/suitability.pdf?lang=sv")
    assert {r.headers["X-Print-Cache"] for r in (sv, en, other)} == {"rendered"}
    assert pdf_text(sv.data) != pdf_text(en.data)


def test_a_content_change_is_never_served_from_the_cache(make_app, frozen_clock, tmp_path):
    content_dir = tmp_path / "content"
    shutil.copytree(Path(load_content().directory), content_dir,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    first_app = make_app(CONTENT_DIR=str(content_dir))
    before = first_app.test_client().get("/print/door-sign.pdf?lang=sv")
    assert "Här pågår videomöte - var god stör ej" in pdf_text(before.data)
    old_version = first_app.extensions["kiosk_content"].version

    document = content_dir / "sv" / "document.toml"
    document.write_text(document.read_text(encoding="utf-8").replace(
        'text = "Här pågår videomöte\\u00A0- var god stör ej"', 'text = "Här pågår ett provmöte - var god stör ej"'),
        encoding="utf-8")
    checklists = content_dir / "en" / "checklists.toml"
    checklists.write_text(checklists.read_text(encoding="utf-8").replace(
        'text = "Professional background"', 'text = "A tidy professional background"'), encoding="utf-8")

    # The same instance folder (the disk cache), the changed content: a restart.
    second_app = make_app(CONTENT_DIR=str(content_dir))
    new_version = second_app.extensions["kiosk_content"].version
    assert new_version != old_version
    client = second_app.test_client()
    after = client.get("/print/door-sign.pdf?lang=sv")
    assert after.headers["X-Print-Cache"] == "rendered"
    text = pdf_text(after.data)
    assert "Här pågår ett provmöte - var god stör ej" in text
    assert "Här pågår videomöte - var god stör ej" not in text
    assert new_version in text and old_version not in text
    checklist = client.get("/print/checklist-environment.pdf?lang=en")
    assert "A tidy professional background" in pdf_text(checklist.data)
    # The old version's PDFs are gone from the disk.
    assert not (Path(second_app.instance_path) / "print-cache" / old_version).exists()


def test_the_footer_has_the_print_date_and_a_new_day_renders_again(client, frozen_clock):
    first = client.get("/print/quick-reference.pdf?lang=sv")
    assert f"utskriven {PRINT_DATE}" in pdf_text(first.data)
    frozen_clock.advance(timedelta(days=1))
    second = client.get("/print/quick-reference.pdf?lang=sv")
    assert second.headers["X-Print-Cache"] == "rendered"
    assert "utskriven 2026-11-27" in pdf_text(second.data)


def test_the_print_date_is_the_date_in_stockholm(client):
    # 23:30 UTC on 31 December is already New Year's Day in Stockholm.
    clock.freeze(datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc))
    assert "printed 2027-01-01" in pdf_text(client.get("/print/support.pdf?lang=en").data)


@pytest.mark.parametrize("lang, words", [("sv", "Varning: rutinen gick ut 2028-06-11"),
                                         ("en", "Warning: the routine expired on 2028-06-11")])
def test_an_expired_routine_prints_a_warning_on_every_page(client, lang, words):
    clock.freeze(datetime(2028, 6, 12, 9, 0, tzinfo=timezone.utc))
    pdf = client.get(f"/print/patient-info.pdf?lang={lang}").data
    assert page_count(pdf) == 2
    for number in (1, 2):
        assert words in pdf_text(pdf, number)
    assert words in pdf_text(client.get(f"/print/door-sign.pdf?lang={lang}").data)


def test_a_valid_routine_prints_no_warning(rendered):
    for (name, lang), pdf in rendered["pdfs"].items():
        assert "Varning" not in pdf_text(pdf) and "Warning" not in pdf_text(pdf), name


# ---- the URL fetcher ----------------------------------------------------------


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x.css", "https://example.org/logo.png", "ftp://example.org/x",
    "file:///etc/passwd", (ASSETS_DIR / ".." / "render.py").as_uri(),
    (ASSETS_DIR.parent / "templates" / "printables" / "_base.html").as_uri(),
    ASSETS_DIR.as_uri() + "/../views.py", "file://otherhost" + str(ASSETS_DIR / "print.css"),
    (ASSETS_DIR / "no-such.css").as_uri(), "javascript:alert(1)",
])
def test_the_fetcher_refuses_anything_but_the_packages_assets(url):
    with pytest.raises(ValueError):
        AssetFetcher().fetch(url)


def test_the_fetcher_reads_the_packages_assets_and_data_urls():
    response = AssetFetcher().fetch((ASSETS_DIR / "print.css").as_uri())
    assert b"@page" in response.read()
    assert response.content_type == "text/css"
    assert AssetFetcher().fetch("data:text/plain,hej").read() == b"hej"


def test_the_fetcher_refuses_a_link_out_of_static(tmp_path, monkeypatch):
    from printables import render

    assets, outside = tmp_path / "static", tmp_path / "secret.css"
    assets.mkdir()
    outside.write_text("body {}")
    (assets / "print.css").write_text("@page {}")
    (assets / "link.css").symlink_to(outside)
    monkeypatch.setattr(render, "ASSETS_DIR", assets)
    assert AssetFetcher().fetch((assets / "print.css").as_uri()).read() == b"@page {}"
    with pytest.raises(ValueError):
        AssetFetcher().fetch((assets / "link.css").as_uri())


def test_rendering_never_calls_out_or_reads_outside_files(caplog):
    """A template with outside URLs renders, and nothing is fetched."""
    import http.server
    import threading

    from printables.render import write_pdf

    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(SHUTDOWN_POLL,), daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        pdf = write_pdf(f'''<!DOCTYPE html><html lang="sv"><head><title>x</title>
            <link rel="stylesheet" href="{base}/x.css"><link rel="stylesheet" href="../render.py"></head>
            <body><p>hej</p><img src="{base}/logo.png" alt="logo"><img src="file:///etc/hostname" alt="x"></body></html>''')
    finally:
        server.shutdown()
        server.server_close()
    assert pdf.startswith(b"%PDF")
    assert hits == []
    refused = [r.getMessage() for r in caplog.records if "printables fetch only their own assets" in r.getMessage()]
    assert len(refused) == 4


# ---- the index and the previews -------------------------------------------------


def test_index_offers_a_preview_and_a_download_of_every_printable(client, make_room):
    make_room(name="Videorum 1", slug="videorum-1")
    html = client.get("/print/?lang=sv").get_data(as_text=True)
    assert "<h1>Utskrifter</h1>" in html
    for name in NAMES:
        assert f'href="/print/{name}.html?lang=sv"' in html
        assert f'href="/print/{name}.pdf?lang=sv&amp;download=1" download' in html
        if name != "door-sign":  # bilingual: one PDF (issue 12)
            assert f'href="/print/{name}.pdf?lang=en&amp;download=1" hreflang="en" download' in html
    assert '<option value="videorum-1">Videorum 1</option>' in html
    english = client.get("/print/?lang=en").get_data(as_text=True)
    assert "<h1>Printables</h1>" in english and 'href="/print/support.pdf?lang=sv&amp;download=1" hreflang="sv"' in english


def test_index_without_rooms_has_no_room_form(client):
    assert 'name="room"' not in client.get("/print/").get_data(as_text=True)


def test_index_as_htmx_fragment(client):
    response = client.hx_get("/print/?lang=sv")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="printables"' in html
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", NAMES)
def test_previews_are_the_print_html_without_inline_style_or_script(client, name, lang):
    response = client.get(f"/print/{name}.html?lang={lang}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in html
    assert "<h1" in html
    assert not re.search(r"<style|<script|\sstyle=|data:text/css", html)
    assert "Content-Security-Policy" in response.headers
    assert DOCUMENT_ID in html


def test_a_documents_language_does_not_change_the_readers_language(client):
    for url in ("/print/support.pdf?lang=en", "/print/support.html?lang=en"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
    assert '<html lang="sv">' in client.get("/print/").get_data(as_text=True)


def test_the_lang_cookie_chooses_the_language_when_none_is_asked(client):
    client.get("/print/?lang=en")  # remembers English
    response = client.get("/print/support.pdf")
    assert response.status_code == 200
    assert PdfReader(io.BytesIO(response.data)).trailer["/Root"]["/Lang"] == "en"


# ---- the build command ----------------------------------------------------------


def test_build_writes_every_document_in_every_language_and_each_rooms_sign(
        print_app, rendered, make_room, frozen_clock, tmp_path):
    make_room(name="Videorum 1", slug="videorum-1")
    make_room(name="Videorum 2", slug="videorum-2")
    make_room(name="Stängt rum", slug="stangt", active=False)
    result = print_app.test_cli_runner().invoke(args=["printables", "build", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.pdf"))
    expected = sorted(
        [f"{lang}/{name}-{lang}.pdf" for lang in LANGS for name in NAMES]
        + [f"{lang}/door-sign-videorum-{n}-{lang}.pdf" for lang in LANGS for n in (1, 2)]
    )
    assert written == expected
    assert "Printables" in result.output  # the progress bar's label
    assert f"{len(expected)} PDFs written" in result.output
    for path in (tmp_path / "out").rglob("*.pdf"):
        assert path.read_bytes().startswith(b"%PDF")
    assert "Videorum 2" in pdf_text((tmp_path / "out" / "en" / "door-sign-videorum-2-en.pdf").read_bytes())


# ---- issue 12: no dangling dash, one bilingual sign, downloads that download ----


def _raw_lines(pdf: bytes) -> list[str]:
    out = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                         check=True).stdout.decode("utf-8")
    return [line.strip() for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("room", [None, "videorum-med-ett-langt-namn"])
def test_no_line_of_the_door_sign_ends_or_starts_with_a_dash(client, make_room, frozen_clock, lang, room):
    if room:
        make_room(name="Videorum med ett långt namn", slug=room)
    pdf = client.get("/print/door-sign.pdf", query_string={"lang": lang, **({"room": room} if room else {})}).data
    lines = _raw_lines(pdf)
    assert any("videomöte" in line for line in lines)
    dangling = [line for line in lines if line.endswith(("-", "–")) or line.startswith(("-", "–"))]
    assert not dangling, lines


def test_keep_dashes_binds_a_lone_dash_to_both_neighbours():
    assert fit.keep_dashes("Här pågår videomöte - var god stör ej") == \
        f"Här pågår videomöte{fit.NBSP}-{fit.NBSP}var god stör ej"
    assert fit.keep_dashes("ett – två") == f"ett{fit.NBSP}–{fit.NBSP}två"
    assert fit.keep_dashes("e-post utan lös bindestreck") == "e-post utan lös bindestreck"
    # The content binds the dash to the word before it; the sign binds the word after too.
    assert fit.keep_dashes(f"videomöte{fit.NBSP}- var god") == f"videomöte{fit.NBSP}-{fit.NBSP}var god"


@pytest.mark.parametrize("lang", LANGS)
def test_the_door_sign_is_offered_once_and_said_to_be_bilingual(client, lang):
    html = client.get(f"/print/?lang={lang}").get_data(as_text=True)
    item = html.split('<h3>', 1)[1].split("</li>", 1)[0]
    assert item.startswith(CONTENT.get(lang).t("print.doc.door-sign.title"))
    assert CONTENT.get(lang).t("print.bilingual") in item
    assert 'class="other-lang"' not in item
    # Other documents still come in the other language.
    assert html.count('class="other-lang"') == len(catalogue(CONTENT.get(lang))) - 1


def test_ladda_ner_pdf_downloads_and_other_links_open(client, make_room, frozen_clock):
    make_room(name="Videorum 3", slug="videorum-3")
    index = client.get("/print/").get_data(as_text=True)
    downloads = re.findall(r'<a class="button" href="([^"]+)" download aria-label="Ladda ner PDF', index)
    assert downloads and all("download=1" in href for href in downloads)
    assert all("download=1" in href for href in re.findall(r'<a class="other-lang" href="([^"]+)"', index))
    # The room form's download button asks for the file too; its preview button does not.
    assert '<button type="submit" name="download" value="1"' in index
    preview = client.get("/print/support.html").get_data(as_text=True)
    assert re.search(r'class="preview-download" href="[^"]*download=1', preview)
    saved = client.get("/print/support.pdf?download=1")
    assert saved.headers["Content-Disposition"] == 'attachment; filename="support-sv.pdf"'
    opened = client.get("/print/door-sign.pdf?room=videorum-3")
    assert opened.headers["Content-Disposition"].startswith("inline; ")
    assert client.get("/print/support.pdf?download=yes").headers["Content-Disposition"].startswith("inline; ")


# ---- alternatives and questions on paper (issue 12) --------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_identity_checklist_prints_its_alternatives_as_one_point(rendered, lang):
    text = pdf_text(rendered["pdfs"][("checklist-identity", lang)])
    identity = CONTENT.get(lang).checklists["identity"]
    group = identity.alternatives[0]
    items = {i.key: i for i in identity.items}
    # The group's text, then its two alternatives, then the rest.
    at = text.index(squash(group.text))
    assert at < text.index(squash(items["bankid"].text)) < text.index(squash(items["without-bankid"].text)) \
        < text.index(squash(items["proxy"].text))
    assert {"sv": "ett av alternativen", "en": "one of the alternatives"}[lang] in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_suitability_checklist_prints_questions_with_yes_and_no_apart_from_the_journal(rendered, lang):
    text = pdf_text(rendered["pdfs"][("checklist-suitability", lang)])
    c = CONTENT.get(lang)
    suitability = c.checklists["suitability"]
    yes, no = c.t("print.answer.yes"), c.t("print.answer.no")
    questions_at = text.index(c.t("checklists.questions_heading"))
    others_at = text.index(c.t("checklists.others_heading"))
    assert questions_at < others_at
    asked = text[questions_at:others_at]
    assert len(re.findall(rf"\b{yes}\b", asked)) == 4 and len(re.findall(rf"\b{no}\b", asked)) == 4
    # What a "no" means stands with the questions; the journal items come after.
    assert squash(suitability.if_incomplete) in asked
    for item in suitability.items:
        assert (squash(item.text) in asked) == item.question, item.key
        if not item.question:
            assert squash(item.text) in text[others_at:]



@pytest.mark.parametrize("lang", LANGS)
def test_the_handout_has_lines_to_write_the_time_and_phone_on_and_says_how_to_get_the_app(rendered, lang):
    pdf = rendered["pdfs"][("patient-info", lang)]
    c = CONTENT.get(lang)
    first = pdf_text(pdf, 1)
    box = first[first.index(c.t("print.handout.appointment")):]
    labels = [c.t(f"print.handout.{k}") for k in ("date", "time", "phone")]
    assert box.index(labels[0]) < box.index(labels[1]) < box.index(labels[2])
    # Three blank lines drawn under the labels (vector lines, not underscores).
    assert "____" not in first
    app = {"sv": "Hämta appen Mitt Vårdmöte", "en": "Get the Mitt Vårdmöte app"}[lang]
    assert app in first and "App Store" in first and "Google Play" in first
    assert page_count(pdf) == 2


def test_the_handout_draws_three_write_in_lines(print_app):
    """The blank lines are boxes with a bottom border as wide as the text column's rest."""
    from printables.documents import PrintJob, catalogue as cat
    from printables.render import html_for

    with print_app.test_request_context():
        job = PrintJob(cat(CONTENT.get("sv"))["patient-info"], "sv")
        html = html_for(job, preview=False)
    assert html.count('class="blank-line"') == 3
    assert "RHS9919" not in html.split("<main", 1)[0].split("<footer", 1)[1]  # not in the footer
