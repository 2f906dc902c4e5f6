"""Security headers on every response, and cookies that are Secure over https."""

from __future__ import annotations

from flask import Flask, g, request
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


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"
        h["X-Frame-Options"] = "DENY"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Permissions-Policy"] = MEDIA_DEVICES if g.get("media_devices") else NO_DEVICES
        if request.is_secure:
            h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response
