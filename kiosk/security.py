"""Security headers on every response, and cookies that are Secure over https."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, g, request
from flask.sessions import SecureCookieSessionInterface

# No inline script or style anywhere, no eval: htmx is configured to need none.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
NO_DEVICES = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
MEDIA_DEVICES = "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()"


class SessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, Secure whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


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
    CSRF token is looked at, when the browser names that page's origin. Our own
    pages send "Origin: null" (Referrer-Policy: no-referrer makes browsers hide
    it), so null and a missing Origin leave the decision to the CSRF token."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    # Host only, not scheme: behind a TLS-ending proxy the app may see http.
    return urlsplit(origin).netloc == request.host


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()

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
