"""The one name rule (kiosk/names.py) and the fields that use it: check-in
names and titles on the door, the no-show procedure, admin names."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk import names
from kiosk.extensions import db
from kiosk.models import RoomSession

INVISIBLE = ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200b", "\u200d", "\ufeff", "\x00",
             "\x07", "\n", "\u2028", "\u2029", "\ue000", "\U000e0001"]


@pytest.mark.parametrize("char", INVISIBLE)
def test_control_format_and_direction_characters_are_refused(char):
    with pytest.raises(names.NameProblem) as exc:
        names.clean(f"Anna{char}Andersson", 80)
    assert exc.value.problem == names.CHARACTERS


def test_a_name_is_nfc_normalised_and_its_white_space_collapsed():
    assert names.clean("  A\u030angström\u00a0 Öst  ", 80) == "Ångström Öst"
    assert names.clean("Åsa", 80) == names.clean("A\u030asa", 80)


def test_missing_and_too_long_names_say_so():
    with pytest.raises(names.NameProblem) as exc:
        names.clean("   ", 80)
    assert exc.value.problem == names.MISSING
    assert names.clean(" ", 80, required=False) == ""
    with pytest.raises(names.NameProblem) as exc:
        names.clean("x" * 81, 80)
    assert (exc.value.problem, exc.value.max_len) == (names.TOO_LONG, 80)
    assert names.clean("x" * 80, 80) == "x" * 80


def test_a_check_in_title_with_a_direction_override_is_refused_and_not_stored(door_client, app):
    r = door_client.hx_post(f"/rooms/{door_client.slug}/check-in",
                            {"minutes": "30", "name": "Anna", "title": "Sjuksköterska\u202eetsöks"})
    assert r.status_code == 400
    assert "utan specialtecken" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(RoomSession.id)) is None


def test_a_clean_check_in_name_is_stored_normalised(door_client, app):
    r = door_client.hx_post(f"/rooms/{door_client.slug}/check-in",
                            {"minutes": "30", "name": " Anna   A\u030asa ", "title": "Läkare"})
    assert r.status_code == 200
    with app.app_context():
        session = db.session.scalar(select(RoomSession))
        assert (session.clinician_name, session.clinician_title) == ("Anna Åsa", "Läkare")


@pytest.mark.parametrize("char", ["\u202e", "\u200b"])
def test_an_admin_room_name_with_invisible_characters_is_refused(admin_client, make_unit, char):
    unit_id = make_unit()
    r = admin_client.form_post("/admin/rooms", {"unit": str(unit_id), "name": f"Rum{char}5", "slug": "",
                                                "location": ""})
    assert r.status_code == 400 and 'aria-invalid="true"' in r.get_data(as_text=True)


# ---- personal identity and coordination numbers ---------------------------------------

TOLVAN = "19121212-1212"  # Skatteverket's test person
COORDINATION = "19121272-1219"  # the same date as a coordination number (day + 60), its own check digit

WRITTEN_AS = [TOLVAN, "121212-1212", "191212121212", "1212121212", "121212+1212", "19121212–1212",
              "19121212—1212", "19121212 - 1212", "1912 12 12-1212", "19121212/1212", "1912-12-12-1212",
              "１９１２１２１２－１２１２", "12 12 12 12 12", COORDINATION, "121272-1219"]


@pytest.mark.parametrize("written", WRITTEN_AS)
def test_a_personal_number_however_written_is_refused(written):
    for text in (written, f"Tolvan {written}", f"Patient {written} hörde inget"):
        with pytest.raises(names.NameProblem) as exc:
            names.clean(text, 140)
        assert exc.value.problem == names.PERSONAL_NUMBER


@pytest.mark.parametrize("text", [
    "Ring 070-123 45 67", "+46 70 123 45 67", "08-123 456 78", "Rum 1212, plan 12", "19121212-1213",
    "19121272-1218", "19121312-1212", "Kl. 10.30-11.45 2026-12-08", "Anna Berg", "121212",
])
def test_phone_numbers_dates_and_wrong_check_digits_are_not_refused(text):
    assert names.clean(text, 140) == text


def test_a_phone_number_next_to_a_personal_number_does_not_hide_it():
    assert names.personal_numbers("070-123 45 67 19121212-1212") == ["191212121212"]


def test_a_number_without_century_is_judged_in_both_centuries():
    # 29 February 2000 exists, 29 February 1900 does not: the kiosk's clock, not
    # today's date, may never decide what is refused.
    assert names.personal_numbers("000229-1235") == ["0002291235"]
    assert names.personal_numbers("19000229-1235") == []


def test_a_fault_text_with_a_personal_number_is_refused_in_words_and_not_stored(door_client, app):
    from kiosk.models import Event, RoomFault

    for lang, words in (("sv", "innehåller ett personnummer"), ("en", "holds a personal identity number")):
        door_client.get(f"/?lang={lang}")
        r = door_client.hx_post(f"/rooms/{door_client.slug}/fault",
                                {"kind": "sound", "text": "Patient Tolvan Tolvansson 19121212–1212 hörde inget"})
        assert r.status_code == 400 and words in r.get_data(as_text=True)
        assert "1212" not in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(RoomFault.id)) is None
        assert db.session.scalar(select(Event.id).where(Event.kind == "fault-report")) is None


def test_a_check_in_name_with_a_personal_number_is_refused_and_not_stored(door_client, app):
    r = door_client.hx_post(f"/rooms/{door_client.slug}/check-in",
                            {"minutes": "30", "name": "Tolvan 1912 12 12-1212", "title": "Läkare"})
    assert r.status_code == 400 and "personnummer" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(RoomSession.id)) is None


def test_a_no_show_slot_with_a_personal_number_is_refused_and_not_shown_back(client, frozen_clock):
    from datetime import timedelta

    client.form_post("/guides/no-show/start", {"booked_time": "10:00"})
    frozen_clock.advance(timedelta(minutes=5))
    assert client.form_post("/guides/no-show/choose", {"step": "call", "choice": "no-answer"}).status_code == 303
    r = client.form_post("/guides/no-show/script",
                         {"name": "Anna Andersson", "title": "Sjuksköterska", "clinic": "Tolvan 19121212/1212"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "”Mottagning” innehåller ett personnummer" in html
    assert "19121212" not in html


def test_an_admin_room_name_with_a_personal_number_is_refused(admin_client, make_unit):
    unit_id = make_unit()
    r = admin_client.form_post("/admin/rooms", {"unit": str(unit_id), "name": "Rum 121212-1212", "slug": "",
                                                "location": ""})
    assert r.status_code == 400 and "innehåller ett personnummer" in r.get_data(as_text=True)


def test_a_fault_fix_note_with_a_personal_number_is_refused(ctx, make_room):
    from kiosk.rooms import faults
    from kiosk.rooms.service import Actor, BadInput

    room_id = make_room()
    fault = faults.report(room_id, Actor("door"), "camera", None, "door")
    with pytest.raises(BadInput) as exc:
        faults.fix(fault.id, Actor("admin:1"), "Ringde 19121212-1212")
    assert exc.value.key == "faults.error.personal_number"
