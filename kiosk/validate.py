"""Server-side checks of every admin form field: a length limit and the
characters allowed. The browser's maxlength and pattern are a courtesy; these
are the rule. A refused field names a UI string that says what is allowed.
The admin forms (kiosk/admin/forms.py) use them as WTForms validators through
kiosk/forms.py's ``Rule``; services and the command line call them directly.

Names and reasons allow letters of any language, digits, spaces and a little
punctuation - not ``< > " { } [ ] \\ = ` | $ % * @ ^ ~``: nothing a room name
needs, and nothing markup, template or formula syntax is made of.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from . import names

# Letters and digits (\w also allows "_"), spaces, and this punctuation;
# every pattern is used with fullmatch ("$" would let a final newline through).
_TEXT = re.compile(r"[\w .,:;()/&'’+#!?–-]*")
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?")
_EMAIL = re.compile(r"[a-z0-9._%+-]{1,64}@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ID = re.compile(r"[0-9]{1,9}")
_DIGITS = re.compile(r"[0-9]+")
# A phone number as people write it: digits (ASCII only), spaces, dashes, a leading +.
_PHONE = re.compile(r"\+?[0-9][0-9 \-]{4,38}[0-9]", re.ASCII)

NAME_MAX = 80
LOCATION_MAX = 120
REASON_MAX = 200
SLUG_MAX = 60
EMAIL_MAX = 254
PASSWORD_MIN = 12
PASSWORD_MAX = 200


class FieldError(ValueError):
    """A field that cannot be used; ``key`` is the UI string that explains it."""

    def __init__(self, field: str, key: str, **slots):
        super().__init__(f"{field}: {key}")
        self.field = field
        self.key = key
        self.slots = slots


def text(field: str, raw: str | None, *, max_len: int, required: bool = True) -> str:
    """A name, place or reason: the one name rule (kiosk/names.py), then the
    admin pages' character set (what signs, boards and CSV files may show)."""
    try:
        value = names.clean(raw, max_len, required=required)
    except names.NameProblem as exc:
        if exc.problem == names.MISSING:
            raise FieldError(field, "admin.field.required") from None
        if exc.problem == names.TOO_LONG:
            raise FieldError(field, "admin.field.too_long", max=max_len) from None
        if exc.problem == names.PERSONAL_NUMBER:
            raise FieldError(field, "admin.field.personal_number") from None
        raise FieldError(field, "admin.field.characters") from None
    if not _TEXT.fullmatch(value):
        raise FieldError(field, "admin.field.characters")
    return value


def slugify(name: str) -> str:
    """A URL slug from a name: å, ä, ö become a, a, o; anything else a dash."""
    folded = unicodedata.normalize("NFKD", name.lower())
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
    return slug[:SLUG_MAX].rstrip("-")


def _pattern(field: str, value: str, max_len: int, pattern: re.Pattern, key: str) -> str:
    """``value`` if it is at most ``max_len`` long and matches ``pattern``; else the
    length's message, or ``key`` (what the field allows)."""
    if len(value) > max_len:
        raise FieldError(field, "admin.field.too_long", max=max_len)
    if not pattern.fullmatch(value):
        raise FieldError(field, key)
    return value


def slug(field: str, raw: str | None) -> str:
    """A slug typed by a person: lower-case letters a-z, digits and dashes."""
    return _pattern(field, (raw or "").strip(), SLUG_MAX, _SLUG, "admin.field.slug")


def email(field: str, raw: str | None) -> str:
    value = (raw or "").strip().lower()
    if not value:
        raise FieldError(field, "admin.field.required")
    return _pattern(field, value, EMAIL_MAX, _EMAIL, "admin.field.email")


def password(field: str, raw: str | None) -> str:
    """A new password: long enough, not absurdly long, no control characters."""
    value = raw or ""
    if len(value) < PASSWORD_MIN:
        raise FieldError(field, "admin.field.password_short", min=PASSWORD_MIN)
    if len(value) > PASSWORD_MAX:
        raise FieldError(field, "admin.field.too_long", max=PASSWORD_MAX)
    if names.has_refused_characters(value):
        raise FieldError(field, "admin.field.characters")
    return value


def choice(field: str, raw: str | None, allowed) -> str:
    value = (raw or "").strip()
    if value not in allowed:
        raise FieldError(field, "admin.field.choice")
    return value


def record_id(field: str, raw: str | None, *, required: bool = True) -> int | None:
    """A row id from a form or a query string (digits only)."""
    value = (raw or "").strip()
    if not value:
        if required:
            raise FieldError(field, "admin.field.required")
        return None
    if not _ID.fullmatch(value):
        raise FieldError(field, "admin.field.choice")
    return int(value)


def day(field: str, raw: str | None) -> date:
    """A date written YYYY-MM-DD (what <input type="date"> sends)."""
    value = (raw or "").strip()
    if not value:
        raise FieldError(field, "admin.field.required")
    if not _DATE.fullmatch(value):
        raise FieldError(field, "admin.field.date")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise FieldError(field, "admin.field.date") from None
    if not 2000 <= parsed.year <= 2100:
        raise FieldError(field, "admin.field.date")
    return parsed


def phone(field: str, raw: str | None) -> str:
    """A phone number to print ("08-123 456 78", "+46 8 123 456 78")."""
    value = " ".join((raw or "").split())
    if not value:
        raise FieldError(field, "admin.field.required")
    if len(value) > 40 or not _PHONE.fullmatch(value):
        raise FieldError(field, "admin.field.phone")
    return value


def page_number(field: str, raw: str | None) -> int:
    """A page of a list, from 1 (empty: the first)."""
    value = (raw or "1").strip()
    if not _ID.fullmatch(value) or len(value) > 6 or int(value) < 1:
        raise FieldError(field, "admin.field.choice")
    return int(value)


def number(raw: str | None, max_digits: int) -> int | None:
    """A whole number written in ASCII digits, at most ``max_digits`` of them;
    None for anything else. The one test for "is this a number" on every form
    and query string: ``str.isdigit`` also accepts "²" and "٣", which ``int``
    refuses or reads as a different digit."""
    if raw is None or len(raw) > max_digits or not _DIGITS.fullmatch(raw):
        return None
    return int(raw)
