"""Search: checklists and guides found by words, server-side, in the user's
language; a plain GET page and an htmx fragment; the directory partial."""

import re

import pytest
from flask import render_template_string
from markupsafe import escape

from kiosk.search.finder import fold, query_words, search


def _content(app, lang):
    return app.extensions["kiosk_content"].get(lang)


def _hit_titles(html: str) -> list[str]:
    return re.findall(r'<p class="hit-title"><a href="[^"]+">([^<]+)</a>', html)


def test_search_page_without_words_lists_everything(client, app):
    r = client.get("/search")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    content = _content(app, "sv")
    for checklist in content.checklists:
        assert f'href="/checklists/{checklist}"' in html
    for guide in content.guides:
        assert f'href="/guides/{guide}"' in html
    assert 'href="/check/devices"' in html


def test_search_finds_by_words_in_swedish(client):
    html = client.get("/search?q=BankID").get_data(as_text=True)
    assert _hit_titles(html) == ["Identitet och deltagare", "Tolk, anhörig eller ombud i mötet"]
    assert "2 träffar för ”BankID”." in html
    assert 'href="/checklists/identity#item-identity-bankid"' in html


def test_search_matches_step_texts_and_links_to_the_step(client):
    html = client.get("/search?q=Återuppta").get_data(as_text=True)
    assert "Mötet bryts" in _hit_titles(html)
    assert 'href="/guides/call-broken#step-resume"' in html


def test_every_word_must_match(client):
    both = _hit_titles(client.get("/search?q=ring+patienten").get_data(as_text=True))
    assert "Patienten ansluter inte" in both
    assert _hit_titles(client.get("/search?q=patienten+zebra").get_data(as_text=True)) == []


def test_search_ignores_case_and_accents(client):
    html = client.get("/search?q=namnskylt+KLADSEL").get_data(as_text=True)
    assert _hit_titles(html) == ["Klädsel"]


def test_search_in_english(client):
    html = client.get("/search?q=voicemail&lang=en").get_data(as_text=True)
    assert _hit_titles(html) == ["The patient does not join"]
    assert "1 hit for “voicemail”." in html
    # Swedish words do not find English pages.
    assert _hit_titles(client.get("/search?q=röstmeddelande").get_data(as_text=True)) == []


def test_no_hits_says_so(client):
    html = client.get("/search?q=zebra").get_data(as_text=True)
    assert str(escape("Inga träffar för ”zebra”.")) in html
    assert '<ul class="hits">' not in html


def test_search_as_htmx_returns_the_list_and_the_count_out_of_band(client):
    r = client.hx_get("/search?q=ljud")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<html" not in html and "<h1>" not in html
    assert '<ul class="hits">' in html
    assert re.search(r'<p id="search-status" data-hx-swap-oob="innerHTML">\d+ träffar för ”ljud”\.</p>', html)
    assert "HX-Request" in r.headers["Vary"]


def test_search_as_htmx_without_words_gives_the_whole_directory(client):
    html = client.hx_get("/search?q=").get_data(as_text=True)
    assert 'href="/checklists/suitability"' in html and 'href="/guides/no-show"' in html
    assert '<p id="search-status" data-hx-swap-oob="innerHTML"></p>' in html


def test_search_box_is_live_with_htmx_and_a_plain_get_form(client):
    html = client.get("/search").get_data(as_text=True)
    assert '<form class="search-form" role="search" method="get" action="/search">' in html
    assert 'data-hx-get="/search"' in html
    assert 'data-hx-trigger="input changed delay:300ms, search"' in html
    assert 'data-hx-target="#search-results"' in html
    assert '<label for="search-q">' in html


