"""The admin pages' forms (WTForms, through Flask-WTF; see kiosk/forms.py).

Each class names what its form sends and the rule each field follows. What
only a service can decide (a wrong current password, a taken e-mail address,
an overlapping booking, a bad feed address) stays in the service: its
refusal is added to the form with ``form.refuse(exc)`` and the page is shown
again with what was typed.
"""

from __future__ import annotations

from wtforms import StringField

from .. import hours, validate
from ..bookings import feeds
from ..forms import (KEEP, BookingRangeForm, Form, Message, Rule, choice_field, clip, day_field, email_field, id_field,
                     optional_id_field, plain_field, slug_field, text_field)
from ..models import ALL_EVENT_KINDS, ROLES, UNIT

TABLET_KINDS = ("door", "board", "console")
TABLET_FILTERS = ("", "online", "offline")
ON_OFF = ("0", "1")


class LoginForm(Form):
    """The login (kiosk/accounts.py's login() checks the address and password,
    and counts failures): a refusal is the form's, not one field's."""

    email = plain_field(validate.EMAIL_MAX)
    password = plain_field(validate.PASSWORD_MAX + 1)


class PasswordForm(Form):
    """My own new password; change_own_password() checks the current one first
    (rate-limited), then the new one and its repetition, in that order."""

    current = plain_field(validate.PASSWORD_MAX + 1)
    new = plain_field(validate.PASSWORD_MAX + 1)
    repeat = plain_field(validate.PASSWORD_MAX + 1)


class AccountForm(Form):
    """A new administrator: an e-mail address, a role and (for a unit
    administrator) the unit. create_admin() checks the address is free."""

    email = email_field()
    role = choice_field(ROLES, default=UNIT)
    unit = StringField(filters=[clip(KEEP)], default="")

    def validate_unit(self, field) -> None:
        """The unit is needed (and checked) for a unit administrator only."""
        if self.role.data == UNIT:
            Rule(validate.record_id)(self, field)
        else:
            field.data = None


class ActiveForm(Form):
    """Take out of use (0) or bring back (1): an account or a room."""

    active = choice_field(ON_OFF)


class UnitForm(Form):
    """A new unit."""

    name = text_field(validate.NAME_MAX)
    slug = slug_field()


class UnitEditForm(Form):
    """A unit's name, whether its doors show the clinician and the sign's
    English line, and its opening
    hours (Monday first, both times empty for a closed day; the
    ``opens_<day>``/``closes_<day>`` fields are added below)."""

    name = text_field(validate.NAME_MAX)
    show_clinician = choice_field(ON_OFF, default="0")
    # A checkbox: unticked sends nothing, so absent is off (the page fills it in from the unit).
    door_sign_english = choice_field(ON_OFF, default="0")
    # What a patient's letter printed from a booking says (both may be empty).
    phone = StringField(validators=[Rule(validate.phone, if_given=True)], filters=[clip(KEEP)], default="")
    letter_name = text_field(validate.NAME_MAX, required=False)

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the opening hours as a whole (hours.from_form names
        the first wrong day): a wrong day is the form's refusal."""
        ok = super().validate(extra_validators)
        try:
            self.opening_hours = hours.from_form(self.data)
        except hours.HoursError as exc:
            self.form_errors.append(Message(exc.key, day=Message(f"hours.weekday.{exc.day}")))
            return False
        return ok


for _day in hours.DAYS:
    setattr(UnitEditForm, f"opens_{_day}", plain_field(10))
    setattr(UnitEditForm, f"closes_{_day}", plain_field(10))


class RoomForm(Form):
    """A new room of a unit."""

    unit = id_field()
    name = text_field(validate.NAME_MAX)
    slug = slug_field()
    location = text_field(validate.LOCATION_MAX, required=False)


class RoomEditForm(Form):
    """A room's name and place (its slug never changes)."""

    name = text_field(validate.NAME_MAX)
    location = text_field(validate.LOCATION_MAX, required=False)


class PairForm(Form):
    """A pairing code: a door or a console for a room, a board for a unit."""

    kind = choice_field(TABLET_KINDS)
    room = StringField(filters=[clip(KEEP)], default="")
    unit = StringField(filters=[clip(KEEP)], default="")

    def validate_room(self, field) -> None:
        if self.kind.data in ("door", "console"):
            Rule(validate.record_id)(self, field)

    def validate_unit(self, field) -> None:
        if self.kind.data == "board":
            Rule(validate.record_id)(self, field)


class TabletFilterForm(Form):
    """The tablet list's filter (a query string): all, online or offline."""

    status = choice_field(TABLET_FILTERS, default="")


class ForceEndForm(Form):
    """Free a room: the session seen on the page, and why."""

    session = id_field()
    reason = text_field(validate.REASON_MAX)


class FaultFixForm(Form):
    """A fault fixed, with a note (rooms/faults.py's fix() checks the note)."""

    note = plain_field(1000)


class FeedForm(Form):
    """A room's calendar feed address (empty: stop following it)."""

    url = plain_field(feeds.URL_MAX + 1)


# ---- filters from a query string (a refusal is answered with the error page) ----


class StatsFilterForm(Form):
    """The statistics' unit (empty: the first one seen) and period."""

    unit = optional_id_field()
    start = day_field("from")
    end = day_field("to")


class BookingListForm(BookingRangeForm):
    """The list of bookings: the days, and a unit and a room (empty: every one seen)."""

    unit = optional_id_field()
    room = optional_id_field()


class EventFilterForm(Form):
    """The event log's room, kind and period (the page and its CSV)."""

    room = optional_id_field()
    kind = choice_field(("", *ALL_EVENT_KINDS), default="")
    start = day_field("from")
    end = day_field("to")


class EventPageForm(EventFilterForm):
    """The event log page: the filter and which page of it."""

    page = StringField(validators=[Rule(validate.page_number)], filters=[clip(KEEP)], default="")
