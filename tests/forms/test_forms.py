"""The admin forms (kiosk/admin/forms.py) and the field rules they share
(kiosk/forms.py over kiosk/validate.py and the one name rule, kiosk/names.py):
good data is cleaned, each bad case names its content key and reads in
Swedish and English, and a form shown again keeps what was typed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.admin import forms as admin_forms
from kiosk.extensions import db
from kiosk.forms import Form, Message
from kiosk.models import Room, Unit
from kiosk.validate import FieldError

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Rum 4" would read backwards on a door


def in_request(app, data: dict, lang: str = "sv"):
    return app.test_request_context("/admin/test", method="POST", data=data, query_string={"lang": lang})


# ---- good data -------------------------------------------------------------------------


def test_good_data_passes_and_is_cleaned(app):
    with in_request(app, {"name": "  Videorum\u00a0 A\u030a ", "slug": ""}):
        form = admin_forms.UnitForm()
        assert form.validate(), form.errors
        # NFC ("Å" typed as A + ring is one letter) and white space collapsed.
        assert form.name.data == "Videorum \u00c5" and form.slug.data == ""
    with in_request(app, {"unit": " 7 ", "name": "Rum 4", "slug": "rum-4", "location": "Plan 2, korridor B"}):
        form = admin_forms.RoomForm()
        assert form.validate(), form.errors
        assert (form.unit.data, form.name.data, form.slug.data, form.location.data) == (
            7, "Rum 4", "rum-4", "Plan 2, korridor B")
    with in_request(app, {"email": " Anna.Berg@RegionHalsan.example ", "role": "unit", "unit": "3"}):
        form = admin_forms.AccountForm()
        assert form.validate(), form.errors
        assert (form.email.data, form.role.data, form.unit.data) == ("anna.berg@regionhalsan.example", "unit", 3)
    with in_request(app, {"email": "a@b.example", "role": "global", "unit": "not looked at"}):
        form = admin_forms.AccountForm()
        assert form.validate(), form.errors
        assert form.unit.data is None
    with in_request(app, {"session": "12", "reason": "Glömd utcheckning"}):
        form = admin_forms.ForceEndForm()
        assert form.validate() and form.session.data == 12


def test_empty_filters_are_left_to_the_page_and_dates_are_read(app):
    with in_request(app, {}):
        form = admin_forms.EventPageForm()
        assert form.validate(), form.errors
        assert (form.room.data, form.kind.data, form.start.data, form.end.data, form.page.data) == (None, "", "", "", 1)
    with in_request(app, {"unit": "4", "from": "2027-03-28", "to": " 2027-10-31 "}):
        form = admin_forms.StatsFilterForm()
        assert form.validate(), form.errors
        assert (form.unit.data, form.start.data.isoformat(), form.end.data.isoformat()) == (
            4, "2027-03-28", "2027-10-31")


def test_opening_hours_are_checked_as_a_whole(app):
    data = {"name": "Mottagning", "opens_mon": "07:30", "closes_mon": "16:00"}
    with in_request(app, data):
        form = admin_forms.UnitEditForm()
        assert form.validate(), form.errors
        assert form.opening_hours.startswith("07:30-16:00") and form.show_clinician.data == "0"
    with in_request(app, {"name": "Mottagning"}):
        form = admin_forms.UnitEditForm()
        assert form.validate() and form.opening_hours is None


# ---- bad data: the key, in Swedish and English -----------------------------------------

BAD = [
    (admin_forms.UnitForm, {"name": ""}, "name", Message("admin.field.required"),
     "Fyll i fältet.", "Fill in this field."),
    (admin_forms.UnitForm, {"name": "x" * 81}, "name", Message("admin.field.too_long", max=80),
     "Högst 80 tecken.", "At most 80 characters."),
    (admin_forms.UnitForm, {"name": "<b>Rum</b>"}, "name", Message("admin.field.characters"),
     "Använd bokstäver", "Use letters"),
    (admin_forms.UnitForm, {"name": f"Rum {RLO}4"}, "name", Message("admin.field.characters"),
     "Använd bokstäver", "Use letters"),
    (admin_forms.UnitForm, {"name": "Rum\n4"}, "name", Message("admin.field.characters"),
     "Använd bokstäver", "Use letters"),
    (admin_forms.UnitForm, {"name": "Rum", "slug": "Rum 4"}, "slug", Message("admin.field.slug"),
     "Adressnamnet får ha små bokstäver", "The address name may have lower-case letters"),
    (admin_forms.RoomForm, {"unit": "1", "name": "Rum", "location": "y" * 121}, "location",
     Message("admin.field.too_long", max=120), "Högst 120 tecken.", "At most 120 characters."),
    (admin_forms.RoomForm, {"unit": "abc", "name": "Rum"}, "unit", Message("admin.field.choice"),
     "Välj ett av alternativen.", "Choose one of the options."),
    (admin_forms.RoomForm, {"name": "Rum"}, "unit", Message("admin.field.required"),
     "Fyll i fältet.", "Fill in this field."),
    (admin_forms.AccountForm, {"email": "inte en adress", "role": "global"}, "email",
     Message("admin.field.email"), "Skriv en e-postadress", "e-mail address"),
    (admin_forms.AccountForm, {"email": "a@b.example", "role": "root"}, "role",
     Message("admin.field.choice"), "Välj ett av alternativen.", "Choose one of the options."),
    (admin_forms.AccountForm, {"email": "a@b.example", "role": "unit"}, "unit",
     Message("admin.field.required"), "Fyll i fältet.", "Fill in this field."),
    (admin_forms.ActiveForm, {"active": "2"}, "active", Message("admin.field.choice"),
     "Välj ett av alternativen.", "Choose one of the options."),
    (admin_forms.PairForm, {"kind": "window"}, "kind", Message("admin.field.choice"),
     "Välj ett av alternativen.", "Choose one of the options."),
    (admin_forms.PairForm, {"kind": "board", "unit": "1; drop"}, "unit", Message("admin.field.choice"),
     "Välj ett av alternativen.", "Choose one of the options."),
    (admin_forms.ForceEndForm, {"session": "1", "reason": ""}, "reason", Message("admin.field.required"),
     "Fyll i fältet.", "Fill in this field."),
    (admin_forms.ForceEndForm, {"session": "x", "reason": "Glömd"}, "session", Message("admin.field.choice"),
     "Välj ett av alternativen.", "Choose one of the options."),
    (admin_forms.UnitEditForm, {"name": "Rum", "show_clinician": "yes"}, "show_clinician",
     Message("admin.field.choice"), "Välj ett av alternativen.", "Choose one of the options."),
    (admin_forms.UnitEditForm, {"name": "Rum", "opens_tue": "08:00"}, None,
     Message("hours.error.both", day=Message("hours.weekday.tue")), "Tisdag: fyll i både", "Tuesday"),
    (admin_forms.UnitEditForm, {"name": "Rum", "opens_mon": "16:00", "closes_mon": "08:00"}, None,
     Message("hours.error.order", day=Message("hours.weekday.mon")), "Måndag: stängningstiden", "Monday"),
    (admin_forms.StatsFilterForm, {"from": "2026-13-01"}, "start", Message("admin.field.date"),
     "Skriv datumet som ÅÅÅÅ-MM-DD", "YYYY-MM-DD"),
    (admin_forms.StatsFilterForm, {"unit": "-1"}, "unit", Message("admin.field.choice"),
     "Välj ett av alternativen.", "Choose one of the options."),
    (admin_forms.EventFilterForm, {"kind": "<script>"}, "kind", Message("admin.field.choice"),
     "Välj ett av alternativen.", "Choose one of the options."),
    (admin_forms.EventPageForm, {"page": "0"}, "page", Message("admin.field.choice"),
     "Välj ett av alternativen.", "Choose one of the options."),
]


@pytest.mark.parametrize("form_class,data,field,message,sv,en", BAD,
                         ids=[f"{b[0].__name__}-{b[3].key}-{i}" for i, b in enumerate(BAD)])
def test_each_bad_case_names_its_key_and_reads_in_both_languages(app, form_class, data, field, message, sv, en):
    for lang, text in (("sv", sv), ("en", en)):
        with in_request(app, data, lang):
            form = form_class()
            assert not form.validate()
            refused = form[field].errors if field else form.form_errors
            assert refused == [message]
            assert text in refused[0].say() and "[" not in refused[0].say()
    assert sv != en


def test_a_name_with_a_bidirectional_override_is_refused_everywhere(app):
    """The one name rule: the admin forms refuse U+202E as check-in and no-show do."""
    from kiosk import names

    with pytest.raises(names.NameProblem):
        names.clean(f"Dr {RLO}nasnA", 80)
    for form_class, data, field in ((admin_forms.UnitForm, {}, "name"),
                                    (admin_forms.RoomEditForm, {}, "name"),
                                    (admin_forms.RoomEditForm, {"name": "Rum"}, "location"),
                                    (admin_forms.ForceEndForm, {"session": "1"}, "reason")):
        with in_request(app, {**data, field: f"Rum {RLO}4"}):
            form = form_class()
            assert not form.validate()
            assert form[field].errors == [Message("admin.field.characters")]


def test_overlong_input_is_refused_and_shown_back_clipped(app):
    with in_request(app, {"name": "å" * 2000, "slug": "a" * 2000, "location": "b" * 2000, "unit": "9" * 2000}):
        form = admin_forms.RoomForm()
        assert not form.validate()
        assert form.name.errors == [Message("admin.field.too_long", max=80)]
        assert form.location.errors == [Message("admin.field.too_long", max=120)]
        assert form.slug.errors == [Message("admin.field.too_long", max=60)]
        assert form.unit.errors == [Message("admin.field.choice")]
        # What is shown back is clipped, but still more than any limit.
        assert 80 < len(form.name.data) <= 500 and len(form.slug.data) <= 100
    with in_request(app, {"current": "x" * 2000, "new": "y" * 2000, "repeat": ""}):
        form = admin_forms.PasswordForm()
        assert len(form.current.data) == len(form.new.data) == 201


def test_a_refused_field_keeps_what_was_typed(app):
    typed = {"unit": "1", "name": "Videorum <4>", "slug": "", "location": "Plan 2, rum 214"}
    with in_request(app, typed):
        form = admin_forms.RoomForm()
        assert not form.validate()
        assert form.name.data == "Videorum <4>" and form.location.data == "Plan 2, rum 214"


def test_a_service_refusal_goes_to_its_field_or_to_the_form(app):
    with in_request(app, {"email": "a@b.example", "role": "global"}):
        form = admin_forms.AccountForm()
        assert form.validate()
        form.refuse(FieldError("email", "admin.accounts.exists"))
        form.refuse(FieldError("nothing-like-it", "admin.field.choice"))
        assert form.email.errors == [Message("admin.accounts.exists")]
        assert form.form_errors == [Message("admin.field.choice")]
        assert form.messages() == [Message("admin.field.choice"), Message("admin.accounts.exists")]
    with in_request(app, {}):
        form = admin_forms.LoginForm()  # not validated: the field's errors are still a tuple
        form.refuse(FieldError("password", "admin.field.required"))
        assert form.password.errors == [Message("admin.field.required")]


def test_forms_carry_no_token_of_their_own_and_csrf_protect_still_refuses(admin_client, admin_app):
    """The forms leave CSRF to CSRFProtect (Meta.csrf = False): a POST without
    the token is refused before any form is read, with a token it goes through."""
    with admin_app.test_request_context("/admin/units", method="POST"):
        assert "csrf_token" not in admin_forms.UnitForm()._fields
        assert isinstance(admin_forms.UnitForm(), Form)
    r = admin_client.post("/admin/units", data={"name": "Utan token"})
    assert r.status_code == 400
    assert admin_client.form_post("/admin/units", {"name": "Med token"}).status_code == 303
    r = admin_client.post("/admin/units", data={"name": "Med rubrik"}, headers={"X-CSRFToken": admin_client.csrf_token()})
    assert r.status_code == 303
    with admin_app.app_context():
        assert set(db.session.scalars(select(Unit.name))) == {"Med token", "Med rubrik"}


# ---- the pages: 400 with the form again, nothing lost ----------------------------------


def test_the_room_form_is_shown_again_with_everything_typed(admin_client, admin_app, make_unit):
    unit_id = make_unit()
    r = admin_client.form_post("/admin/rooms", {"unit": str(unit_id), "name": "Videorum 9", "slug": "Fel Slug",
                                                "location": "Plan 3 & korridor C"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'value="Videorum 9"' in html and 'value="Fel Slug"' in html and 'value="Plan 3 &amp; korridor C"' in html
    assert f'<option value="{unit_id}" selected>' in html
    assert 'id="room-slug-error"' in html and 'aria-describedby="room-slug-hint room-slug-error"' in html
    en = admin_client.form_post("/admin/rooms?lang=en", {"unit": str(unit_id), "name": "", "slug": ""})
    assert en.status_code == 400 and "Fill in this field." in en.get_data(as_text=True)
    with admin_app.app_context():
        assert db.session.scalar(select(Room.id)) is None


def test_the_unit_form_keeps_the_hours_typed(admin_client, admin_app, make_unit):
    unit_id = make_unit()
    r = admin_client.form_post(f"/admin/units/{unit_id}", {"name": "Mottagning Ö", "show_clinician": "1",
                                                           "opens_wed": "08:15", "closes_wed": "",
                                                           "opens_fri": "09:00", "closes_fri": "15:30"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Onsdag: fyll i både" in html
    assert 'name="opens_wed" type="time" value="08:15"' in html
    assert 'name="closes_fri" type="time" value="15:30"' in html
    assert 'value="Mottagning Ö"' in html and 'name="show_clinician" type="checkbox" value="1" checked' in html
    with admin_app.app_context():
        unit = db.session.get(Unit, unit_id)
        assert unit.opening_hours is None and not unit.show_clinician


def test_a_refused_reason_shows_only_in_its_rooms_form(admin_client, admin_app, make_room):
    from kiosk.rooms import service
    from kiosk.rooms.service import Actor

    first, second = make_room(), make_room()
    with admin_app.app_context():
        session_id = service.check_in(first, Actor("test")).id
        service.check_in(second, Actor("test"))
    r = admin_client.form_post(f"/admin/rooms/{first}/force-end", {"session": str(session_id),
                                                                   "reason": "Rum <b>"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert f'id="reason-{first}" name="reason" type="text" value="Rum &lt;b&gt;"' in html
    assert f'id="reason-{second}" name="reason" type="text" value=""' in html
    assert f'id="reason-{first}-error"' in html and f'id="reason-{second}-error"' not in html


def test_a_refused_booking_keeps_the_new_bookings_fields(admin_client, admin_app, make_room, frozen_clock):
    """The admin bookings page (kiosk/admin/bookings.py): the service's refusal
    on top, with its status, and the new booking's fields as typed."""
    from kiosk.models import Booking

    room_id = make_room()
    typed = {"day": "2026-11-27", "start": "10:30", "end": "09:00", "name": "Anna Berg", "title": "Sjuksköterska"}
    for lang, text in (("sv", "Sluttiden måste vara efter starttiden."), ("en", "The end must be after the start.")):
        r = admin_client.form_post(f"/admin/rooms/{room_id}/bookings?lang={lang}", typed)
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and f'<div class="error-message" role="alert"><p>{text}</p></div>' in html
        for field, value in typed.items():
            assert f'name="{field}" type="' in html and f'value="{value}"' in html
    r = admin_client.form_post(f"/admin/rooms/{room_id}/bookings?lang=sv", {**typed, "end": "11:00",
                                                                           "name": f"Anna {RLO}"})
    assert r.status_code == 400 and "Namn och titel får vara högst 80 tecken" in r.get_data(as_text=True)
    # Another form's refusal leaves the new booking's day at today, its other fields empty.
    r = admin_client.form_post(f"/admin/rooms/{room_id}/bookings/999/move", {"day": "2026-11-30", "start": "08:00",
                                                                              "end": "09:00"})
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and 'id="book-day" name="day" type="date" value="2026-11-26"' in html
    assert 'id="book-start" name="start" type="time" value=""' in html
    with admin_app.app_context():
        assert db.session.scalar(select(Booking.id)) is None
