"""Door and board tablets, and room computers paired as consoles: pairing
codes (with a QR code), revoking.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, request, url_for
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..i18n import t
from ..models import Tablet
from ..render import render
from ..rooms import pairing
from ..validate import FieldError
from .blueprint import address, bp, room_or_403, the_admin, unit_or_403, visible_rooms, visible_units
from .forms import TABLET_FILTERS, PairForm, TabletFilterForm


def tablet_online(tablet: Tablet, now=None) -> bool:
    """A paired tablet is online when it was heard from within the board's
    window: last-seen is written at most once a minute, and a tablet polls every
    POLL_SECONDS, so three missed polls beyond that minute make it offline."""
    return tablet.revoked_at is None and pairing.heard_recently(tablet.last_seen_at, now or clock.now())


@bp.get("/tablets")
def tablets():
    """The paired tablets with last seen and online/offline; ?status=offline shows
    the ones to go and look at."""
    shown = TabletFilterForm(formdata=request.args)
    if not shown.validate():
        return _tablets_page(status=400, refused=shown)
    return _tablets_page(wanted=shown.status.data)


def _tablets_page(form=None, status=200, wanted="", refused=None):
    """The list; ``form`` is a pairing form shown again, ``refused`` a refused filter."""
    admin = the_admin()
    query = select(Tablet).order_by(Tablet.revoked_at.is_not(None), Tablet.unit_id, Tablet.kind, Tablet.id)
    if not admin.is_global:
        query = query.where(Tablet.unit_id == admin.unit_id)
    now = clock.now()
    rows = list(db.session.scalars(query))
    if wanted:
        # Offline means paired and silent: a revoked tablet is neither.
        rows = [tb for tb in rows if tb.revoked_at is None and tablet_online(tb, now) == (wanted == "online")]
    return render("admin/tablets.html", tablets=rows, online={tb.id: tablet_online(tb, now) for tb in rows},
                  wanted=wanted, filters=TABLET_FILTERS,
                  rooms=visible_rooms(admin, active_only=True), units=visible_units(admin),
                  form=form or PairForm(formdata=None), refused=refused, status=status)


@bp.post("/tablets/pair")
def tablet_pair():
    """A one-time pairing code for a door or a console (a room) or a board (a unit), with its QR code."""
    form = PairForm()
    if not form.validate():
        return _tablets_page(form, 400)
    kind = form.kind.data
    if kind in ("door", "console"):  # a console: the room's computer, for good
        room = room_or_403(form.room.data)
        if not room.active:
            form.refuse(FieldError("room", "admin.tablets.inactive_room"))
            return _tablets_page(form, 400)
        unit = room.unit
    else:
        room = None
        unit = unit_or_403(form.unit.data)
    code = pairing.new_code(kind, unit, room, actor=the_admin().label, address=address())
    url = pairing.pairing_url(code)
    expires = clock.now() + timedelta(minutes=int(current_app.config["PAIRING_CODE_MINUTES"]))
    return render("admin/paired.html", kind=kind, room=room, unit=unit, code=pairing.format_code(code),
                  url=url, qr=_qr_svg(url), expires=expires)


def _qr_svg(url: str):
    """The pairing URL as an inline SVG QR code (no inline style; a title names it)."""
    import segno
    from markupsafe import Markup

    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=6, border=4, dark="#000", light="#fff", svgclass="qr-code", lineclass=None,
                        title=t("admin.tablets.qr_title"))
    return Markup(svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-title" ', 1)
                  .replace("<title>", '<title id="qr-title">', 1))


@bp.post("/tablets/<int:tablet_id>/revoke")
def tablet_revoke(tablet_id: int):
    """Unpair a tablet: at its next request it shows the revoked page and can do nothing."""
    admin = the_admin()
    tablet = db.session.get(Tablet, tablet_id)
    if tablet is None:
        abort(404)
    unit_or_403(tablet.unit_id)
    pairing.revoke(tablet.id, admin.label, address())
    flash(t("admin.tablets.revoked", id=tablet.id), "status")
    return redirect(url_for("admin.tablets"), code=303)
