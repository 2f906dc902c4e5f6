"""What can be printed: the catalogue of printables, built from the content.

Every printable is one template and one named page type. The catalogue is
derived from the content of one language, so a checklist added to the content
files becomes a printable without a line of code, and the titles are in the
document's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kiosk.content import Content

# Guides the staff quick reference is made of (their keys are required by the
# content schema, so they always exist), in the order a meeting meets them.
QUICK_REFERENCE_GUIDES = ("no-show", "connection-problems", "call-broken")
SUITABILITY_CHECKLIST = "suitability"
# The suitability printable asks the content's yes/no questions only (all of R3),
# leaving out the booking and journal items that share the checklist (R4).
SUITABILITY_REQUIREMENT = "R3"

GROUPS = ("door", "staff", "patients", "checklists")


@dataclass(frozen=True)
class Printable:
    """One printable document: ``name`` is its URL, ``kind`` its template and
    its @page name (every checklist shares the kind "checklist")."""

    name: str
    kind: str
    group: str
    title: str
    description: str
    takes_room: bool = False
    # One document in every language at once (the door sign: Swedish, English under it):
    # the index offers one PDF and says so, not a "PDF in English" that is the same sign.
    bilingual: bool = False
    # What the template needs beyond the common context (a checklist, guides ...).
    context: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def template(self) -> str:
        return f"printables/{self.kind.replace('-', '_')}.html"


@dataclass(frozen=True)
class RoomLabel:
    """What a door sign says about its room (a copy, so no session is needed to print)."""

    slug: str
    name: str


@dataclass(frozen=True)
class Letter:
    """What a patient's letter printed from a booking fills in: the visit's date
    and time as the wall clock shows them, the unit's phone and the name to
    print. Never a patient's name or number, nor the booking's holder."""

    date: str
    time: str
    phone: str
    clinic: str


@dataclass(frozen=True)
class PrintJob:
    """One printable in one language with its parameters: what the cache keys on."""

    printable: Printable
    lang: str
    room: RoomLabel | None = None
    letter: Letter | None = None

    @property
    def params(self) -> tuple[tuple[str, str], ...]:
        # The name too: a renamed room must get a new sign, not the cached old one.
        room = (("room", self.room.slug), ("room_name", self.room.name)) if self.room else ()
        letter = (("date", self.letter.date), ("time", self.letter.time), ("phone", self.letter.phone),
                  ("clinic", self.letter.clinic)) if self.letter else ()
        return room + letter

    @property
    def filename(self) -> str:
        """e.g. door-sign-videorum-1-sv.pdf; safe in a header and as a path
        (a slug is whatever an admin typed)."""
        room = f"-{self.room.slug}" if self.room else ""
        day = f"-{self.letter.date}" if self.letter else ""
        return re.sub(r"[^A-Za-z0-9_]+", "-", f"{self.printable.name}{room}{day}-{self.lang}") + ".pdf"


def catalogue(content: Content) -> dict[str, Printable]:
    """Every printable of ``content``'s language, by name, in the index's order."""
    t = content.t
    suitability = content.checklists[SUITABILITY_CHECKLIST]
    docs = [
        Printable("door-sign", "door-sign", "door", t("print.doc.door-sign.title"),
                  t("print.doc.door-sign.text"), takes_room=True, bilingual=True),
        Printable("quick-reference", "quick-reference", "staff", t("print.doc.quick-reference.title"),
                  t("print.doc.quick-reference.text"),
                  context={"guides": [content.guides[k] for k in QUICK_REFERENCE_GUIDES],
                           "voicemail": _script_with_labels(content, "voicemail")}),
        Printable("support", "support", "staff", t("print.doc.support.title"), t("print.doc.support.text"),
                  context={"guide": content.guides["support"]}),
        Printable("suitability", "suitability", "staff", t("print.doc.suitability.title"),
                  t("print.doc.suitability.text"),
                  context={"checklist": suitability,
                           "questions": [i for i in suitability.items if i.question]}),
        Printable("patient-info", "patient-info", "patients", t("print.doc.patient-info.title"),
                  t("print.doc.patient-info.text")),
    ]
    for key, checklist in content.checklists.items():
        docs.append(Printable(f"checklist-{key}", "checklist", "checklists",
                              t("print.doc.checklist.title", title=checklist.title),
                              checklist.intro, context={"checklist": checklist}))
    return {doc.name: doc for doc in docs}


def _script_with_labels(content: Content, key: str) -> str:
    """A script with each blank shown as its label, e.g. "[Ditt namn]", to fill in aloud."""
    script = content.scripts[key]
    return content.fill(key, {slot.key: f"[{slot.label}]" for slot in script.slots})
