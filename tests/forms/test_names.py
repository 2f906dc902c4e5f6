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
