"""WTForms plumbing for the forms a person fills in.

A form class names its fields; each field's check is one of the rules in
``kiosk/validate.py`` (which wrap the one name rule, ``kiosk/names.py``),
used here as a WTForms validator by :class:`Rule`. A refusal is a
:class:`Message`: a content key and its slots, never text, so the template
says it in the request's language (``_macros.html``: ``say``). A form shown
again after a refusal keeps what was typed (``field.data``).

A field's cleaned value (the name NFC-normalised, the e-mail address in
lower case, a row id as an int) replaces ``field.data`` once its rule
passes, as a WTForms filter would; a refused field keeps what was sent,
clipped to a length that is still refused (``clip``), so nothing long is
shown back.
"""

from __future__ import annotations

from typing import Callable

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import StopValidation

from . import validate
from .errors import error_response
from .i18n import t
from .validate import FieldError

# What is shown back of a refused free-text field: longer than any limit, so
# a clipped value is refused for its length all the same.
KEEP = 500


class Message:
    """A refusal: the content key that says what is wrong, with its slots (a
    slot may be a Message itself, such as a weekday's name). The template
    says it, in the request's language, with ``say()``."""

    __slots__ = ("key", "slots")

    def __init__(self, key: str, **slots):
        self.key = key
        self.slots = slots

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and (self.key, self.slots) == (other.key, other.slots)

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.slots!r})"

    def said_slots(self) -> dict:
        """The slots, a Message among them said in the request's language."""
        return {k: v.say() if isinstance(v, Message) else v for k, v in self.slots.items()}

    def say(self) -> str:
        """The message in the request's language (kiosk/content)."""
        return t(self.key, **self.said_slots())


def clip(length: int) -> Callable:
    """A filter that keeps the first ``length`` characters of what was sent."""

    def _clip(value):
        return value[:length] if isinstance(value, str) else value

    return _clip


class Rule:
    """One of ``validate.py``'s checks as a WTForms validator. ``if_given``: an
    empty field passes (as ''), only what was typed is checked."""

    def __init__(self, check: Callable, *, if_given: bool = False, **options):
        self.check = check
        self.if_given = if_given
        self.options = options

    def __call__(self, form, field) -> None:
        if self.if_given and not (field.data or "").strip():
            field.data = ""
            return
        try:
            field.data = self.check(field.name, field.data, **self.options)
        except FieldError as exc:
            raise StopValidation(Message(exc.key, **exc.slots)) from None


def text_field(max_len: int, *, required: bool = True, **kwargs) -> StringField:
    """A name, place or reason (the one name rule, then the admin character set)."""
    return StringField(validators=[Rule(validate.text, max_len=max_len, required=required)],
                       filters=[clip(KEEP)], default="", **kwargs)


def choice_field(allowed, **kwargs) -> StringField:
    return StringField(validators=[Rule(validate.choice, allowed=tuple(allowed))], filters=[clip(KEEP)],
                       **kwargs)


def id_field(**kwargs) -> StringField:
    """A row id (digits only), required."""
    return StringField(validators=[Rule(validate.record_id)], filters=[clip(KEEP)], default="", **kwargs)


def optional_id_field(**kwargs) -> StringField:
    """A row id (digits only), or nothing (None)."""
    return StringField(validators=[Rule(validate.record_id, required=False)], filters=[clip(KEEP)], default="",
                       **kwargs)


def slug_field(**kwargs) -> StringField:
    """A slug typed by a person (a-z, digits, dashes), or nothing ('')."""
    return StringField(validators=[Rule(validate.slug, if_given=True)], filters=[clip(100)], default="", **kwargs)


def email_field(**kwargs) -> StringField:
    """An e-mail address, in lower case."""
    return StringField(validators=[Rule(validate.email)], filters=[clip(KEEP)], default="", **kwargs)


def day_field(name: str, **kwargs) -> StringField:
    """A date (YYYY-MM-DD, what <input type="date"> sends), or nothing ('': the
    page's default). ``name`` is what the form sends ("from" is a Python keyword)."""
    return StringField(name=name, validators=[Rule(validate.day, if_given=True)], filters=[clip(KEEP)],
                       default="", **kwargs)


def plain_field(keep: int = KEEP, **kwargs) -> StringField:
    """What a service checks itself (a password, a booking's times): only clipped."""
    return StringField(filters=[clip(keep)], default="", **kwargs)


class Form(FlaskForm):
    """Every form's base: refusals as :class:`Message`, and no per-form CSRF."""

    class Meta:
        # CSRFProtect (kiosk/extensions.py, installed in create_app) already
        # checks every state-changing request before a view runs, from the
        # csrf_token field of _macros.html's csrf() or the X-CSRFToken header
        # that <body data-hx-headers> gives htmx. A second check per form
        # would refuse nothing more, and would give each form a field of its own.
        csrf = False

    def refuse(self, problem, field: str | None = None) -> None:
        """Add a refusal found after the form's own checks (a service's
        FieldError or KeyedError): to the field it names, or to the form."""
        name = field or getattr(problem, "field", None)
        message = Message(problem.key, **getattr(problem, "slots", {}))
        target = self._fields.get(name) if name else None
        if target is None:
            self.form_errors.append(message)
        else:
            target.errors = [*target.errors, message]

    def messages(self) -> list[Message]:
        """Every refusal, the form's first, then the fields' in their order."""
        return [*self.form_errors, *(m for f in self for m in f.errors)]

    def typed(self) -> dict[str, str]:
        """What was sent, as it was typed, for a page that shows the form again."""
        return {field.name: field.raw_data[0] for field in self if field.raw_data}

    def refused(self, status: int = 400):
        """The error page (or htmx message) for a form that is not shown again,
        such as a query string's filter or an on/off button: its first refusal."""
        first = self.messages()[0]
        return error_response(status, first.key, **first.said_slots())


# ---- the kiosk's own forms ------------------------------------------------------------


class BookingForm(Form):
    """A booking, wherever a room is booked (admin, the reception board, the room
    console, a staff page): its day, its start, and its end or length in
    minutes; for a new booking who holds it (never a patient). The bookings
    service parses and checks them (kiosk/rooms/booking_forms.py reads them).
    A move may name another room of the unit (its slug; empty: the same room)."""

    day = plain_field(10)
    start = plain_field(5)
    end = plain_field(5)
    minutes = plain_field(4)
    name = plain_field()
    title = plain_field()
    room = plain_field(80)


class BookingRangeForm(Form):
    """The days a list of bookings shows: two date fields, either may be left
    empty (kiosk/bookings/listing.py's ``date_range`` reads and checks them)."""

    start = plain_field(20, name="from")
    end = plain_field(20, name="to")


class BoardBookingListForm(BookingRangeForm):
    """The board's list of its unit's bookings: the days, and one room (its slug) or all."""

    room = slug_field()


class CheckInForm(Form):
    """A check-in at the door, the console or the board: the meeting's length
    in minutes (empty: the default) and the clinician's name and title."""

    minutes = plain_field()
    name = plain_field()
    title = plain_field()
