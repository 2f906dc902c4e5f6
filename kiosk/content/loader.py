# Over 400 lines: one checker per kind of content file, all applied together at start-up.
"""Load, check and serve the content files.

The files are read once at start-up. Everything wrong with them is reported
together, each line naming the file, the entry and the fault, and start-up
stops: a kiosk must not show half a routine.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from . import schema as s

PACKAGE_DIR = Path(__file__).parent
_FACT = re.compile(r"\{([a-z0-9_.-]+)\}")
_SLOT = re.compile(r"\[([a-z_]+)\]")


class ContentError(click.ClickException):
    """The content files cannot be used; the message lists every fault.

    A ClickException, so `flask --app kiosk ...` with a broken content folder
    prints the faults and exits 1 instead of showing a traceback (a server
    started by gunicorn logs the same message and refuses to start)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("The content files have errors:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Person:
    name: str
    user_id: str
    title: str


@dataclass(frozen=True)
class Document:
    title: str
    type: str
    applies_to: str
    purpose: str
    document_id: str
    version: str
    valid_from: date
    valid_to: date
    owner: Person
    reviewed_by: Person
    approved_by: Person
    req: tuple[str, ...]
    # Requirement id -> the routine document's heading it stands under.
    heading_of: dict[str, str]

    def headings(self, reqs) -> list[tuple[str, list[str]]]:
        """The document's headings for these requirements, each once, in the
        order first named, with the ids under it."""
        found: dict[str, list[str]] = {}
        for r in reqs:
            found.setdefault(self.heading_of[r], []).append(r)
        return list(found.items())

    def status(self, today: date, warn_days: int) -> str:
        """'not-yet', 'valid', 'expiring' (within warn_days) or 'expired' (R1)."""
        if today < self.valid_from:
            return "not-yet"
        if today > self.valid_to:
            return "expired"
        if (self.valid_to - today).days <= warn_days:
            return "expiring"
        return "valid"


@dataclass(frozen=True)
class Contact:
    key: str
    name: str
    role: str
    order: int
    phone: str
    phone_uri: str
    email: str
    url: str
    req: tuple[str, ...]


@dataclass(frozen=True)
class Link:
    key: str
    title: str
    url: str
    req: tuple[str, ...]


@dataclass
class Content:
    """Everything one language says, looked up by key."""

    lang: str
    version: str
    document: Document
    door_sign: s.DoorSign
    numbers: dict[str, int]
    ui: dict[str, str]
    checklists: dict[str, s.Checklist]
    guides: dict[str, s.Guide]
    scripts: dict[str, s.Script]
    contacts: dict[str, Contact]
    links: dict[str, Link]
    patient: s.PatientInfo
    files: tuple[str, ...] = field(default=())

    def t(self, key: str, **slots: Any) -> str:
        """A UI string, with its [slot]s filled; a missing key is a bug."""
        try:
            text = self.ui[key]
        except KeyError:
            raise KeyError(f"no UI string {key!r} in the {self.lang} content") from None
        if slots:
            text = _SLOT.sub(lambda m: str(slots.get(m.group(1), m.group(0))), text)
        return text

    def fill(self, script_key: str, values: dict[str, str]) -> str:
        """A script's text with its slots filled by the given values."""
        script = self.scripts[script_key]
        return _SLOT.sub(lambda m: values.get(m.group(1), m.group(0)), script.text)

    def requirements(self) -> dict[str, list[str]]:
        """Which content entries serve each requirement id."""
        served: dict[str, list[str]] = {}

        def add(where: str, reqs) -> None:
            for r in reqs:
                served.setdefault(r, []).append(where)

        add("document", self.document.req)
        add("door_sign", self.door_sign.req)
        for c in self.checklists.values():
            add(f"checklists.{c.key}", c.req)
            for i in c.items:
                add(f"checklists.{c.key}.{i.key}", i.req)
        for g in self.guides.values():
            add(f"guides.{g.key}", g.req)
            for st in g.steps:
                add(f"guides.{g.key}.{st.key}", st.req)
        for sc in self.scripts.values():
            add(f"scripts.{sc.key}", sc.req)
        for ct in self.contacts.values():
            add(f"contacts.{ct.key}", ct.req)
        for ln in self.links.values():
            add(f"links.{ln.key}", ln.req)
        for sec in self.patient.sections:
            add(f"patient.{sec.key}", sec.req)
        return served

    def readiness_items(self) -> list[tuple[s.Checklist, s.ChecklistItem]]:
        """The items ticked on the door tablet before a meeting, in order."""
        return [(c, i) for c in self.checklists.values() if c.readiness for i in c.items]


@dataclass
class ContentStore:
    """All languages of one content folder, and the version they share."""

    directory: Path
    version: str
    languages: dict[str, Content]

    def get(self, lang: str) -> Content:
        return self.languages[lang]


def default_dir() -> Path:
    return PACKAGE_DIR


_loaded: dict[tuple[str, str, tuple[str, ...]], ContentStore] = {}


def load_content(directory: Path | str | None = None, languages=("sv", "en")) -> ContentStore:
    """Read and check a content folder; raise ContentError naming every fault.

    A folder whose files are byte for byte the same as one already loaded in
    this process is not parsed again (tests create many apps).
    """
    directory = Path(directory) if directory else PACKAGE_DIR
    files = sorted(p for p in directory.rglob("*.toml") if p.is_file())
    version = _version(directory, files)
    cache_key = (str(directory.resolve()), version, tuple(languages))
    if cache_key not in _loaded:
        _loaded[cache_key] = _load(directory, version, tuple(languages))
    return _loaded[cache_key]


def _load(directory: Path, version: str, languages: tuple[str, ...]) -> ContentStore:
    problems: list[str] = []

    facts_path = directory / "facts.toml"
    raw_facts = _read(facts_path, problems)
    facts = _validate(facts_path, raw_facts, s.Facts, problems) if raw_facts is not None else None
    if facts is None:
        raise ContentError(problems or [f"{facts_path}: cannot be read"])
    _unique(facts_path, "contacts", [c.key for c in facts.contacts], problems)
    _unique(facts_path, "links", [l.key for l in facts.links], problems)
    names = _fact_names(facts)

    result: dict[str, Content] = {}
    for lang in languages:
        content = _load_language(directory / lang, lang, facts, names, version, problems)
        if content is not None:
            result[lang] = content
    if not problems and len(result) > 1:
        _check_parity(directory, result, problems)
    if problems:
        raise ContentError(problems)
    return ContentStore(directory=directory, version=version, languages=result)


# ---- helpers ----------------------------------------------------------------


def _version(directory: Path, files: list[Path]) -> str:
    """A short hash of every content file: changes whenever any word changes."""
    h = hashlib.sha256()
    for p in files:
        h.update(str(p.relative_to(directory)).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def _read(path: Path, problems: list[str]) -> dict | None:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        problems.append(f"{path}: the file is missing")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path}: not valid TOML: {exc}")
    return None


def _where(raw: Any, loc: tuple) -> str:
    """Turn a validation location into a readable entry name, using keys."""
    parts: list[str] = []
    node = raw
    for step in loc:
        if isinstance(step, int) and isinstance(node, list):
            item = node[step] if step < len(node) else None
            label = item.get("key") if isinstance(item, dict) else None
            parts[-1] = f"{parts[-1]}[{label or step + 1}]" if parts else f"[{step + 1}]"
            node = item
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts) or "(top)"