def test_markup_in_the_query_is_escaped(client):
    html = client.get("/search?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_a_very_long_query_is_cut(client):
    r = client.get("/search?q=" + "a" * 5000)
    assert r.status_code == 200


def test_directory_partial_works_on_any_page(app):
    """The lead includes it on the start page and staff pages: it needs only
    the request's usual template context."""
    with app.test_request_context("/"):
        app.preprocess_request()
        html = render_template_string('{% include "search/_directory.html" %}')
    content = _content(app, "sv")
    for checklist in content.checklists.values():
        assert f'<a href="/checklists/{checklist.key}">{escape(checklist.title)}</a>' in html
    for guide in content.guides.values():
        assert f'<a href="/guides/{guide.key}">{escape(guide.title)}</a>' in html
    assert 'id="search-q"' in html


def test_directory_marks_the_current_page(client):
    html = client.get("/guides/support").get_data(as_text=True)
    assert '<a href="/guides/support" aria-current="page">' in html


def test_query_words():
    assert query_words("  Ring, patienten! ring ") == ["ring", "patienten"]
    assert fold("Vårdmöte") == "vardmote"
    assert query_words("” ” ...") == []


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_checklist_and_guide_can_be_found_by_its_title(app, lang):
    content = _content(app, lang)
    for entry in list(content.checklists.values()) + list(content.guides.values()):
        hits = search(content, entry.title)
        assert hits and hits[0].key == entry.key, entry.title


# ---- issue 12: every page, stemming, never a dead end, the header -----------


def test_ljud_finds_the_device_check_first(client):
    html = client.get("/search?q=ljud").get_data(as_text=True)
    titles = _hit_titles(html)
    assert titles[0] == "Testa kamera, mikrofon och ljud"
    assert '<a href="/check/devices">Testa kamera, mikrofon och ljud</a> <span class="hit-kind">Sida</span>' in html


@pytest.mark.parametrize("q", ["tolk", "tolken", "tolkarna", "Tolk"])
def test_tolk_finds_the_third_participant_guide_by_its_stem(client, q):
    titles = _hit_titles(client.get(f"/search?q={q}").get_data(as_text=True))
    assert titles[0] == "Tolk, anhörig eller ombud i mötet"


def test_english_is_stemmed_in_english(client):
    titles = _hit_titles(client.get("/search?q=interpreters&lang=en").get_data(as_text=True))
    assert titles[0] == "Interpreter, relative or proxy in the meeting"
    assert _hit_titles(client.get("/search?q=sound&lang=en").get_data(as_text=True))[0] == \
        "Test camera, microphone and sound"


@pytest.mark.parametrize("q, title", [("utskrifter", "Utskrifter"), ("dokumentstyrning", "Om rutinen"),
                                      ("tillgänglighet", "Tillgänglighet för Vårdmöteskiosken")])
def test_page_titles_and_headings_are_found(client, app, q, title):
    assert title in _hit_titles(client.get(f"/search?q={q}").get_data(as_text=True))


def test_a_stem_finds_words_inside_compounds_but_a_short_word_only_at_the_start(app):
    content = _content(app, "sv")
    assert "identity" in [h.key for h in search(content, "kontroll")]  # "identitetskontrollen"
    # "ring" must not find "uppkoppling" (infix is for stems of four letters or more).
    from kiosk.search.finder import _matches
    assert not _matches("ring", frozenset({"uppkoppling"}), {"uppkoppling": "uppkoppl"})
    assert _matches("kamer", frozenset({"webbkamera"}), {"webbkamera": "webbkamer"})


def test_a_misspelled_word_offers_the_nearest_pages(client):
    r = client.get("/search?q=tolc")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert str(escape("Inga träffar för ”tolc”.")) in html
    near = re.search(r'<h3 id="search-near">Närmaste sidor</h3>(.*?)</ul>', html, re.S)
    assert near and 'href="/guides/third-participant"' in near.group(1)


def test_nothing_near_offers_the_contacts(client, app):
    for html in (client.get("/search?q=zebra").get_data(as_text=True),
                 client.hx_get("/search?q=zebra").get_data(as_text=True)):
        assert "Inga sidor ligger nära" in html
        for contact in _content(app, "sv").contacts.values():
            assert str(escape(contact.name)) in html
        assert 'href="tel:' in html


@pytest.mark.parametrize("path", ["/", "/checklists/", "/guides/no-show", "/check/devices", "/printables/",
                                  "/about", "/admin/login", "/search?q=ljud"])
def test_every_staff_page_has_the_search_field_in_its_header(client, path):
    html = client.get(path).get_data(as_text=True)
    header = html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    assert '<form class="site-search" role="search" method="get" action="/search" aria-label="Sök i kiosken">' in header
    assert '<input type="search" id="site-search-q" name="q"' in header


def test_kiosk_surfaces_have_no_search_field(client):
    html = client.get("/pair").get_data(as_text=True)
    assert "site-search" not in html and "<header" not in html
