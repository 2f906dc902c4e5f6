"""How every view answers, browser or htmx: one module, so there is one shape.

A page template names each region htmx swaps as a ``{% block %}``; a full
request gets the page, an htmx request gets the block (and any out-of-band
blocks after it). Markup shared by several pages lives in one component
template the pages include; its blocks are rendered from there. "Nothing
changed" is a 204. Every answer varies on ``HX-Request``. The ``HX-*``
request and response headers are read and written with htmx-flask.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, render_template, request
from htmx_flask import make_response
from jinja2_fragments.flask import render_block

# Our own error answers carry this header; kiosk.js swaps a 4xx/5xx only when
# it is there, so a proxy's error page never lands inside a panel.
ERROR_HEADER = "X-Kiosk-Error"
# Our own panel fragments carry this header with their kind ("door", "board",
# ...); the panel script never swaps anything else into a panel.
FRAGMENT_HEADER = "X-Kiosk-Fragment"


def is_htmx() -> bool:
    """True for an htmx request that wants a fragment (not a boosted page load)."""
    return bool(request.htmx) and not request.htmx.boosted


def render(template: str, block: str | None = None, *, oob: Iterable[str] = (), component: str | None = None,
           status: int = 200, retarget: str | None = None, reswap: str | None = None, refresh: bool = False,
           fragment: str | None = None, no_store: bool = False, **context) -> Response:
    """The whole page, or for htmx only ``block`` followed by the ``oob`` blocks.

    ``component``: the template that holds the blocks when the page includes
    them from a shared component (a checklist, the search directory).
    Out-of-band blocks are rendered with ``oob=True`` in their context, so
    the block can add ``data-hx-swap-oob`` to its root. A fragment answered
    with an error status is marked as ours (``X-Kiosk-Error``) so it is swapped.
    ``retarget``/``reswap``/``refresh`` become ``HX-Retarget``/``HX-Reswap``/
    ``HX-Refresh`` on an htmx answer. ``fragment`` and ``no_store``: see :func:`mark`.
    """
    htmx = is_htmx()
    if block and htmx:
        source = component or template
        html = render_block(source, block, **context)
        html += "".join(render_block(source, name, **{**context, "oob": True}) for name in oob)
    else:
        html = render_template(template, **context)
    headers = {"retarget": retarget, "reswap": reswap, "refresh": refresh} if htmx else {}
    response = make_response(html, status, **headers)
    if htmx and block and status >= 400:
        response.headers[ERROR_HEADER] = str(status)
    response.vary.add("HX-Request")
    return mark(response, fragment=fragment, no_store=no_store)


def unchanged(*, fragment: str | None = None, no_store: bool = False) -> Response:
    """The cheap answer to a poll whose state has not changed: 204, nothing to swap."""
    response = make_response("", 204)
    response.vary.add("HX-Request")
    return mark(response, fragment=fragment, no_store=no_store)


def mark(response: Response, *, fragment: str | None = None, no_store: bool = False, no_cache: bool = False,
         htmx_redirect: str | None = None) -> Response:
    """The headers an answer may need beyond its body.

    ``fragment``: one of our own panel fragments, of this kind (``FRAGMENT_HEADER``).
    ``no_store``: never kept by a browser or proxy cache (what a page shows is live
    or private); ``no_cache``: kept, but revalidated on every use.
    ``htmx_redirect``: htmx loads this address as a whole page (``HX-Redirect``).
    """
    if fragment is not None:
        response.headers[FRAGMENT_HEADER] = fragment
    if no_store:
        response.headers["Cache-Control"] = "no-store"
    elif no_cache:
        response.headers["Cache-Control"] = "no-cache"
    if htmx_redirect is not None:
        response.headers["HX-Redirect"] = htmx_redirect
    return response
