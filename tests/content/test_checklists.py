"""Checklists: every checklist from the content, ticking with htmx and without
JavaScript, ticks kept per browser, reset, bad keys and bad input."""

import re

import pytest
from flask import session, url_for
from markupsafe import escape

from kiosk.checklists import ticks as ticks_module
from kiosk.checklists.ticks import BrowserTicks, use_ticks


def _content(app, lang):
    return app.extensions["kiosk_content"].get(lang)


def _progress(html: str) -> str:
    match = re.search(r'class="progress-text"><strong>([^<]+)</strong>', html)
    assert match, "no progress line"
    return match.group(1)


# ---- pages ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_index_lists_every_checklist(client, app, lang):
    r = client.get(f"/checklists/?lang={lang}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert f'<html lang="{lang}">' in html
    for checklist in _content(app, lang).checklists.values():
        assert f'href="/checklists/{checklist.key}"' in html
        assert str(escape(checklist.title)) in html


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_checklist_shows_items_help_and_requirements(client, app, lang):
    content = _content(app, lang)
    assert set(content.checklists) >= {"suitability", "identity", "equipment", "environment",
                                       "dress", "meeting-start", "ending"}
    for checklist in content.checklists.values():
        r = client.get(f"/checklists/{checklist.key}?lang={lang}")
        html = r.get_data(as_text=True)
        assert r.status_code == 200, checklist.key
        assert f"<h1>{escape(checklist.title)}</h1>" in html
        for req in checklist.req:
            assert re.search(rf'<span class="req" data-req="[^"]*\b{req}\b', html), req
        for item in checklist.items:
            item_id = f"{checklist.key}-{item.key}"
            assert f'id="item-{item_id}"' in html
            assert str(escape(item.text)) in html
            for req in item.req:
                assert re.search(rf'<span class="req" data-req="[^"]*\b{req}\b', html), req
            if item.help:
                # The help is read with the item (aria-describedby), not hidden;
                # a question's help is read with its Ja/Nej group.
                assert f'aria-describedby="help-{item_id}"' in html
                assert f'<p id="help-{item_id}" class="tick-help">{escape(item.help)}</p>' in html
        # A group of alternatives is one point.
        points = len(checklist.items) - sum(len(g.items) - 1 for g in checklist.alternatives)
        expected = {"sv": f"0 av {points} avbockade.", "en": f"0 of {points} ticked."}[lang]
        assert _progress(html) == expected
        # The directory links to every checklist and guide from here too.
        for guide in content.guides:
            assert f'href="/guides/{guide}"' in html


def test_checklist_as_htmx_fragment(client):
    r = client.hx_get("/checklists/environment")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<html" not in html and "<h1>" not in html
    assert html.strip().startswith('<div id="checklist-environment"')
    assert 'id="progress-environment"' in html
    assert "HX-Request" in r.headers["Vary"]


def test_suitability_says_all_must_be_yes_and_what_to_do_otherwise(client, app):
    suitability = _content(app, "sv").checklists["suitability"]
    html = client.get("/checklists/suitability").get_data(as_text=True)
    assert 'class="if-incomplete"' in html
    assert "Om en punkt inte går att bocka av" in html
    assert str(escape(suitability.if_incomplete)) in html
    assert "Boka ett fysiskt besök i stället." in html
    assert "Alla punkter ska vara avbockade." in html
    for item in suitability.items:
        client.form_post(f"/checklists/suitability/items/{item.key}", {"ticked": "1"})
    html = client.get("/checklists/suitability").get_data(as_text=True)
    assert _progress(html) == "6 av 6 avbockade."
    assert "Alla punkter är avbockade." in html


def test_unknown_checklist_is_404(client):
    assert client.get("/checklists/no-such-list").status_code == 404
    assert client.form_post("/checklists/no-such-list/items/x", {"ticked": "1"}).status_code == 404
    assert client.form_post("/checklists/no-such-list/reset").status_code == 404


# ---- ticking ----------------------------------------------------------------


def test_tick_with_htmx_swaps_the_item_and_the_progress_out_of_band(client):
    r = client.hx_post("/checklists/environment/items/lighting", {"ticked": "1"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "HX-Request" in r.headers["Vary"]
    item, _, oob = html.partition('<div id="progress-environment"')
    assert item.strip().startswith('<li id="item-environment-lighting" class="tick-item is-ticked">')
    assert 'role="checkbox" aria-checked="true"' in item
    assert 'name="ticked" value="0"' in item  # the next press unticks
    assert 'data-hx-swap-oob="innerHTML"' in oob
    assert "1 av 5 avbockade." in oob
    assert "<html" not in html


def test_progress_counts_four_of_six(client):
    for key in ("without-physical-meeting", "suits-patient", "enough-information", "follow-up"):
        r = client.hx_post(f"/checklists/suitability/items/{key}", {"ticked": "1"})
    assert "4 av 6 avbockade." in r.get_data(as_text=True)
    client.get("/?lang=en")
    r = client.hx_post("/checklists/suitability/items/follow-up", {"ticked": "1"})
    assert "4 of 6 ticked." in r.get_data(as_text=True)


def test_tick_as_plain_form_redirects_303_back_to_the_item(client):
    r = client.form_post("/checklists/dress/items/name-tag", {"ticked": "1"})
    assert r.status_code == 303
    assert r.headers["Location"] == "/checklists/dress#item-dress-name-tag"
    html = client.get("/checklists/dress").get_data(as_text=True)
    assert re.search(r'id="tick-dress-name-tag" class="tick" role="checkbox" aria-checked="true"', html)
    assert _progress(html) == "1 av 2 avbockade."


def test_untick_and_ticking_twice_changes_nothing(client):
    client.form_post("/checklists/dress/items/name-tag", {"ticked": "1"})
    client.form_post("/checklists/dress/items/name-tag", {"ticked": "1"})
    assert _progress(client.get("/checklists/dress").get_data(as_text=True)) == "1 av 2 avbockade."
    client.form_post("/checklists/dress/items/name-tag", {"ticked": "0"})
    assert _progress(client.get("/checklists/dress").get_data(as_text=True)) == "0 av 2 avbockade."


def test_bad_item_key_is_404_and_nothing_is_stored(client):
    r = client.hx_post("/checklists/dress/items/no-such-item", {"ticked": "1"})
    assert r.status_code == 404
    # An item of another checklist is not an item of this one.
    assert client.form_post("/checklists/dress/items/lighting", {"ticked": "1"}).status_code == 404
    with client.session_transaction() as s:
        assert not s.get(ticks_module.SESSION_KEY)


@pytest.mark.parametrize("value", ["", "yes", "2", "true"])
def test_bad_tick_value_is_400_with_a_clear_message(client, value):
    r = client.form_post("/checklists/dress/items/name-tag", {"ticked": value})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Det gick inte att läsa om punkten skulle bockas av" in html
    with client.session_transaction() as s:
        assert not s.get(ticks_module.SESSION_KEY)


def test_bad_tick_value_with_htmx_goes_to_the_message_area(client):
    r = client.hx_post("/checklists/dress/items/name-tag", {})
    assert r.status_code == 400
    assert r.headers["HX-Retarget"] == "#messages"
    assert r.headers["X-Kiosk-Error"] == "400"
    assert "inget har ändrats" in r.get_data(as_text=True)


def test_tick_without_csrf_token_is_refused(client):
    r = client.post("/checklists/dress/items/name-tag", data={"ticked": "1"})
    assert r.status_code == 400
    assert _progress(client.get("/checklists/dress").get_data(as_text=True)) == "0 av 2 avbockade."


def test_ticks_belong_to_one_browser_only(app):
    alice, bob = app.test_client(), app.test_client()
    alice.form_post("/checklists/environment/items/lighting", {"ticked": "1"})
    assert _progress(alice.get("/checklists/environment").get_data(as_text=True)) == "1 av 5 avbockade."
    assert _progress(bob.get("/checklists/environment").get_data(as_text=True)) == "0 av 5 avbockade."
    assert "Bockarna sparas bara i den här webbläsaren" in bob.get("/checklists/environment").get_data(as_text=True)


def test_reset_unticks_only_that_checklist(client):
    client.form_post("/checklists/environment/items/lighting", {"ticked": "1"})
    client.form_post("/checklists/dress/items/name-tag", {"ticked": "1"})
    r = client.form_post("/checklists/environment/reset")
    assert r.status_code == 303 and r.headers["Location"] == "/checklists/environment"
    assert _progress(client.get("/checklists/environment").get_data(as_text=True)) == "0 av 5 avbockade."
    assert _progress(client.get("/checklists/dress").get_data(as_text=True)) == "1 av 2 avbockade."


def test_reset_with_htmx_returns_the_whole_checklist(client):
    client.hx_post("/checklists/dress/items/name-tag", {"ticked": "1"})
    r = client.hx_post("/checklists/dress/reset")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert html.strip().startswith('<div id="checklist-dress"')
    assert "0 av 2 avbockade." in html and 'aria-checked="true"' not in html


def test_index_shows_how_far_this_browser_has_come(client):
    client.form_post("/checklists/dress/items/name-tag", {"ticked": "1"})
    html = client.get("/checklists/").get_data(as_text=True)
    assert "1 av 2 avbockade." in html


def test_a_stale_tick_from_older_content_counts_nothing(client):
    with client.session_transaction() as s:
        s[ticks_module.SESSION_KEY] = {"dress": ["gone-item", "name-tag"]}
    assert _progress(client.get("/checklists/dress").get_data(as_text=True)) == "1 av 2 avbockade."


# ---- the seam for room sessions ---------------------------------------------


class RecordingTicks:
    """A stand-in for a store installed for a request, ticked on the desk's own routes."""

    scope = "room"

    def __init__(self):
        self.data: dict[str, dict[str, str]] = {}

    def marks(self, checklist_key):
        return dict(self.data.get(checklist_key, {}))

    def set(self, checklist_key, item_key, state):
        marks = self.data.setdefault(checklist_key, {})
        if state is None:
            marks.pop(item_key, None)
        else:
            marks[item_key] = state

    def reset(self, checklist_key):
        self.data.pop(checklist_key, None)

    def tick_url(self, checklist_key, item_key):
        return url_for("checklists.tick", key=checklist_key, item=item_key)

    def reset_url(self, checklist_key):
        return url_for("checklists.reset", key=checklist_key)


def test_an_installed_store_gets_the_ticks_instead_of_the_browser(app):
    room = RecordingTicks()
    app.before_request(lambda: use_ticks(room))
    client = app.test_client()
    r = client.hx_post("/checklists/equipment/items/chrome", {"ticked": "1"})
    assert "1 av 6 avbockade." in r.get_data(as_text=True)
    assert room.data == {"equipment": {"chrome": "done"}}
    html = client.get("/checklists/equipment").get_data(as_text=True)
    assert "Bockarna hör till rummets pågående möte." in html
    with client.session_transaction() as s:
        assert not s.get(ticks_module.SESSION_KEY)


def test_browser_ticks_store_sorted_keys_in_the_session(app):
    with app.test_request_context("/"):
        store = BrowserTicks()
        store.set("dress", "name-tag", "done")
        store.set("dress", "work-clothing", "done")
        store.set("dress", "name-tag", None)
        assert store.marks("dress") == {"work-clothing": "done"}
        assert session[ticks_module.SESSION_KEY] == {"dress": ["work-clothing"]}
        store.set("identity", "proxy", "na")
        store.set("identity", "bankid", "done")
        store.set("identity", "bankid", "na")  # a mark replaces the other
        assert store.marks("identity") == {"proxy": "na", "bankid": "na"}
        assert session[ticks_module.NA_SESSION_KEY] == {"identity": ["bankid", "proxy"]}
        store.reset("dress")
        store.reset("identity")
        assert session[ticks_module.SESSION_KEY] == {} and session[ticks_module.NA_SESSION_KEY] == {}


# ---- "does not apply" ---------------------------------------------------------------------


def test_an_item_that_may_not_apply_can_be_marked_so_and_leaves_the_count(client):
    """"Gäller inte" takes the item out of the count; it never fills the bar."""
    html = client.get("/checklists/identity").get_data(as_text=True)
    assert html.count('class="secondary na-toggle" aria-pressed="false"') == 5  # every identity item may not apply
    assert "Varje punkt ska vara avbockad eller markerad ”Gäller inte”." in html
    assert "Alla punkter ska vara avbockade." in client.get("/checklists/suitability").get_data(as_text=True)
    r = client.hx_post("/checklists/identity/items/child-guardian", {"ticked": "na"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="item-identity-child-guardian" class="tick-item is-na"' in body
    assert 'aria-pressed="true"' in body and "gäller inte i det här mötet" in body
    assert 'aria-checked="false"' in body  # not ticked: settled another way
    assert _progress(body) == "0 av 3 avbockade." and "(1 gäller inte.)" in body
    assert '<progress max="3" value="0"' in body
    for item in ("proxy", "child-journal", "without-bankid"):
        client.hx_post(f"/checklists/identity/items/{item}", {"ticked": "na"})
    r = client.hx_post("/checklists/identity/items/bankid", {"ticked": "1"})
    body = r.get_data(as_text=True)
    assert "1 av 1 avbockade." in body and "(4 gäller inte.)" in body and "is-complete" in body
    # Ticking an item marked "does not apply" makes it ticked; "0" unmarks either.
    body = client.hx_post("/checklists/identity/items/proxy", {"ticked": "1"}).get_data(as_text=True)
    assert "(3 gäller inte.)" in body and 'class="tick-item is-ticked"' in body
    body = client.hx_post("/checklists/identity/items/proxy", {"ticked": "0"}).get_data(as_text=True)
    assert "1 av 2 avbockade." in body
    en = client.get("/checklists/identity?lang=en").get_data(as_text=True)
    assert "Does not apply" in en and "(3 not applicable.)" in en


def test_an_item_that_always_applies_cannot_be_waved_away(client):
    r = client.form_post("/checklists/equipment/items/headset", {"ticked": "na"})
    assert r.status_code == 400 and "gäller alltid" in r.get_data(as_text=True)
    assert "0 av 6 avbockade." in client.get("/checklists/equipment").get_data(as_text=True)
    assert "na-toggle" not in client.get("/checklists/equipment").get_data(as_text=True)


def test_a_forged_na_in_the_cookie_on_an_item_that_always_applies_counts_nothing(client):
    with client.session_transaction() as s:
        s[ticks_module.NA_SESSION_KEY] = {"dress": ["name-tag"], "identity": "not-a-list"}
    assert _progress(client.get("/checklists/dress").get_data(as_text=True)) == "0 av 2 avbockade."
    assert _progress(client.get("/checklists/identity").get_data(as_text=True)) == "0 av 4 avbockade."


def test_na_without_javascript_redirects_back_to_the_item(client):
    r = client.form_post("/checklists/ending/items/save-attachments", {"ticked": "na"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/checklists/ending#item-ending-save-attachments")
    assert "(1 gäller inte.)" in client.get("/checklists/ending").get_data(as_text=True)


def test_a_readiness_checklist_cannot_hold_an_item_that_may_not_apply():
    from pydantic import ValidationError

    from kiosk.content import schema

    with pytest.raises(ValidationError, match="readiness checklist's items always apply; may_not_apply on headset"):
        schema.Checklist(key="equipment", title="Utrustning", readiness=True, req=["R15"],
                         items=[{"key": "headset", "text": "Headset", "may_not_apply": True, "req": ["R15"]}])


# ---- markup rules for every page of this part --------------------------------

PAGES = ["/checklists/", "/checklists/suitability", "/guides/", "/guides/no-show", "/guides/support",
         "/check/devices", "/search", "/search?q=ljud"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_keep_the_csp_and_htmx_rules(client, path):
    """No inline script or style (the CSP forbids them), only data-hx-*
    attributes, and nothing htmx would need eval for."""
    html = client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"<style\b", html), "style element"
    assert not re.search(r"\sstyle=", html), "style attribute"
    assert not re.search(r"\son[a-z]+=", html), "event handler attribute"
    assert not re.search(r"\s(hx|data-hx)-on", html), "hx-on"
    assert not re.search(r"(?<!data-)\bhx-[a-z-]+=", html), "hx-* without data-"
    assert "js:" not in html and "javascript:" not in html
    for trigger in re.findall(r'data-hx-trigger="([^"]*)"', html):
        assert "[" not in trigger, f"trigger filter needs eval: {trigger}"


# ---- alternatives and yes/no questions (issue 12) ---------------------------------


def test_identity_is_not_complete_when_both_alternatives_do_not_apply(client):
    """BankID or the inviter's own check: one must be ticked. "Gäller inte" on
    both (and on every other item) once gave "5 av 5 ... Alla punkter är avbockade"."""
    html = client.get("/checklists/identity").get_data(as_text=True)
    # The two alternatives sit together under the group's text, as one point.
    group = html[html.index('class="alternatives"'):]
    group = group[:group.index("</ul>")]
    assert "bocka av ett av alternativen" in group
    assert "Av alternativen under ”Patientens identitet är säkerställd – bocka av ett av alternativen” ska ett " \
        "vara avbockat; ”Gäller inte” på alla räcker inte." in html
    assert 'id="item-identity-bankid"' in group and 'id="item-identity-without-bankid"' in group
    assert 'id="item-identity-proxy"' not in group
    for item in ("bankid", "without-bankid", "proxy", "child-guardian", "child-journal"):
        body = client.hx_post(f"/checklists/identity/items/{item}", {"ticked": "na"}).get_data(as_text=True)
    assert _progress(body) == "0 av 1 avbockade." and "(5 gäller inte.)" in body
    assert '<progress max="1" value="0"' in body  # nothing ticked: an empty bar
    assert "is-complete" not in body and "Alla punkter är avbockade" not in body
    assert "Ännu inte klart: Patientens identitet är säkerställd" in body
    # Ticking either alternative completes it.
    for done in ("without-bankid", "bankid"):
        body = client.hx_post(f"/checklists/identity/items/{done}", {"ticked": "1"}).get_data(as_text=True)
        assert _progress(body) == "1 av 1 avbockade." and "Alla punkter är avbockade." in body
        client.hx_post(f"/checklists/identity/items/{done}", {"ticked": "na"})
    page = client.get("/checklists/identity?lang=en").get_data(as_text=True)
    assert _progress(page) == "0 of 1 ticked." and "Every item is ticked." not in page
    assert "Not done yet: The patient&#39;s identity is ensured" in page
    # The index counts points the same way.
    assert "0 av 1 avbockade." in client.get("/checklists/?lang=sv").get_data(as_text=True)


def test_a_progress_counts_alternatives_and_questions_once(app):
    with app.test_request_context():
        content = app.extensions["kiosk_content"].get("sv")
        identity, suitability = content.checklists["identity"], content.checklists["suitability"]
        na_all = {i.key: "na" for i in identity.items}
        assert not identity.progress(na_all).complete
        assert identity.progress(na_all).open_alternatives == ["identity-checked"]
        assert identity.progress({**na_all, "without-bankid": "done"}).complete
        yes = {i.key: "done" for i in suitability.items}
        assert suitability.progress(yes).complete
        no = {**yes, "follow-up": "no"}
        p = suitability.progress(no)
        assert not p.complete and p.answered_no == ["follow-up"] and p.done == p.total - 1
        # "no" on an item that is no question counts as nothing answered.
        assert suitability.progress({**yes, "journal-as-usual": "no"}).answered_no == []


def test_suitability_asks_four_questions_yes_or_no(client):
    html = client.get("/checklists/suitability").get_data(as_text=True)
    questions = html[html.index("Frågor att besvara med ja eller nej"):html.index("Bokning och journal")]
    rest = html[html.index("Bokning och journal"):]
    for key in ("without-physical-meeting", "suits-patient", "enough-information", "follow-up"):
        assert f'id="item-suitability-{key}" class="tick-item question-item"' in questions
        assert f'id="yes-suitability-{key}" class="answer" aria-pressed="false">Ja<' in questions
        assert f'id="no-suitability-{key}" class="answer" aria-pressed="false">Nej<' in questions
    # The two journal items stand apart, ticked as before.
    for key in ("booked-in-both", "journal-as-usual"):
        assert f'id="tick-suitability-{key}"' in rest and f"yes-suitability-{key}" not in html
    assert html.count('role="group"') == 4
    # A "Nej" says what follows, in the item and in the progress.
    r = client.hx_post("/checklists/suitability/items/suits-patient", {"ticked": "no"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'class="tick-item question-item is-no"' in body
    assert 'id="no-suitability-suits-patient" class="answer is-pressed" aria-pressed="true"' in body
    assert "lämpar sig besöket inte för ett digitalt vårdmöte" in body
    assert "Boka ett fysiskt besök i stället." in body and "is-no" in body
    assert 'data-hx-swap-oob="innerHTML"' in body
    # Yes to everything else is still not complete while one answer is no.
    for key in ("without-physical-meeting", "enough-information", "follow-up"):
        client.hx_post(f"/checklists/suitability/items/{key}", {"ticked": "1"})
    for key in ("booked-in-both", "journal-as-usual"):
        client.hx_post(f"/checklists/suitability/items/{key}", {"ticked": "1"})
    page = client.get("/checklists/suitability").get_data(as_text=True)
    assert _progress(page) == "5 av 6 avbockade." and "Alla punkter är avbockade" not in page
    assert "Besvarad med nej:" in page
    # Changing the answer to yes completes it; the no-form posts "0" while pressed.
    assert 'name="ticked" value="0"' in page
    body = client.hx_post("/checklists/suitability/items/suits-patient", {"ticked": "1"}).get_data(as_text=True)
    assert "6 av 6 avbockade." in body and "Alla punkter är avbockade." in body and "Besvarad med nej" not in body
    en = client.get("/checklists/suitability?lang=en").get_data(as_text=True)
    assert ">Yes<" in en and ">No<" in en and "Questions to answer yes or no" in en


def test_suitability_without_javascript_and_bad_answers(client):
    r = client.form_post("/checklists/suitability/items/follow-up", {"ticked": "no"})
    assert r.status_code == 303
    assert "Besvarad med nej:" in client.get("/checklists/suitability").get_data(as_text=True)
    # "no" only for a question; "na" never for a question.
    r = client.hx_post("/checklists/suitability/items/journal-as-usual", {"ticked": "no"})
    assert r.status_code == 400 and "ingen ja/nej-fråga" in r.get_data(as_text=True)
    r = client.form_post("/checklists/identity/items/bankid", {"ticked": "no"})
    assert r.status_code == 400
    r = client.form_post("/checklists/suitability/items/follow-up", {"ticked": "na"})
    assert r.status_code == 400 and "gäller alltid" in r.get_data(as_text=True)
    # A forged "no" in the cookie on an item that is no question counts nothing.
    with client.session_transaction() as s:
        s[ticks_module.NO_SESSION_KEY] = {"suitability": ["journal-as-usual"], "identity": ["bankid"]}
    page = client.get("/checklists/suitability").get_data(as_text=True)
    assert "Besvarad med nej:" not in page and _progress(page) == "0 av 6 avbockade."
    with client.session_transaction() as s:
        s[ticks_module.NO_SESSION_KEY] = {"suitability": ["journal-as-usual", "follow-up"]}
    page = client.get("/checklists/suitability").get_data(as_text=True)
    assert "journal-as-usual" in page and "Besvarad med nej:" in page  # follow-up is still no
    assert "Besvarad med nej:" not in client.get("/checklists/identity").get_data(as_text=True)
