"""Issue 12 on the staff pages: the routine's requirement ids folded behind
"Källa i rutinen", and a third participant (interpreter, relative, proxy) in
the meeting-start checklist and a guide, with the unit's own sentences marked."""

import re

import pytest
from markupsafe import escape


def _content(app, lang):
    return app.extensions["kiosk_content"].get(lang)


# ---- requirement ids behind a disclosure ------------------------------------

SOURCE = {"sv": "Källa i rutinen", "en": "Source in the routine"}


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("path", ["/checklists/", "/checklists/suitability", "/guides/", "/guides/no-show",
                                  "/guides/third-participant"])
def test_requirement_ids_sit_only_inside_a_source_disclosure(client, lang, path):
    html = client.get(f"{path}?lang={lang}").get_data(as_text=True)
    tags = re.findall(r'<span class="req">R\d+</span>', html)
    if path != "/guides/":
        assert tags, path
    # Every id is inside a closed <details> whose summary names the routine as the source.
    outside = re.sub(r"<details class=\"req-tags\">.*?</details>", "", html, flags=re.S)
    assert '<span class="req">' not in outside
    for block in re.findall(r"<details class=\"req-tags\">.*?</details>", html, flags=re.S):
        assert f"<summary>{SOURCE[lang]}</summary>" in block


# ---- interpreter, relative, proxy -------------------------------------------


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_meeting_start_has_a_third_participant_step_that_may_not_apply(client, app, lang):
    checklist = _content(app, lang).checklists["meeting-start"]
    item = next(i for i in checklist.items if i.key == "third-participant")
    assert item.may_not_apply and item.unit_text
    assert {"R6", "R7"} <= set(item.req)
    html = client.get(f"/checklists/meeting-start?lang={lang}").get_data(as_text=True)
    assert 'id="item-meeting-start-third-participant"' in html
    assert 'id="na-meeting-start-third-participant"' in html
    # The guide is named in the step's help, so the clinician finds it.
    assert _content(app, lang).guides["third-participant"].title in item.help


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_third_participant_guide_stays_within_the_routine_and_marks_the_units_sentences(client, app, lang):
    content = _content(app, lang)
    guide = content.guides["third-participant"]
    # Within what the routine says about participants and identity (R5-R9), and the introduction (R24).
    assert set(guide.req) == {"R5", "R6", "R7", "R8", "R9"}
    assert {r for st in guide.steps for r in st.req} <= {"R5", "R6", "R7", "R8", "R9", "R24"}
    interpreter = next(st for st in guide.steps if st.key == "interpreter")
    assert interpreter.unit_text, "how an interpreter is booked is the unit's to complete"
    word = {"sv": "tolk", "en": "interpreter"}[lang]
    assert word in (interpreter.title + interpreter.text).lower()
    r = client.get(f"/guides/third-participant?lang={lang}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    label = escape(content.t("checklists.unit_text"))
    for st in guide.steps:
        if st.unit_text:
            assert f'<p class="unit-text"><strong>{label}</strong> {escape(st.unit_text)}</p>' in html
    # The routine's own sentences are not marked as the unit's.
    assert html.count('class="unit-text"') == sum(1 for st in guide.steps if st.unit_text)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_units_sentence_shows_on_the_checklist_page(client, app, lang):
    content = _content(app, lang)
    item = next(i for i in content.checklists["meeting-start"].items if i.key == "third-participant")
    html = client.get(f"/checklists/meeting-start?lang={lang}").get_data(as_text=True)
    assert f'<p class="unit-text"><strong>{escape(content.t("checklists.unit_text"))}</strong> {escape(item.unit_text)}</p>' in html
