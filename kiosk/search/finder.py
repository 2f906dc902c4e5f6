"""Find checklists and guides by words, in one language's content.

Small enough to search in memory on every request: a few dozen entries. A
word matches anywhere inside a text ("kamer" finds "kameran"), ignoring case
and accents, so "vardmote" finds "vårdmöte" on a keyboard without å and ö.
An entry is a hit when it holds every word; the items or steps that hold a
word are listed under it, so a search leads straight to the right line.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from ..content import Content

MAX_QUERY = 100
MAX_WORDS = 8
MAX_PARTS = 5


@dataclass(frozen=True)
class Part:
    """An item or a step that holds a searched word."""

    key: str
    text: str


@dataclass(frozen=True)
class Hit:
    """A checklist or guide that holds every searched word."""

    kind: str  # "checklist" | "guide"
    key: str
    title: str
    parts: list[Part] = field(default_factory=list)


def fold(text: str) -> str:
    """Lower case without accents, for comparing words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def query_words(query: str) -> list[str]:
    """The distinct words of a query, folded; an over-long query is cut."""
    words: list[str] = []
    for word in fold(query[:MAX_QUERY]).split():
        word = word.strip(".,;:!?\"'()[]”“’")
        if word and word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def _entries(content: Content):
    """(kind, key, title, [texts of the whole entry], [(part key, shown text, searched text)])."""
    for c in content.checklists.values():
        parts = [(i.key, i.text, f"{i.text} {i.help}") for i in c.items]
        yield "checklist", c.key, c.title, [c.title, c.intro, c.if_incomplete], parts
    for g in content.guides.values():
        parts = [(st.key, st.title, " ".join([st.title, st.text, *st.items])) for st in g.steps]
        yield "guide", g.key, g.title, [g.title, g.summary], parts


def search(content: Content, query: str) -> list[Hit]:
    """Checklists and guides holding every word of ``query``, best first."""
    words = query_words(query)
    if not words:
        return []
    scored: list[tuple[int, int, Hit]] = []
    for order, (kind, key, title, texts, parts) in enumerate(_entries(content)):
        whole = fold(" ".join(texts + [p[2] for p in parts]))
        if not all(w in whole for w in words):
            continue
        folded_title = fold(title)
        matched = []
        for part_key, shown, searched in parts:
            n = sum(w in fold(searched) for w in words)
            if n:
                matched.append((n, Part(part_key, shown)))
        matched.sort(key=lambda m: -m[0])  # stable: ties keep the routine's order
        score = 3 * sum(w in folded_title for w in words) + len(matched)
        scored.append((-score, order, Hit(kind, key, title, [p for _, p in matched[:MAX_PARTS]])))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [hit for _, _, hit in scored]
