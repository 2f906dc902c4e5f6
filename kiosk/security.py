"""Security headers on every response, cookies that cannot be planted over
https, state changes only from our own pages, ids the database can hold, and
request bodies bounded even when they come in chunks. docs/security.md says
what each control defends against."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from flask import Flask, Request, abort, g, request
from flask.sessions import SecureCookieSessionInterface
from htmx_flask.requests import HtmxAwareRequest
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

# No inline script or style anywhere, no eval: htmx is configured to need none.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'; "
    # The door's service worker (/sw.js) and the tablets' web app manifests
    "worker-src 'self'; manifest-src 'self'"
)
NO_DEVICES = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
MEDIA_DEVICES = "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()"


# The largest id a route accepts: the id columns are 32-bit integers on
# PostgreSQL, and a bigger number must be "no such thing" (404), not a
# database error or an OverflowError in SQLite's driver (500).
MAX_ID = 2**31 - 1
# Sec-Fetch-Site values of a request another site's page made the browser send.
FOREIGN_SITES = ("cross-site", "same-site")


def host_cookie_name(name: str) -> str:
    """``__Host-<name>`` over https, ``<name>`` over plain http.

    Browsers accept a ``__Host-`` cookie only when it is Secure, has Path=/ and
    no Domain, so a sibling subdomain (or a man in the middle on http) cannot
    set one for us. Over plain http (local development) browsers refuse Secure
    cookies, so the plain name is used there.
    """
    return f"__Host-{name}" if request.is_secure else name


class SessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, Secure and ``__Host-`` whenever the request came
    over https; a request carrying the cookie twice gets a fresh session."""

    def get_cookie_name(self, app: Flask) -> str:
        return host_cookie_name(app.config["SESSION_COOKIE_NAME"])

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def open_session(self, app: Flask, request: Request):
        # Two cookies of one name mean one was planted (another Path, or a
        # Domain cookie from a sibling host): neither is trusted, since
        # browsers may send the planted one first.
        if len(request.cookies.getlist(self.get_cookie_name(app))) > 1:
            return self.session_class()
        return super().open_session(app, request)


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that matches only ids the database can hold (see MAX_ID)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)


class KioskRequest(HtmxAwareRequest):
    """htmx-flask's request (``request.htmx``), whose chunked body is refused with 413 when it is too big.

    A chunked body has no Content-Length for Werkzeug to check up front, and
    Werkzeug's limited stream stops quietly at MAX_CONTENT_LENGTH: the form
    was cut off and lost its CSRF token at the end (400, the wrong message).
    We read one byte past the limit to tell "exactly full" from "too big";
    the bodies are small (64 KiB), so holding one in memory costs nothing.
    """

    @cached_property
    def stream(self):  # type: ignore[override]
        limit = self.max_content_length
        if (limit is None or self.shallow or self.content_length is not None
                or not self.environ.get("wsgi.input_terminated")):
            return Request.stream.fget(self)  # Werkzeug's own checks are enough
        stream, body = self.environ["wsgi.input"], bytearray()
        while len(body) <= limit:
            # A server may hand over one chunk per read: read until the end.
            data = stream.read(limit + 1 - len(body))
            if not data:
                return io.BytesIO(bytes(body))
            body += data
        raise RequestEntityTooLarge()


def allow_media_devices() -> None:
    """Let this page use the camera and microphone (the device check only)."""
    g.media_devices = True


def static_headers(secure: bool, media_devices: bool = False) -> list[tuple[str, str]]:
    """The security headers of every response (also used by the poll fast path)."""
    headers = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", MEDIA_DEVICES if media_devices else NO_DEVICES),
    ]
    if secure:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return headers


def _origin_allowed() -> bool:
    """A state change sent from another site's page is refused even before the
    CSRF token is looked at, when the browser says so. Sec-Fetch-Site (sent by
    current browsers, and not settable by a page) names any other site,
    including a sibling subdomain ("same-site"). Our own pages send "Origin:
    null" (Referrer-Policy: no-referrer makes browsers hide it), so null and a
    missing Origin, like a missing Sec-Fetch-Site (scripts, curl, old
    browsers), leave the decision to the CSRF token."""
    if request.headers.get("Sec-Fetch-Site") in FOREIGN_SITES:
        return False
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    # Host only, not scheme: behind a TLS-ending proxy the app may see http.
    return urlsplit(origin).netloc == request.host


def init_app(app: Flask) -> None:
    """Install the session, request class, id converter and header hooks (before
    any blueprint adds a route, so every ``<int:>`` is bounded)."""
    app.session_interface = SessionInterface()
    app.request_class = KioskRequest
    app.url_map.converters["int"] = BoundedIntConverter

    @app.before_request
    def _same_origin_only():
        if request.method not in ("GET", "HEAD", "OPTIONS") and not _origin_allowed():
            abort(403)

    @app.after_request
    def _headers(response):
        h = response.headers
        for name, value in static_headers(request.is_secure, bool(g.get("media_devices"))):
            if name == "Content-Security-Policy":
                h.setdefault(name, value)
            else:
                h[name] = value
        return response
