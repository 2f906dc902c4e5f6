"""Find pages by words, in one language's content.

Small enough to search in memory on every request: a few dozen entries, each
a checklist, a guide or a staff page (device check, printables, about...) with
its title and headings. Words are compared after Snowball stemming (Swedish or
English, snowballstemmer) and case and accent folding, so "ljudet" finds "ljud"
and "vardmote" finds "vårdmöte" on a keyboard without å and ö. A searched word
matches a text word that starts with its stem; a stem of four letters or more
also matches inside a word, because Swedish joins words ("tolk" finds
"telefontolk"). An entry is a hit when it holds every word; the items or steps
that hold a word are listed under it, so a search leads straight to the right
line. With no hit, ``nearest`` offers the entries with the closest-spelled words.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer

from ..content import Content

MAX_QUERY = 100
MAX_WORDS = 8
MAX_PARTS = 5
MAX_NEAREST = 5
# A stem this long may match inside a compound word; shorter ones only at its start
# ("ring" should not find "uppkoppling").
INFIX_MIN = 4
_WORD = re.compile(r"\w+")
_STEMMERS = {"sv": "swedish", "en": "english"}

# Staff pages that are neither a checklist nor a guide: (endpoint, title key,
# UI keys of its headings, as fnmatch patterns). The words are the content's.
PAGES = (
    ("devicecheck.devices", "devices.title",
     ("devices.camera", "devices.microphone", "devices.sound", "devices.help_title", "devices.lead")),
    ("printables.index", "print.title",
     ("print.lead", "print.group.*", "print.doc.*.title", "print.room.title")),
    ("main.about", "about.title", ("about.control", "about.purpose_title")),
    ("main.accessibility", "a11y.title", ("a11y.*.title",)),
    ("checklists.index", "checklists.title", ("checklists.lead",)),
    ("guides.index", "guides.title", ("guides.lead",)),
)


class Part(NamedTuple):
    """An item or a step that holds a searched word."""

    key: str
    text: str


@dataclass(frozen=True)
class Hit:
    """A checklist, guide or page that holds every searched word."""

    kind: str  # "checklist" | "guide" | "page" (then key is the page's endpoint)
    key: str
    title: str
    parts: list[Part] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    kind: str
    key: str
    title: str
    words: frozenset[str]  # folded words of the whole entry
    title_words: frozenset[str]
    # (part key, shown text, folded words); a page's parts are its headings.
    parts: tuple[tuple[str, str, frozenset[str]], ...]


def fold(text: str) -> str:
    """Lower case without accents, for comparing words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def query_words(query: str) -> list[str]:
    """The distinct words of a query, folded; an over-long query is cut."""
    return [fold(w) for w in _raw_words(query)]


def _raw_words(query: str) -> list[str]:
    words: list[str] = []
    for word in query[:MAX_QUERY].casefold().split():
        word = word.strip(".,;:!?\"'()[]”“’")
        if word and fold(word) not in (fold(w) for w in words):
            words.append(word)
    return words[:MAX_WORDS]


@lru_cache(maxsize=4)
def _stemmer(lang: str):
    return snowballstemmer.stemmer(_STEMMERS.get(lang, "swedish"))


def query_terms(query: str, lang: str) -> list[str]:
    """The query's words as folded stems: stemmed before folding, since the
    Swedish stemmer knows å, ä and ö."""
    stem = _stemmer(lang).stemWord
    return [fold(stem(w)) for w in _raw_words(query)]


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(fold(text)))


def _matches(term: str, words: frozenset[str], stems: dict[str, str]) -> bool:
    """Does a stemmed query term match one of the words? See the module's docstring;
    also "kameran" (a stem the stemmer leaves whole) finds "kamera" (stem "kamer")."""
    for w in words:
        if w.startswith(term) or (len(term) >= INFIX_MIN and term in w):
            return True
        ws = stems[w]
        if len(ws) >= INFIX_MIN and term.startswith(ws) and len(term) - len(ws) <= 3:
            return True
    return False


