"""From a printable to HTML (Jinja) and from HTML to a tagged PDF (WeasyPrint).

The same template gives the PDF and the browser's preview; only the asset URLs
differ (package files for WeasyPrint, /print/static/ for the browser), and the
preview gets a small bar to go back or download. WeasyPrint fetches through
:class:`AssetFetcher`, which reads the package's own ``static/`` folder and
``data:`` URLs and refuses everything else, so a template can never make the
server read a file elsewhere or call out to the network.
"""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from urllib.request import url2pathname

import segno
from flask import current_app, render_template, url_for
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from kiosk import clock
from kiosk.i18n import store

from . import fit
from .cache import CacheKey, PdfCache
from .documents import PrintJob

ASSETS_DIR = Path(__file__).resolve().parent / "static"
BASE_URL = ASSETS_DIR.as_uri() + "/"
PDF_VARIANT = "pdf/ua-1"

# The door sign's printable area, in points: A4 landscape less the margins of
# @page door-sign in static/print.css (keep the two in step; the tests notice).
MM = 72 / 25.4
SIGN_WIDTH = (297 - 2 * 15) * MM
SIGN_HEIGHT = (210 - 12 - 26) * MM
# Room kept for the room's name and for each other language's line, and the
# most the other languages may grow to next to the main line.
SIGN_ROOM_SPACE = 58
SIGN_LINE_SPACE = 56
SIGN_SECONDARY_RATIO = 0.45


class AssetFetcher(URLFetcher):
    """WeasyPrint's fetcher limited to ``data:`` URLs and files in ``static/``."""

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = _asset_path(url)
            if path is not None:
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})
        raise ValueError(f"printables fetch only their own assets, not {url[:120]!r}")


def _asset_path(url: str) -> Path | None:
    """The file a ``file:`` URL names, if it is inside ``static/`` (after ``..``
    and symbolic links are resolved) and exists; else None."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    path = Path(url2pathname(unquote(parts.path))).resolve()
    if not path.is_relative_to(ASSETS_DIR) or not path.is_file():
        return None
    return path


@lru_cache(maxsize=16)
def _asset_version(filename: str) -> str:
    # Per process: the files change only with a release, which restarts it.
    return hashlib.sha256((ASSETS_DIR / filename).read_bytes()).hexdigest()[:10]


def _asset_url(preview: bool):
    """How templates name an asset: a browser URL for the preview (with a
    version, as files are cached for a year), a path under BASE_URL for WeasyPrint."""
    if preview:
        return lambda filename: url_for("printables.static", filename=filename, v=_asset_version(filename))
    return lambda filename: filename


@lru_cache(maxsize=32)
def qr_data_uri(url: str) -> str:
    """A QR code for ``url`` as an SVG data: URI (vector on paper, allowed by the CSP)."""
    return segno.make(url, error="m").svg_data_uri(border=2)


def html_for(job: PrintJob, *, preview: bool, today: date | None = None) -> str:
    """The document's HTML, for WeasyPrint or (``preview``) for the browser."""
    content = store().get(job.lang)
    document = content.document
    today = today or clock.today()
    status = document.status(today, int(current_app.config["ROUTINE_WARN_DAYS"]))
    warning = ""
    if status == "expired":
        warning = content.t("print.warning.expired", valid_to=document.valid_to.isoformat())
    elif status == "not-yet":
        warning = content.t("print.warning.not-yet", valid_from=document.valid_from.isoformat())
    context = dict(
        doc=job.printable, job=job, lang=job.lang, content=content, t=content.t, document=document,
        content_version=store().version, print_date=today.isoformat(), warning=warning,
        preview=preview, asset=_asset_url(preview), room=job.room, **job.printable.context,
    )
    if job.printable.kind == "door-sign":
        context["sign"] = door_sign_layout(has_room=job.room is not None)
    elif job.printable.kind == "patient-info":
        context["qr"] = {link.key: qr_data_uri(link.url) for link in content.links.values()}
        context["letter"] = job.letter
    return render_template(job.printable.template, **context)


def door_sign_layout(has_room: bool) -> dict:
    """The sign's lines and sizes: the first language's text (R16) as large as
    fits, each other language's line under it on one line, smaller."""
    languages = current_app.config["LANGUAGES"]
    texts = [(lang, fit.keep_dashes(store().get(lang).door_sign.text)) for lang in languages]
    height = SIGN_HEIGHT - (SIGN_ROOM_SPACE if has_room else 0) - SIGN_LINE_SPACE * (len(texts) - 1)
    primary_size, primary_lines = fit.fit(texts[0][1], SIGN_WIDTH, height)
    secondary_size = min([fit.fit(text, SIGN_WIDTH, SIGN_LINE_SPACE, max_lines=1)[0] for _, text in texts[1:]]
                         + [primary_size * SIGN_SECONDARY_RATIO])
    # The sizes reach WeasyPrint as a data: stylesheet (the preview, under the
    # CSP, does without it and sizes the sign to the window instead).
    css = (f".sign-primary {{ font-size: {primary_size:.1f}pt; }}\n"
           f".sign-secondary {{ font-size: {secondary_size:.1f}pt; }}\n")
    return {
        "primary_lang": texts[0][0], "primary_lines": primary_lines, "primary_size": primary_size,
        "secondary": texts[1:], "secondary_size": secondary_size,
        "css_url": "data:text/css;charset=utf-8," + quote(css),
    }


def write_pdf(html: str) -> bytes:
    """Render HTML to a PDF/UA-1 document, fetching only the package's assets."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=AssetFetcher())
    return document.write_pdf(pdf_variant=PDF_VARIANT)


def cache() -> PdfCache:
    """The app's PDF cache (memory per process, disk in the instance folder)."""
    found = current_app.extensions.get("printables_cache")
    if found is None:
        found = PdfCache(Path(current_app.instance_path) / "print-cache")
        current_app.extensions["printables_cache"] = found
    return found


def pdf_for(job: PrintJob) -> tuple[bytes, str, CacheKey]:
    """The PDF of ``job``, from the cache when it holds it; also says where it
    came from ("memory", "disk" or "rendered") and under which key."""
    today = clock.today()
    key = CacheKey(job.printable.name, job.lang, job.params, store().version, today.isoformat())
    found = cache().get(key)
    if found is not None:
        return found[0], found[1], key
    pdf = write_pdf(html_for(job, preview=False, today=today))
    cache().put(key, pdf)
    return pdf, "rendered", key
