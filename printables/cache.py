"""Rendered PDFs kept in memory and on disk, so a second request is not rendered.

The key holds everything the paper depends on: the document, its language,
its parameters (the room's slug *and* name), the content version, the print
date and a fingerprint of the printables' own templates and styles. A content
change, a renamed room, a new day or a new release therefore never meets an
old PDF: it simply asks for a key nobody has written yet.

On disk, PDFs live under ``<instance>/print-cache/<content version>/<print
date>/``; when a new folder is started, the folders of other versions and
dates are removed, so the cache never grows past one day of one version.
Writes go to a temporary file renamed into place, so the workers of one
server can share the folder without reading half a file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _fingerprint() -> str:
    """A hash of the printables' templates, styles and code: a release that
    changes how paper looks must not be answered from the old cache."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and path.suffix in {".html", ".css", ".py", ".svg"}:
            h.update(str(path.relative_to(PACKAGE_DIR)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


FINGERPRINT = _fingerprint()


@dataclass(frozen=True)
class CacheKey:
    name: str
    lang: str
    params: tuple[tuple[str, str], ...]
    content_version: str
    print_date: str

    @property
    def digest(self) -> str:
        """A stable name for the key: the file name on disk and the ETag."""
        text = "\0".join([self.name, self.lang, repr(self.params), self.content_version,
                          self.print_date, FINGERPRINT])
        return hashlib.sha256(text.encode()).hexdigest()[:24]


class PdfCache:
    """A small LRU in memory in front of a folder on disk."""

    def __init__(self, folder: Path, max_items: int = 128):
        self.folder = folder
        self.max_items = max_items
        self._memory: OrderedDict[CacheKey, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> tuple[bytes, str] | None:
        """The PDF and where it was found ("memory" or "disk"), or None."""
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key], "memory"
        try:
            pdf = self._path(key).read_bytes()
        except OSError:
            return None
        self._remember(key, pdf)
        return pdf, "disk"

    def put(self, key: CacheKey, pdf: bytes) -> None:
        self._remember(key, pdf)
        path = self._path(key)
        # The disk cache only saves time: a full or read-only disk, or a folder
        # another worker pruned a moment ago, must not stop paper from printing.
        try:
            new_folder = not path.parent.exists()
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pdf")
            with os.fdopen(fd, "wb") as fh:
                fh.write(pdf)
            os.replace(tmp, path)
            if new_folder:
                self._prune(keep=path.parent)
        except OSError:
            pass

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()

    def _remember(self, key: CacheKey, pdf: bytes) -> None:
        with self._lock:
            self._memory[key] = pdf
            self._memory.move_to_end(key)
            while len(self._memory) > self.max_items:
                self._memory.popitem(last=False)

    def _path(self, key: CacheKey) -> Path:
        return self.folder / key.content_version / key.print_date / f"{key.name}-{key.lang}-{key.digest}.pdf"

    def _prune(self, keep: Path) -> None:
        """Remove the folders of other content versions and other dates."""
        for version_dir in self.folder.iterdir():
            if not version_dir.is_dir():
                continue
            for date_dir in version_dir.iterdir():
                if date_dir != keep:
                    shutil.rmtree(date_dir, ignore_errors=True)
            if version_dir != keep.parent and not any(version_dir.iterdir()):
                shutil.rmtree(version_dir, ignore_errors=True)
