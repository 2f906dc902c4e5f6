"""The content model: every requirement served in every language, faults named
precisely, deployments able to bring their own copy."""

import re
import shutil
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.content import ContentError, load_content
from kiosk.content.loader import PACKAGE_DIR

from tests.paths import ROOT
ALL_REQS = [f"R{n}" for n in range(1, 42)]


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A copy of the shipped content folder that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(PACKAGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_requirement_is_served(lang):
    served = load_content().get(lang).requirements()
    missing = [r for r in ALL_REQS if r not in served]
    assert not missing, f"{lang}: no content item serves {missing}"


def test_door_sign_text_is_the_routines_own():
    store = load_content()
    # A no-break space keeps the dash with the word before it: no line of the sign starts with "-".
    assert store.get("sv").door_sign.text == "Här pågår videomöte\u00a0- var god stör ej"
    assert store.get("en").door_sign.text == "Video meeting in progress\u00a0- please do not disturb"


def test_document_control_matches_the_routine():
    doc = load_content().get("sv").document
    assert (doc.document_id, doc.version) == ("RHS9919-529963968-26", "4.0")
    assert (doc.valid_from.isoformat(), doc.valid_to.isoformat()) == ("2026-06-24", "2028-06-11")
    assert (doc.owner.name, doc.owner.title) == ("Henrik Bodin", "IT-chef")
    assert (doc.reviewed_by.name, doc.reviewed_by.title) == ("Per Gyllén", "Chefläkare")
    assert doc.type == "Rutin" and doc.applies_to == "Regionhälsan"


def test_facts_are_filled_into_texts():
    sv = load_content().get("sv")
    wait = next(st for st in sv.guides["no-show"].steps if st.key == "wait")
    assert "5 minuter" in (wait.title + wait.text)
    vgr = sv.contacts["vgr-it"]
    assert vgr.phone == "010-47 37 100" and vgr.phone_uri == "+46104737100"
    assert sv.contacts["visiba"].email == "support@visibacare.com"
    assert list(sv.contacts) == ["unit-admin", "visiba", "help-in-app", "vgr-it"]  # R40's order
    assert not any("{" in i.text for c in sv.checklists.values() for i in c.items)


def test_voicemail_script_fills_its_slots():
    sv = load_content().get("sv")
    slots = {s.key for s in sv.scripts["voicemail"].slots}
    assert {"name", "title", "clinic", "booked_time"} <= slots
    text = sv.fill("voicemail", {"name": "Anna Berg", "title": "sjuksköterska",
                                 "clinic": "Hudmottagningen", "booked_time": "10:00"})
    assert "Anna Berg" in text and "10:00" in text and "[" not in text


def test_readiness_items_are_environment_dress_equipment():
    sv = load_content().get("sv")
    keys = {c.key for c, _item in sv.readiness_items()}
    assert keys == {"environment", "dress", "equipment"}


def test_both_languages_have_the_same_entries():
    store = load_content()
    sv, en = store.get("sv"), store.get("en")
    assert set(sv.ui) == set(en.ui)
    assert {k: [i.key for i in c.items] for k, c in sv.checklists.items()} == {
        k: [i.key for i in c.items] for k, c in en.checklists.items()
    }


def test_version_changes_with_any_word(content_copy):
    before = load_content(content_copy).version
    path = content_copy / "sv" / "document.toml"
    path.write_text(path.read_text().replace("Rutin", "Rutinen", 1))
    assert load_content(content_copy).version != before


def _problems(folder) -> str:
    with pytest.raises(ContentError) as info:
        load_content(folder)
    return str(info.value)


def test_missing_field_names_file_entry_and_fault(content_copy):
    path = content_copy / "sv" / "checklists.toml"
    text = path.read_text()
    # Remove the text of the first item of the environment checklist.
    env = text.index('key = "environment"')
    item_text = re.compile(r'^\s*text = .*$', re.M).search(text, env)
    path.write_text(text[: item_text.start()] + text[item_text.end():])
    message = _problems(content_copy)
    assert str(path) in message
    assert "checklists[environment].items[" in message
    assert ".text: Field required" in message


def test_unknown_requirement_id_is_refused(content_copy):
    path = content_copy / "en" / "guides.toml"
    path.write_text(path.read_text().replace('"R37"', '"R42"', 1))
    message = _problems(content_copy)
    assert str(path) in message and "unknown requirement id 'R42'" in message


def test_unknown_placeholder_and_field_are_refused(content_copy):
    path = content_copy / "sv" / "contacts.toml"
    path.write_text(path.read_text().replace('name = "VGR IT"', 'name = "VGR IT {vgr_phone}"\ncolour = "red"', 1))
    message = _problems(content_copy)
    assert "unknown placeholder {vgr_phone}" in message
    assert "contacts[vgr-it].colour: unknown field" in message


def test_broken_toml_and_missing_file(content_copy):
    (content_copy / "sv" / "scripts.toml").write_text("[[scripts]\nkey = ")
    (content_copy / "en" / "patient.toml").unlink()
    message = _problems(content_copy)
    assert "sv/scripts.toml: not valid TOML" in message
    assert "en/patient.toml: the file is missing" in message


def test_a_language_missing_an_entry_is_refused(content_copy):
    path = content_copy / "en" / "ui.toml"
    path.write_text(path.read_text().replace('csrf = "', 'csrf_old = "', 1))
    message = _problems(content_copy)
    assert "en/ui.toml: ui: errors.csrf is in sv but missing here" in message


def test_broken_content_stops_start_up(content_copy, tmp_path):
    path = content_copy / "sv" / "document.toml"
    path.write_text(path.read_text().replace("[door_sign]", "[door_sign]\nsize = 3"))
    with pytest.raises(ContentError, match=r"door_sign.size: unknown field"):
        create_app({"INSTANCE_PATH": str(tmp_path), "CONTENT_DIR": str(content_copy)})


def test_a_deployment_brings_its_own_phone_numbers(content_copy, make_app):
    facts = content_copy / "facts.toml"
    facts.write_text(facts.read_text().replace('"010-47 37 100"', '"031-00 00 00"'))
    app = make_app(CONTENT_DIR=str(content_copy))
    store = app.extensions["kiosk_content"]
    assert store.get("sv").contacts["vgr-it"].phone == "031-00 00 00"
    assert store.version != load_content().version
    html = app.test_client().get("/about").get_data(as_text=True)
    assert store.version in html


def test_cli_content_check_reports_coverage(runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "sv: 7 checklists, 10 guides, requirements not served: none" in result.output


def test_cli_content_check_fails_on_broken_folder(runner, content_copy):
    (content_copy / "facts.toml").write_text("[document]\n")
    result = runner.invoke(args=["content", "check", str(content_copy)])
    assert result.exit_code != 0
    assert "facts.toml: numbers: Field required" in result.output


def test_the_flask_command_with_a_broken_content_folder_names_the_fault_without_a_traceback(content_copy, tmp_path):
    """What an operator sees when the configured folder is broken: the fault, exit 1."""
    import os
    import subprocess
    import sys

    facts = content_copy / "facts.toml"
    facts.write_text(facts.read_text().replace('phone = "010-47 37 100"', "phone = 17"))
    env = {**os.environ, "KIOSK_CONTENT_DIR": str(content_copy), "KIOSK_INSTANCE_PATH": str(tmp_path / "inst")}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "content", "check"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "contacts[vgr-it].phone: Input should be a valid string" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_ui_strings_used_in_templates_exist():
    """Every t('literal') in a template names a UI string of both languages."""
    store = load_content()
    used = set()
    for folder in (ROOT / "kiosk" / "templates", ROOT / "printables"):
        for path in folder.rglob("*.html"):
            used |= set(re.findall(r"\bt\('([a-z0-9_.-]+)'\s*[,)]", path.read_text()))
    for lang in ("sv", "en"):
        missing = sorted(k for k in used if k not in store.get(lang).ui and not k.endswith("."))
        assert not missing, f"{lang}: UI strings used but not defined: {missing}"


def test_no_routine_facts_in_templates_or_code():
    """Phone numbers, addresses and the document id live in the content files only."""
    pattern = re.compile(r"010 ?- ?47 37 100|076 ?. ?314 49 82|visibacare\.com|mittvardmote\.vregion\.se|RHS9919")
    offenders = []
    for folder in ("kiosk/templates", "printables", "kiosk/static/js"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".html", ".py", ".js", ".css"}:
                if pattern.search(path.read_text(errors="ignore")):
                    offenders.append(str(path.relative_to(ROOT)))
    for path in (ROOT / "kiosk").glob("*.py"):
        if pattern.search(path.read_text()):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


# ---- alternatives and questions (issue 12) ----------------------------------------


def test_identity_alternatives_are_modelled_in_the_content():
    for lang in ("sv", "en"):
        identity = load_content(PACKAGE_DIR).get(lang).checklists["identity"]
        assert [(g.key, g.items) for g in identity.alternatives] == [("identity-checked", ["bankid", "without-bankid"])]
        suitability = load_content(PACKAGE_DIR).get(lang).checklists["suitability"]
        assert [i.key for i in suitability.items if i.question] == [
            "without-physical-meeting", "suits-patient", "enough-information", "follow-up"]
        assert all("R3" in i.req for i in suitability.items if i.question)


@pytest.mark.parametrize("change, fault", [
    (('items = ["bankid", "without-bankid"]', 'items = ["bankid", "no-such-item"]'),
     "alternatives 'identity-checked' name unknown items: no-such-item"),
    (('items = ["bankid", "without-bankid"]', 'items = ["bankid", "proxy"]'),
     "alternatives 'twice': an item may be in one group once only"),
    (('items = ["bankid", "without-bankid"]', 'items = ["bankid", "child-guardian"]'),
     "alternatives 'identity-checked': list the items next to each other"),
    (('items = ["bankid", "without-bankid"]', 'items = ["bankid"]'), "at least 2 items"),
])
def test_bad_alternatives_are_refused(content_copy, change, fault):
    path = content_copy / "sv" / "checklists.toml"
    text = path.read_text()
    old, new = change
    if "proxy" in new:  # a second group naming proxy twice
        new = 'items = ["bankid", "without-bankid"]\n\n  [[checklists.alternatives]]\n  key = "twice"\n' \
              '  text = "x"\n  items = ["without-bankid", "proxy"]'
    path.write_text(text.replace(old, new, 1))
    message = _problems(content_copy)
    assert str(path) in message and "checklists[identity]" in message and fault in message


def test_a_question_may_not_be_waved_away_nor_asked_at_the_door(content_copy):
    path = content_copy / "sv" / "checklists.toml"
    text = path.read_text()
    text = text.replace('key = "follow-up"\n  question = true\n', 'key = "follow-up"\n  question = true\n  may_not_apply = true\n', 1)
    text = text.replace('key = "headset"\n', 'key = "headset"\n  question = true\n', 1)
    path.write_text(text)
    message = _problems(content_copy)
    assert 'never "does not apply": follow-up' in message
    assert "a readiness checklist has no yes/no questions" in message


def test_a_language_without_the_alternatives_is_refused(content_copy):
    path = content_copy / "en" / "checklists.toml"
    text = path.read_text()
    start = text.index("  [[checklists.alternatives]]")
    end = text.index('items = ["bankid", "without-bankid"]', start) + len('items = ["bankid", "without-bankid"]')
    path.write_text(text[:start] + text[end:])
    message = _problems(content_copy)
    assert "en/checklists.toml: checklists: alternatives: identity.identity-checked" in message or \
        "identity.identity-checked: bankid, without-bankid is in sv but missing here" in message


def test_an_items_outcomes_are_how_a_visit_may_go(content_copy):
    path = content_copy / "sv" / "checklists.toml"
    text = path.read_text()
    path.write_text(text.replace('key = "new-time"\n  outcomes = ["no-show", "technical"]\n',
                                 'key = "new-time"\n  outcomes = ["no-show", "later"]\n', 1))
    message = _problems(content_copy)
    assert str(path) in message and "checklists[ending]" in message and "outcomes" in message


def test_the_ending_asks_each_visit_what_applies_in_both_languages(app):
    for lang in ("sv", "en"):
        ending = app.extensions["kiosk_content"].get(lang).checklists["ending"]
        assert [i.key for i in ending.for_outcome("no-show").items] == ["journal", "new-time"]
        held = [i.key for i in ending.for_outcome("held").items]
        assert held == ["summarise", "understood", "more-questions", "save-attachments", "evaluation", "journal"]
        assert next(i for i in ending.items if i.key == "new-time").may_not_apply
