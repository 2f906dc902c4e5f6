"""The CSV writer the event log and the statistics share: Excel-ready, and no
cell can run as a formula."""

from __future__ import annotations

import csv
import io


def csv_stream(rows, lang: str):
    """CSV text for Excel, row by row (for a response that streams): UTF-8 with
    a BOM; in Swedish ';' between cells (Swedish Excel's list separator). Every
    text cell goes through :func:`_cell_text`, so none runs as a formula."""
    delimiter = ";" if lang == "sv" else ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    yield "\ufeff"
    for row in rows:
        writer.writerow([_cell_text(v) for v in row])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def _cell_text(value) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
