"""The one rule for names and other short free text a person types: a
clinician's name and title at check-in, the no-show procedure's name, title
and clinic, and the admin pages' names, locations and reasons.

A name is NFC-normalised (so "å" typed two ways is one name) and its white
space collapsed to single spaces. It may not contain control, format,
surrogate, private-use or unassigned characters (Unicode categories Cc, Cf,
Cs, Co, Cn) nor line or paragraph separators: among them are line breaks,
U+202E and the other bidirectional overrides and isolates, and zero-width
characters, which would make a name on a door read differently from what was
typed. The characters are checked in what was sent, before white space is
collapsed, so a line break is refused rather than quietly joined.

Nor may it hold a Swedish personal identity or coordination number
(personnummer, samordningsnummer): clinicians write patients' numbers
wherever there is a text field, and these texts show on doors and boards.
Candidates are found generously (with or without century, written with any
dash, a slash, a plus, spaces or full-width digits) and then judged by
python-stdnum's ``stdnum.se.personnummer`` (the date and the check digit),
so that a telephone number or a room number is not refused while a real
number with odd separators is. stdnum does not know coordination numbers (the
day plus 60): for those its date check is given the day less 60 and its Luhn
check the number as written. A number without century is judged in both
centuries (the 1900s and the 2000s) rather than by today's date, which only
the kiosk's clock may give.

Callers map the problem to their own message (a content key), because the
door, the no-show form and the admin forms each say it in their own words.
"""

from __future__ import annotations

import re
import unicodedata

from stdnum import luhn
from stdnum.se import personnummer

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

MISSING = "missing"
TOO_LONG = "too_long"
CHARACTERS = "characters"
PERSONAL_NUMBER = "personal_number"

# A run of digits with the separators people put inside a number: any dash
# (hyphen, en and em dash, minus, non-breaking hyphen), a slash, a plus, a dot
# and spaces. The text is NFKC-folded first, so full-width digits are digits.
_DIGIT_RUN = re.compile(r"\d(?:[\d\s./+\-\u2010-\u2015\u2212]*\d)?")
_GROUP = re.compile(r"\d+")


class NameProblem(ValueError):
    """A name that cannot be used; ``problem`` is MISSING, TOO_LONG, CHARACTERS or PERSONAL_NUMBER."""

    def __init__(self, problem: str, max_len: int | None = None):
        super().__init__(problem)
        self.problem = problem
        self.max_len = max_len


def has_refused_characters(value: str) -> bool:
    """True when any character is of a refused category (see the module docstring)."""
    return any(unicodedata.category(ch) in REFUSED_CATEGORIES for ch in value)


def without_refused(value: str) -> str:
    """The value with refused characters dropped: what may be shown back in a
    form after it was refused (never stored)."""
    return "".join(ch for ch in value if unicodedata.category(ch) not in REFUSED_CATEGORIES)


def personal_numbers(value: str) -> list[str]:
    """The personal identity or coordination numbers in ``value`` (as digits),
    by the rule in the module docstring."""
    found = []
    for run in _DIGIT_RUN.finditer(unicodedata.normalize("NFKC", value)):
        text = run.group()
        groups = list(_GROUP.finditer(text))
        # Any stretch of whole digit groups of 10 or 12 digits is a candidate:
        # "070-123 45 67 19121212-1212" holds a phone number and a personal number.
        for i in range(len(groups)):
            digits = ""
            for j in range(i, len(groups)):
                digits += groups[j].group()
                if len(digits) > 12:
                    break
                if len(digits) in (10, 12) and _is_personal_number(digits):
                    found.append(digits)
    return found


def _is_personal_number(digits: str) -> bool:
    """Ten or twelve digits judged by stdnum (see the module docstring)."""
    dated = [digits] if len(digits) == 12 else ["19" + digits, "20" + digits]
    for full in dated:
        day = int(full[6:8])
        if day > 60:  # a coordination number: its own check digit, the date of day - 60
            if not luhn.is_valid(full[2:]):
                continue
            body = full[2:6] + f"{day - 60:02d}" + full[8:11]
            full = full[:2] + body + luhn.calc_check_digit(body)
        if personnummer.is_valid(full[:8] + "-" + full[8:]):
            return True
    return False


def has_personal_number(value: str) -> bool:
    return bool(personal_numbers(value))


def clean(raw: str | None, max_len: int, *, required: bool = True) -> str:
    """The name as it is stored: NFC, white space collapsed; '' for an empty
    optional name. Raises :class:`NameProblem` (missing, too long, refused
    characters, a personal number, in that order)."""
    raw = raw or ""
    value = " ".join(unicodedata.normalize("NFC", raw).split())
    if not value:
        if required:
            raise NameProblem(MISSING)
        return ""
    if len(value) > max_len:
        raise NameProblem(TOO_LONG, max_len)
    if has_refused_characters(raw):
        raise NameProblem(CHARACTERS)
    if has_personal_number(value):
        raise NameProblem(PERSONAL_NUMBER)
    return value