def _validate(path: Path, raw: dict, model, problems: list[str]):
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown field (misspelt?)"
            problems.append(f"{path}: {_where(raw, err['loc'])}: {msg}")
        return None


def _unique(path: Path, what: str, keys: list[str], problems: list[str]) -> None:
    seen: set[str] = set()
    for k in keys:
        if k in seen:
            problems.append(f"{path}: {what}[{k}]: the key is used twice")
        seen.add(k)


def _fact_names(facts: s.Facts) -> dict[str, str]:
    """What {name} may stand for in any text."""
    d = facts.document
    names: dict[str, str] = {k: str(v) for k, v in facts.numbers.items()}
    names.update(
        document_id=d.document_id,
        version=d.version,
        valid_from=d.valid_from.isoformat(),
        valid_to=d.valid_to.isoformat(),
    )
    for c in facts.contacts:
        for attr in ("phone", "email", "url"):
            if getattr(c, attr):
                names[f"{c.key}.{attr}"] = getattr(c, attr)
    for link in facts.links:
        names[f"{link.key}.url"] = link.url
    return names


def _expand(node: Any, names: dict[str, str], path: Path, where: list, raw_root, problems) -> Any:
    """Replace {fact} placeholders in every string, reporting unknown ones."""
    if isinstance(node, str):

        def sub(m: re.Match) -> str:
            if m.group(1) in names:
                return names[m.group(1)]
            problems.append(f"{path}: {_where(raw_root, tuple(where))}: unknown placeholder {{{m.group(1)}}}")
            return m.group(0)

        return _FACT.sub(sub, node)
    if isinstance(node, dict):
        return {k: _expand(v, names, path, where + [k], raw_root, problems) for k, v in node.items()}
    if isinstance(node, list):
        return [_expand(v, names, path, where + [i], raw_root, problems) for i, v in enumerate(node)]
    return node


