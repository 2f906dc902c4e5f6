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

Callers map the problem to their own message (a content key), because the
door, the no-show form and the admin forms each say it in their own words.
"""

from __future__ import annotations

import unicodedata

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

MISSING = "missing"
TOO_LONG = "too_long"
CHARACTERS = "characters"


class NameProblem(ValueError):
    """A name that cannot be used; ``problem`` is MISSING, TOO_LONG or CHARACTERS."""

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


def clean(raw: str | None, max_len: int, *, required: bool = True) -> str:
    """The name as it is stored: NFC, white space collapsed; '' for an empty
    optional name. Raises :class:`NameProblem` (missing, too long, refused
    characters, in that order)."""
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
    return value
