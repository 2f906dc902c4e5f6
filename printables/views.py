"""Routes of the printables: the index at /print/, every document as PDF
(/print/<name>.pdf) and as HTML preview (/print/<name>.html), and the command
``flask --app kiosk printables build OUTDIR`` that writes the whole set."""

from __future__ import annotations

import time
from pathlib import Path
from typing import NoReturn

import click
from flask import Blueprint, abort, current_app, make_response, request
from sqlalchemy import select

from kiosk.errors import error_response
from kiosk.extensions import db
from kiosk.i18n import content, current_lang, keep_language_cookie, store
from kiosk import clock
from kiosk.models import Booking, Room
from kiosk.render import render

from .documents import GROUPS, Letter, PrintJob, RoomLabel, catalogue
from .render import html_for, pdf_for

bp = Blueprint("printables", __name__, url_prefix="/print", template_folder="templates",
               static_folder="static")
# The documents themselves: their ?lang= is the paper's language, not the reader's.
DOCUMENT_ENDPOINTS = ("printables.pdf", "printables.preview", "printables.booking_letter")


@bp.before_request
def _paper_language_is_not_remembered():
    """Downloading the English handout from the Swedish index must not turn the
    kiosk's pages English: kiosk.i18n remembers a ?lang= unless told not to."""
    if request.endpoint in DOCUMENT_ENDPOINTS:
        keep_language_cookie()


@bp.get("/")
def index():
    """Every printable with a preview and a download, in the page's language."""
    lang = current_lang()
    docs = catalogue(content(lang)).values()
    groups = [(group, [d for d in docs if d.group == group]) for group in GROUPS]
    return render("printables/index.html", block="documents", groups=groups, rooms=_active_rooms(),
                  other_langs=[code for code in current_app.config["LANGUAGES"] if code != lang])


@bp.get("/<name>.pdf")
def pdf(name: str):
    """The PDF, from the cache when possible; the ETag lets a browser keep it."""
    job = _job(name)
    data, source, key = pdf_for(job)
    response = make_response(data)
    response.mimetype = "application/pdf"
    # "Ladda ner PDF" asks for the file (?download=1) and gets it saved, whichever
    # browser; any other link opens the PDF in the browser.
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{job.filename}"'
    # Where the PDF came from (memory, disk, rendered): for tests and for a
    # person wondering why a print was slow.
    response.headers["X-Print-Cache"] = source
    response.set_etag(key.digest)
    response.cache_control.no_cache = True
    return response.make_conditional(request)


# Larger ids are no rows (and PostgreSQL's integer column would refuse to compare them).
ID_MAX = 2**31 - 1


@bp.get("/letters/<int:booking_id>.pdf")
def booking_letter(booking_id: int):
    """The patient handout for a booking (?lang= the paper's language): its date
    and time and the unit's phone filled in, a line for the name left blank."""
    booking = db.session.get(Booking, booking_id) if booking_id <= ID_MAX else None
    if booking is None or booking.status == "cancelled":
        _refuse(404, "bookings.error.not_found")
    lang = _requested_lang()
    unit = booking.room.unit
    start, end = clock.local(booking.starts_at), clock.local(booking.ends_at)
    sep = "." if lang == "sv" else ":"
    letter = Letter(date=start.date().isoformat(),
                    time=f"{start:%H}{sep}{start:%M}–{end:%H}{sep}{end:%M}",
                    phone=unit.phone, clinic=unit.letter_name)
    job = PrintJob(catalogue(store().get(lang))["patient-info"], lang, letter=letter)
    data, source, _key = pdf_for(job)
    response = make_response(data)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{job.filename}"'
    response.headers["X-Print-Cache"] = source
    response.cache_control.no_store = True
    return response


@bp.get("/<name>.html")
def preview(name: str):
    """The document as the HTML it is printed from, to look at before printing."""
    return make_response(html_for(_job(name), preview=True))


@bp.cli.command("build")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
def build_command(outdir: Path) -> None:
    """Write every printable in every language, and each active room's door
    sign, as PDF into OUTDIR/<lang>/ (a whole set for a unit to print)."""
    jobs = all_jobs()
    started = time.perf_counter()
    with click.progressbar(jobs, label="Printables", show_pos=True,
                           item_show_func=lambda job: job.filename if job else None) as bar:
        for job in bar:
            data, _source, _key = pdf_for(job)
            target = outdir / job.lang / job.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    click.echo(f"{len(jobs)} PDFs written to {outdir} in {time.perf_counter() - started:.1f} s.")


def all_jobs() -> list[PrintJob]:
    """Every document in every language, plus the door sign of every active room."""
    rooms = [RoomLabel(room.slug, room.name) for room in _active_rooms()]
    jobs: list[PrintJob] = []
    for lang in current_app.config["LANGUAGES"]:
        for printable in catalogue(store().get(lang)).values():
            jobs.append(PrintJob(printable, lang))
            if printable.takes_room:
                jobs.extend(PrintJob(printable, lang, room) for room in rooms)
    return jobs


def _active_rooms() -> list[Room]:
    return list(db.session.scalars(select(Room).where(Room.active).order_by(Room.name, Room.slug)))


def _job(name: str) -> PrintJob:
    """The document, language and room a request asks for; a clear 400 or 404
    for anything unknown (never a 500, never a silent fallback)."""
    lang = _requested_lang()
    printable = catalogue(store().get(lang)).get(name)
    if printable is None:
        _refuse(404, "print.errors.document", name=name[:80])
    room = None
    slug = request.args.get("room", "")
    if slug and printable.takes_room:
        found = db.session.scalar(select(Room).where(Room.slug == slug, Room.active))
        if found is None:
            _refuse(404, "print.errors.room", room=slug[:80])
        room = RoomLabel(found.slug, found.name)
    return PrintJob(printable, lang, room)


def _requested_lang() -> str:
    """?lang= when given (and it must be one of ours), else the page's language.

    The kiosk elsewhere ignores an unknown ?lang=; paper in the wrong language
    is worse than an error, so here it is refused."""
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked is None:
        return current_lang()
    if asked not in languages:
        _refuse(400, "print.errors.lang", lang=asked[:20], languages=", ".join(languages))
    return asked


def _refuse(code: int, detail_key: str, **slots) -> NoReturn:
    abort(error_response(code, detail_key, **slots))