def _flatten(prefix: str, node: Any, out: dict[str, str], path: Path, problems: list[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _flatten(f"{prefix}.{k}" if prefix else k, v, out, path, problems)
    elif isinstance(node, str) and node.strip():
        out[prefix] = node.strip()
    else:
        problems.append(f"{path}: ui.{prefix}: must be a non-empty text")


def _load_language(folder: Path, lang: str, facts: s.Facts, names, version, problems) -> Content | None:
    start = len(problems)
    parsed: dict[str, Any] = {}
    # ui.toml, and ui-*.toml beside it: each part of the kiosk may keep its own
    # UI strings in a file of its own; a key defined twice is an error.
    ui_files = ["ui.toml"] + sorted(p.name for p in folder.glob("ui-*.toml"))
    for fname in list(s.LANGUAGE_FILES) + ui_files[1:]:
        model = s.LANGUAGE_FILES.get(fname, s.UiFile)
        path = folder / fname
        raw = _read(path, problems)
        if raw is None:
            continue
        raw = _expand(raw, names, path, [], raw, problems)
        parsed[fname] = _validate(path, raw, model, problems)
    if len(problems) > start or any(v is None for v in parsed.values()):
        return None

    docf: s.DocumentFile = parsed["document.toml"]
    ui: dict[str, str] = {}
    for fname in ui_files:
        part: dict[str, str] = {}
        _flatten("", parsed[fname].ui, part, folder / fname, problems)
        for key in part.keys() & ui.keys():
            problems.append(f"{folder / fname}: ui.{key}: already defined in another ui file")
        ui.update(part)
    checklists = parsed["checklists.toml"].checklists
    guides = parsed["guides.toml"].guides
    scripts = parsed["scripts.toml"].scripts
    cfile: s.ContactsFile = parsed["contacts.toml"]
    patient: s.PatientInfo = parsed["patient.toml"].patient

    # Keys: unique, and present where the code relies on them.
    for fname, what, keys, required in (
        ("checklists.toml", "checklists", [c.key for c in checklists], s.REQUIRED_CHECKLISTS),
        ("guides.toml", "guides", [g.key for g in guides], s.REQUIRED_GUIDES),
        ("scripts.toml", "scripts", [x.key for x in scripts], s.REQUIRED_SCRIPTS),
        ("contacts.toml", "contacts", [c.key for c in cfile.contacts], ()),
        ("contacts.toml", "links", [l.key for l in cfile.links], ()),
        ("patient.toml", "patient.sections", [x.key for x in patient.sections], ()),
    ):
        _unique(folder / fname, what, keys, problems)
        for k in required:
            if k not in keys:
                problems.append(f"{folder / fname}: {what}[{k}]: missing (the kiosk needs it)")
    for c in checklists:
        _unique(folder / "checklists.toml", f"checklists[{c.key}].items", [i.key for i in c.items], problems)

    # Contacts and links: words here, facts in facts.toml, matched by key.
    fact_contacts = {c.key: c for c in facts.contacts}
    fact_links = {l.key: l for l in facts.links}
    contacts: dict[str, Contact] = {}
    for cw in sorted(cfile.contacts, key=lambda c: c.order):
        cf = fact_contacts.get(cw.key)
        if cf is None:
            problems.append(f"{folder / 'contacts.toml'}: contacts[{cw.key}]: not in facts.toml")
            continue
        contacts[cw.key] = Contact(cw.key, cw.name, cw.role, cw.order, cf.phone, cf.phone_uri,
                                   cf.email, cf.url, tuple(cw.req))
    for k in fact_contacts.keys() - contacts.keys():
        problems.append(f"{folder / 'contacts.toml'}: contacts[{k}]: has facts but no words")
    links: dict[str, Link] = {}
    for lw in cfile.links:
        lf = fact_links.get(lw.key)
        if lf is None:
            problems.append(f"{folder / 'contacts.toml'}: links[{lw.key}]: not in facts.toml")
            continue
        links[lw.key] = Link(lw.key, lw.title, lf.url, tuple(lw.req))
    for k in fact_links.keys() - links.keys():
        problems.append(f"{folder / 'contacts.toml'}: links[{k}]: has facts but no words")

    # References between entries.
    script_keys = {x.key for x in scripts}
    for g in guides:
        gpath = f"{folder / 'guides.toml'}: guides[{g.key}]"
        step_keys = [st.key for st in g.steps]
        _unique(folder / "guides.toml", f"guides[{g.key}].steps", step_keys, problems)
        for st in g.steps:
            if st.script and st.script not in script_keys:
                problems.append(f"{gpath}.steps[{st.key}].script: no script {st.script!r}")
            for k in st.contacts:
                if k not in contacts:
                    problems.append(f"{gpath}.steps[{st.key}].contacts: no contact {k!r}")
            for k in st.links:
                if k not in links:
                    problems.append(f"{gpath}.steps[{st.key}].links: no link {k!r}")
            for ch in st.choices:
                if ch.next and ch.next not in step_keys:
                    problems.append(f"{gpath}.steps[{st.key}].choices[{ch.key}].next: no step {ch.next!r}")
    for sec in patient.sections:
        for k in sec.links:
            if k not in links:
                problems.append(f"{folder / 'patient.toml'}: patient.sections[{sec.key}].links: no link {k!r}")
    for sc in scripts:
        declared = {sl.key for sl in sc.slots}
        used = set(_SLOT.findall(sc.text))
        for k in sorted(used - declared):
            problems.append(f"{folder / 'scripts.toml'}: scripts[{sc.key}].text: slot [{k}] is not declared in slots")
        for k in sorted(declared - used):
            problems.append(f"{folder / 'scripts.toml'}: scripts[{sc.key}].slots[{k}]: not used in the text")

    if len(problems) > start:
        return None
    fd, dw = facts.document, docf.document
    document = Document(
        title=dw.title, type=dw.type, applies_to=dw.applies_to, purpose=dw.purpose,
        document_id=fd.document_id, version=fd.version, valid_from=fd.valid_from, valid_to=fd.valid_to,
        owner=Person(fd.owner.name, fd.owner.user_id, dw.owner.title),
        reviewed_by=Person(fd.reviewed_by.name, fd.reviewed_by.user_id, dw.reviewed_by.title),
        approved_by=Person(fd.approved_by.name, fd.approved_by.user_id, dw.approved_by.title),
        req=tuple(dw.req),
        heading_of={r: heading for heading, reqs in dw.sections.items() for r in reqs},
    )
    return Content(
        lang=lang, version=version, document=document, door_sign=docf.door_sign,
        numbers=dict(facts.numbers), ui=ui,
        checklists={c.key: c for c in checklists}, guides={g.key: g for g in guides},
        scripts={x.key: x for x in scripts}, contacts=contacts, links=links, patient=patient,
        files=tuple(sorted(s.LANGUAGE_FILES)) + tuple(ui_files[1:]),
    )


def _check_parity(directory: Path, langs: dict[str, Content], problems: list[str]) -> None:
    """Every language must offer the same entries, so no screen misses a part."""
    first_lang, first = next(iter(langs.items()))

    def shape(c: Content) -> dict[str, set]:
        return {
            "ui.toml: ui": set(c.ui),
            "checklists.toml: checklists": {
                f"{x.key}.{i.key}" + (" (may not apply)" if i.may_not_apply else "")
                + (" (question)" if i.question else "")
                for x in c.checklists.values() for i in x.items
            } | set(c.checklists),
            "checklists.toml: alternatives": {
                f"{x.key}.{g.key}: {', '.join(g.items)}" for x in c.checklists.values() for g in x.alternatives
            },
            "guides.toml: guides": {
                f"{g.key}.{st.key}" + (f".{ch.key}->{ch.next}:{ch.outcome}" if ch else "")
                for g in c.guides.values() for st in g.steps for ch in (st.choices or [None])
            },
            "scripts.toml: scripts": {f"{x.key}:{sl.key}" for x in c.scripts.values() for sl in x.slots}
            | set(c.scripts),
            "patient.toml: patient.sections": {x.key for x in c.patient.sections},
            "checklists.toml: readiness": {x.key for x in c.checklists.values() if x.readiness},
        }

    ref = shape(first)
    for lang, c in langs.items():
        if lang == first_lang:
            continue
        other = shape(c)
        for where, keys in ref.items():
            fname, what = where.split(": ")
            for k in sorted(keys - other[where]):
                problems.append(f"{directory / lang / fname}: {what}: {k} is in {first_lang} but missing here")
            for k in sorted(other[where] - keys):
                problems.append(f"{directory / lang / fname}: {what}: {k} is here but not in {first_lang}")
