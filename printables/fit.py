"""The door sign's text as large as fits.

CSS has no "fit this text to the width", so the size is worked out here: the
text is broken into balanced lines and measured with the advance widths of the
font the sign is printed in (the one fontconfig gives for the sign's family,
the same lookup Pango makes for WeasyPrint). If that font cannot be read, a
generous average letter width keeps the text inside the page, only smaller.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from itertools import combinations
from typing import Callable

# Keep in step with .sign-line in static/print.css.
SIGN_FONT = "DejaVu Sans:bold"
LINE_HEIGHT = 1.15
# A bold sans letter is rarely wider than this on average (DejaVu Sans Bold: ~0.6 em).
FALLBACK_EM_PER_CHAR = 0.72
# Kerning and shaping make real text a little narrower than the sum of its
# advances; the rest of the margin keeps a measured line from wrapping.
SAFETY = 0.97
# Another line is worth it only for letters this much larger.
MORE_LINES_GAIN = 1.15
DASHES = {"-", "–", "—"}


@lru_cache(maxsize=4)
def _advance_widths(pattern: str) -> Callable[[str], float] | None:
    """A function giving a text's width in em, measured with the font fontconfig picks."""
    fc_match = shutil.which("fc-match")
    if not fc_match:
        return None
    try:
        path = subprocess.run([fc_match, "--format=%{file}", pattern], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        from fontTools.ttLib import TTFont

        with TTFont(path, fontNumber=0) as font:
            units = font["head"].unitsPerEm
            metrics = font["hmtx"].metrics
            advances = {code: metrics[glyph][0] for code, glyph in font.getBestCmap().items()}
            notdef = metrics[".notdef"][0]
    except Exception:  # no font file, an unreadable one: measure by the fallback
        return None

    def width(text: str) -> float:
        return sum(advances.get(ord(ch), notdef) for ch in text) / units

    return width


def text_width_em(text: str, pattern: str = SIGN_FONT) -> float:
    """The width of ``text`` in em of the sign's font."""
    measure = _advance_widths(pattern)
    return measure(text) if measure else len(text) * FALLBACK_EM_PER_CHAR


def balanced_lines(words: list[str], count: int) -> list[str]:
    """``words`` in ``count`` lines, broken where the widest line is narrowest."""
    best: tuple[float, list[str]] | None = None
    for breaks in combinations(range(1, len(words)), count - 1):
        edges = (0, *breaks, len(words))
        lines = [" ".join(words[a:b]) for a, b in zip(edges, edges[1:])]
        widest = max(text_width_em(line) for line in lines)
        if best is None or widest < best[0]:
            best = (widest, lines)
    assert best is not None
    return best[1]


NBSP = "\u00a0"


def keep_dashes(text: str) -> str:
    """A lone dash bound by no-break spaces to the words on both sides: a line
    neither starts with a dash nor ends with one ("videomöte -" dangling),
    on paper and in any browser that reflows the preview. A dash the content
    already binds to the word before it ("videomöte\u00a0-") is bound after too."""
    words = text.split(" ")
    out: list[str] = []
    glue = False
    for word in words:
        if out and (word in DASHES or glue):
            out[-1] += NBSP + word
        else:
            out.append(word)
        glue = word in DASHES or word.rpartition(NBSP)[2] in DASHES
    return " ".join(out)


def words_of(text: str) -> list[str]:
    """The text's words, a lone dash and the words on either side of it one word
    (keep_dashes): no line of the sign starts or ends with a dash."""
    return [w for w in keep_dashes(" ".join(text.split())).split(" ") if w]  # split(" "): keep the no-break spaces


def fit(text: str, width_pt: float, height_pt: float, max_lines: int = 4) -> tuple[float, list[str]]:
    """The largest font size (pt) at which ``text`` fits the box, and its lines.

    Fewer, longer lines fill the width; more, shorter lines grow the letters
    until the height runs out. Every line count is tried; one more line must
    buy clearly larger letters (MORE_LINES_GAIN), as fewer lines read faster.
    """
    words = words_of(text)
    best = (0.0, [text])
    for count in range(1, min(max_lines, len(words)) + 1):
        lines = balanced_lines(words, count)
        widest = max(text_width_em(line) for line in lines)
        size = min(width_pt * SAFETY / widest, height_pt / (count * LINE_HEIGHT))
        if size > best[0] * (MORE_LINES_GAIN if best[0] else 1):
            best = (size, lines)
    return best