_INDEX: dict[tuple[str, str], tuple[list[_Entry], dict[str, str]]] = {}


def _index(content: Content) -> tuple[list[_Entry], dict[str, str]]:
    """Every searchable entry of one content version, and each word's folded stem;
    built once per language and content version."""
    cache_key = (content.lang, content.version)
    if cache_key not in _INDEX:
        entries = list(_entries(content))
        stem = _stemmer(content.lang).stemWord
        stems = {w: fold(stem(w)) for e in entries for w in e.words}
        _INDEX[cache_key] = (entries, stems)
    return _INDEX[cache_key]


def _entry(kind, key, title, texts, parts) -> _Entry:
    folded_parts = tuple((k, shown, _words(searched)) for k, shown, searched in parts)
    words = _words(" ".join(texts)).union(*(p[2] for p in folded_parts))
    return _Entry(kind, key, title, words, _words(title), folded_parts)


def _entries(content: Content):
    """Checklists, then guides, then the other staff pages."""
    for c in content.checklists.values():
        parts = [(i.key, i.text, f"{i.text} {i.help} {i.unit_text}") for i in c.items]
        yield _entry("checklist", c.key, c.title, [c.title, c.intro, c.if_incomplete], parts)
    for g in content.guides.values():
        parts = []
        for st in g.steps:
            # A step that shows contacts is found by their names and roles ("Visiba").
            contacts = [f"{content.contacts[k].name} {content.contacts[k].role}"
                        for k in st.contacts if k in content.contacts]
            parts.append((st.key, st.title, " ".join([st.title, st.text, st.unit_text, *st.items, *contacts])))
        yield _entry("guide", g.key, g.title, [g.title, g.summary], parts)
    for endpoint, title_key, heading_patterns in PAGES:
        keys = [k for pattern in heading_patterns for k in sorted(fnmatch.filter(content.ui, pattern))]
        parts = [(k, content.ui[k], content.ui[k]) for k in dict.fromkeys(keys)]
        title = content.t(title_key)
        yield _entry("page", endpoint, title, [title], parts)


def search(content: Content, query: str) -> list[Hit]:
    """Entries holding every word of ``query``, best first."""
    terms = query_terms(query, content.lang)
    if not terms:
        return []
    entries, stems = _index(content)
    scored: list[tuple[int, int, Hit]] = []
    for order, e in enumerate(entries):
        if not all(_matches(t, e.words, stems) for t in terms):
            continue
        matched = []
        for part_key, shown, words in e.parts:
            n = sum(_matches(t, words, stems) for t in terms)
            if n:
                matched.append((n, Part(part_key, shown)))
        matched.sort(key=lambda m: -m[0])  # stable: ties keep the routine's order
        in_title = sum(_matches(t, e.title_words, stems) for t in terms)
        score = 3 * in_title + len(matched)
        # A page's headings are shown, not linked: only checklist items and guide steps have anchors.
        parts = [p for _, p in matched[:MAX_PARTS]] if e.kind != "page" else []
        scored.append((-score, order, Hit(e.kind, e.key, e.title, parts)))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [hit for _, _, hit in scored]


def nearest(content: Content, query: str) -> list[Hit]:
    """When nothing matches: the entries holding the words spelled closest to
    the query's ("tolc" → "tolk"), at most MAX_NEAREST, best first."""
    terms = query_terms(query, content.lang)
    entries, stems = _index(content)
    vocabulary = sorted({w for e in entries for w in e.words})
    near: dict[str, float] = {}
    for term in terms:
        for word in difflib.get_close_matches(term, vocabulary, n=5, cutoff=0.75):
            near[word] = max(near.get(word, 0.0), difflib.SequenceMatcher(None, term, word).ratio())
    scored = []
    for order, e in enumerate(entries):
        score = sum(r for w, r in near.items() if w in e.words)
        if score:
            scored.append((-score, order, Hit(e.kind, e.key, e.title)))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [hit for _, _, hit in scored[:MAX_NEAREST]]
