"""Issue 12 on the staff pages: the routine's requirement ids folded behind
"Källa i rutinen", and a third participant (interpreter, relative, proxy) in
the meeting-start checklist and a guide, with the unit's own sentences marked."""

import re
import shutil
from pathlib import Path

import pytest
from markupsafe import escape

import kiosk


def _content(app, lang):
    return app.extensions["kiosk_content"].get(lang)


# ---- requirement ids behind a disclosure ------------------------------------

SOURCE = {"sv": "Källa i rutinen", "en": "Source in the routine"}


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("path", ["/checklists/", "/checklists/suitability", "/guides/", "/guides/no-show",
                                  "/guides/third-participant"])
def test_requirement_ids_sit_only_inside_a_source_disclosure(client, app, lang, path):
    """Inside the disclosure, the routine document's own heading (which a reader
    finds in it), never a bare internal id such as "R5"."""
    html = client.get(f"{path}?lang={lang}").get_data(as_text=True)
    tags = re.findall(r'<span class="req" data-req="(R\d+(?: R\d+)*)">([^<]+)</span>', html)
    if path != "/guides/":
        assert tags, path
    document = _content(app, lang).document
    for ids, heading in tags:
        assert {document.heading_of[r] for r in ids.split()} == {heading}
        assert not re.search(r"\bR\d+\b", heading), heading
    assert not re.search(r">\s*R\d+\s*<", html), "a bare requirement id on the page"
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
    assert item.may_not_apply
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


UNFILLED = {"sv": "fyller i", "en": "fills in"}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_units_sentence_is_not_shown_until_the_unit_writes_it(client, app, lang):
    """The shipped content leaves the unit's own routine empty: a clinician never
    reads a placeholder such as "(enheten fyller i hur tolk bokas och ansluter)"."""
    for path in ("/checklists/meeting-start", "/guides/third-participant", "/print/checklist-meeting-start.html"):
        html = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        assert 'class="unit-text"' not in html, path
        assert UNFILLED[lang] not in html, path


def test_the_units_sentence_shows_once_the_unit_writes_it(make_app, tmp_path):
    """A unit writes its routine into its copy of the content: the checklist and
    the guide show it, marked as the unit's."""
    content_dir = tmp_path / "content"
    shutil.copytree(Path(kiosk.__file__).parent / "content", content_dir)
    written = "Tolk bokas i Tolkportalen; tolken ringer in via länken i bokningen."
    checklists = content_dir / "sv" / "checklists.toml"
    text = checklists.read_text(encoding="utf-8")
    anchor = '  key = "third-participant"\n'
    assert anchor in text
    checklists.write_text(text.replace(anchor, anchor + f'  unit_text = "{written}"\n', 1), encoding="utf-8")
    app = make_app(CONTENT_DIR=str(content_dir))
    content = _content(app, "sv")
    html = app.test_client().get("/checklists/meeting-start?lang=sv").get_data(as_text=True)
    assert f'<p class="unit-text"><strong>{escape(content.t("checklists.unit_text"))}</strong> {written}</p>' in html


# ---- one time format ----------------------------------------------------------

from datetime import datetime, timezone  # noqa: E402

from flask import render_template_string  # noqa: E402

from tests.paths import ROOT


@pytest.mark.parametrize("lang, time, stamp", [("sv", "10.05", "2026-11-26 10.05"), ("en", "10:05", "2026-11-26 10:05")])
def test_one_time_filter_writes_the_languages_format(app, lang, time, stamp):
    at = datetime(2026, 11, 26, 9, 5, tzinfo=timezone.utc)  # 10.05 in Stockholm
    with app.test_request_context(f"/?lang={lang}"):
        app.preprocess_request()
        assert render_template_string("{{ at|time }}|{{ at|datetime }}|{{ time_separator }}", at=at) == \
            f"{time}|{stamp}|{time[2]}"


def test_the_door_clock_is_written_with_the_filter(door_client, frozen_clock):
    html = door_client.get(f"/rooms/{door_client.slug}/door").get_data(as_text=True)
    assert re.search(r'<time data-clock datetime="[^"]+">10\.00</time>', html)
    assert 'data-time-separator="."' in html


def test_no_template_script_or_view_formats_times_by_itself():
    """Every time of day goes through i18n's filter (and panel.js's separator from it)."""
    # (A machine timestamp with seconds, "%H:%M:%S", is data for a database, not a time to read.)
    own = re.compile(r"HH:mm|HH\.mm|%H:%M(?!:%S)|%H\.%M|toLocaleTimeString|\{local:%H\}")
    offenders = []
    for folder in ("kiosk", "printables"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".html", ".js") or "vendor" in path.parts or path.name == "i18n.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if own.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
