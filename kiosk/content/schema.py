"""The shape of the content files, checked when they are loaded.

Language-neutral facts (numbers, phone numbers, addresses, the routine's
document identity) live once in ``facts.toml``; each language folder holds the
words. Every routine item names the requirements (R1-R41) it serves.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

REQ_IDS = tuple(f"R{n}" for n in range(1, 42))
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _req(value: str) -> str:
    if value not in REQ_IDS:
        raise ValueError(f"unknown requirement id {value!r} (known: R1-R41)")
    return value


def _key(value: str) -> str:
    if not _KEY.match(value):
        raise ValueError(f"key {value!r} must be lower-case letters, digits and '-'")
    return value


ReqId = Annotated[str, AfterValidator(_req)]
Key = Annotated[str, AfterValidator(_key)]
Reqs = Annotated[list[ReqId], Field(min_length=1)]
Text = Annotated[str, Field(min_length=1)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# ---- facts.toml (one for all languages) -------------------------------------


class PersonFacts(Model):
    name: Text
    user_id: Text


class DocumentFacts(Model):
    document_id: Text
    version: Text
    valid_from: date
    valid_to: date
    owner: PersonFacts
    reviewed_by: PersonFacts
    approved_by: PersonFacts


class ContactFacts(Model):
    key: Key
    phone: str = ""
    # The number as a tel: link wants it, e.g. +46104737100.
    phone_uri: str = ""
    email: str = ""
    url: str = ""


class LinkFacts(Model):
    key: Key
    url: Annotated[str, Field(pattern=r"^https://")]


class Facts(Model):
    document: DocumentFacts
    numbers: dict[Annotated[str, Field(pattern=r"^[a-z_]+$")], int]
    contacts: list[ContactFacts]
    links: list[LinkFacts]


# ---- one language -----------------------------------------------------------


class PersonWords(Model):
    title: Text  # the person's job title in this language


class DocumentWords(Model):
    title: Text
    type: Text
    applies_to: Text
    purpose: Text
    owner: PersonWords
    reviewed_by: PersonWords
    approved_by: PersonWords
    req: Reqs
    # The routine document's own headings, each with the requirements its text
    # states: "Källa i rutinen" names the heading a reader finds in the document.
    sections: dict[str, Reqs]

    @model_validator(mode="after")
    def _every_requirement_under_one_heading(self) -> DocumentWords:
        placed = [r for reqs in self.sections.values() for r in reqs]
        twice = sorted({r for r in placed if placed.count(r) > 1})
        missing = [r for r in REQ_IDS if r not in placed]
        if twice or missing:
            raise ValueError(f"sections: each of R1-R41 under one heading (twice: {twice}, missing: {missing})")
        return self


class DoorSign(Model):
    text: Text
    req: Reqs


class ContactWords(Model):
    key: Key
    name: Text
    role: Text
    order: int
    req: Reqs


class LinkWords(Model):
    key: Key
    title: Text
    req: Reqs


# How a visit went, as wrap-up records it (rooms/service.py OUTCOMES).
VisitOutcome = Literal["held", "no-show", "technical"]
VISIT_OUTCOMES: tuple[VisitOutcome, ...] = ("held", "no-show", "technical")


class ChecklistItem(Model):
    key: Key
    text: Text
    help: str = ""
    # The item holds only in some meetings ("Vid barn: ...", "Vid ombud: ..."): it
    # may be marked "does not apply" instead of ticked, and then leaves the count.
    may_not_apply: bool = False
    # Sentences the unit completes with its own routine (how an interpreter is
    # booked): the regional routine does not say, so the page marks them as the unit's.
    unit_text: str = ""
    # A question answered yes or no (suitability, R3): "yes" ticks it, "no" says
    # what follows (the checklist's if_incomplete) and the checklist cannot be complete.
    question: bool = False
    # The visits an item of the ending applies to, by how they went: a meeting
    # that never happened asks no teach-back, and a new time only after one
    # that did not take place. Every visit unless the content narrows it.
    outcomes: Annotated[list[VisitOutcome], Field(min_length=1)] = list(VISIT_OUTCOMES)
    req: Reqs


class Alternatives(Model):
    """Items of which one must hold (BankID, or the inviter checked the identity):
    the group counts as one point, done only when one of its items is ticked;
    "does not apply" on every alternative leaves it open."""

    key: Key
    text: Text
    items: Annotated[list[Key], Field(min_length=2)]


class Progress(BaseModel):
    """How far a checklist has come with some marks: what every screen and the
    printed progress say, computed once."""

    done: int
    total: int
    not_applying: int
    # Question items answered "no", and alternatives none of which is ticked yet.
    answered_no: list[str]
    open_alternatives: list[str]

    @property
    def complete(self) -> bool:
        return self.done == self.total and not self.answered_no


class Checklist(Model):
    key: Key
    title: Text
    intro: str = ""
    # Said when an item cannot be ticked (e.g. a suitability question answered no).
    if_incomplete: str = ""
    # Shown on the door tablet while the room is being prepared.
    readiness: bool = False
    req: Reqs
    items: Annotated[list[ChecklistItem], Field(min_length=1)]
    alternatives: list[Alternatives] = []

    def alternatives_of(self, item_key: str) -> Alternatives | None:
        """The group of alternatives ``item_key`` belongs to, if any."""
        for group in self.alternatives:
            if item_key in group.items:
                return group
        return None

    def for_outcome(self, outcome: str) -> Checklist:
        """The checklist as a visit that went this way is asked it: only the
        items that apply (a group of alternatives stays when all its items do)."""
        items = [i for i in self.items if outcome in i.outcomes]
        if len(items) == len(self.items) or not items:
            return self
        kept = {i.key for i in items}
        return self.model_copy(update={"items": items, "alternatives": [
            g for g in self.alternatives if set(g.items) <= kept]})

    def progress(self, marks: dict[str, str]) -> Progress:
        """Count the points: an item outside any group is one point, done when
        ticked; where it may be marked "does not apply" and is, it is no point at
        all (it leaves the count, never fills the bar: "3 av 4" with nothing
        ticked said the visit was three quarters ready); a group of alternatives
        is one point, done only when one of its items is ticked; a question
        answered "no" is not done and keeps the checklist incomplete."""
        grouped = {k for g in self.alternatives for k in g.items}
        done = not_applying = 0
        answered_no = []
        for item in self.items:
            state = marks.get(item.key)
            if state == "na" and item.may_not_apply:
                not_applying += 1
            if item.key in grouped:
                continue
            if state == "done":
                done += 1
            elif state == "no" and item.question:
                answered_no.append(item.key)
        open_groups = [g.key for g in self.alternatives if not any(marks.get(k) == "done" for k in g.items)]
        done += len(self.alternatives) - len(open_groups)
        ungrouped_na = sum(1 for i in self.items if i.key not in grouped and i.may_not_apply
                           and marks.get(i.key) == "na")
        total = len(self.items) - len(grouped) + len(self.alternatives) - ungrouped_na
        return Progress(done=done, total=total, not_applying=not_applying,
                        answered_no=answered_no, open_alternatives=open_groups)

    @model_validator(mode="after")
    def _alternatives_are_items_side_by_side(self) -> Checklist:
        # A group names items of this checklist, each in one group only, listed
        # next to each other (the page shows them as one point).
        order = [i.key for i in self.items]
        seen: set[str] = set()
        for group in self.alternatives:
            missing = [k for k in group.items if k not in order]
            if missing:
                raise ValueError(f"alternatives {group.key!r} name unknown items: {', '.join(missing)}")
            twice = seen & set(group.items)
            if twice or len(set(group.items)) != len(group.items):
                raise ValueError(f"alternatives {group.key!r}: an item may be in one group once only")
            seen |= set(group.items)
            places = sorted(order.index(k) for k in group.items)
            if places != list(range(places[0], places[0] + len(places))) or \
                    [order[p] for p in places] != list(group.items):
                raise ValueError(f"alternatives {group.key!r}: list the items next to each other, "
                                 "in the order of the checklist")
        if self.readiness and self.alternatives:
            raise ValueError("a readiness checklist has no alternatives (the door starts on every item ticked)")
        asked = [i.key for i in self.items if i.question and i.may_not_apply]
        if asked:
            raise ValueError(f"a question is answered yes or no, never \"does not apply\": {', '.join(asked)}")
        if self.readiness and any(i.question for i in self.items):
            raise ValueError("a readiness checklist has no yes/no questions")
        return self

    @model_validator(mode="after")
    def _readiness_items_always_apply(self) -> Checklist:
        # The door starts the meeting when every readiness item is ticked: an item
        # that could be waved away would make "ready" mean less than the routine says.
        if self.readiness:
            waved = [i.key for i in self.items if i.may_not_apply]
            if waved:
                raise ValueError(f"a readiness checklist's items always apply; may_not_apply on {', '.join(waved)}")
        return self


Outcome = Literal["held", "no-show", "technical", "rebooked"]


class Choice(Model):
    key: Key
    label: Text
    # The step this choice leads to; none ends the guide.
    next: Key | None = None
    outcome: Outcome | None = None


class Block(Model):
    """A titled run of text and items: a guide's step, a handout's section."""

    key: Key
    text: str = ""
    items: list[Text] = []
    # Links (by key) shown with the block.
    links: list[Key] = []
    req: Reqs


class Step(Block):
    title: Text
    # The unit's to complete, as on ChecklistItem.
    unit_text: str = ""
    # A script (by key) shown filled in at this step.
    script: Key | None = None
    # Contacts (by key) shown with this step.
    contacts: list[Key] = []
    choices: list[Choice] = []


class Guide(Model):
    key: Key
    title: Text
    summary: Text
    req: Reqs
    steps: Annotated[list[Step], Field(min_length=1)]


class Slot(Model):
    key: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    label: Text
    max_length: int = 80


class Script(Model):
    key: Key
    title: Text
    text: Text
    slots: list[Slot] = []
    req: Reqs


class PatientSection(Block):
    heading: Text


class PatientInfo(Model):
    title: Text
    intro: Text
    sections: Annotated[list[PatientSection], Field(min_length=1)]


# What each file of a language folder holds (file name -> model of its root).
class DocumentFile(Model):
    document: DocumentWords
    door_sign: DoorSign


class UiFile(Model):
    ui: dict[str, object]


class ChecklistsFile(Model):
    checklists: Annotated[list[Checklist], Field(min_length=1)]


class GuidesFile(Model):
    guides: Annotated[list[Guide], Field(min_length=1)]


class ScriptsFile(Model):
    scripts: list[Script]


class ContactsFile(Model):
    contacts: list[ContactWords]
    links: list[LinkWords]


class PatientFile(Model):
    patient: PatientInfo


LANGUAGE_FILES: dict[str, type[Model]] = {
    "document.toml": DocumentFile,
    "ui.toml": UiFile,
    "checklists.toml": ChecklistsFile,
    "guides.toml": GuidesFile,
    "scripts.toml": ScriptsFile,
    "contacts.toml": ContactsFile,
    "patient.toml": PatientFile,
}

# Keys the code relies on: a content set without them cannot run the kiosk.
REQUIRED_CHECKLISTS = (
    "suitability", "identity", "equipment", "environment", "dress", "meeting-start", "ending",
)
REQUIRED_GUIDES = (
    "no-show", "connection-problems", "call-broken", "phone-call", "two-screens",
    "login", "functions", "support", "responsibility",
)
REQUIRED_SCRIPTS = ("voicemail", "journal-no-show")
