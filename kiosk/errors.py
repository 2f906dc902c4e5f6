"""Error pages in the user's language: whole pages for browsers, a message
fragment for htmx, never a stack trace. The database session is rolled back."""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db
from .render import render

HANDLED = (400, 403, 404, 405, 409, 413, 429, 500, 503)


class KeyedError(Exception):
    """A refusal that names its message: ``key`` is a content key, ``status`` the
    answer's HTTP status and ``slots`` the message's values. Each module raises
    its own subclass (LoginError, BookingError, FeedError ...)."""

    def __init__(self, key: str, status: int = 400, **slots):
        super().__init__(key)
        self.key = key
        self.status = status
        self.slots = slots


def error_response(code: int, detail_key: str | None = None, **slots) -> Response:
    """Render the error page (or, for htmx, the message) for ``code``."""
    code = code if code in HANDLED else (500 if code >= 500 else 400)
    # For htmx: the message goes to the page's #messages box, marked as ours.
    return render("errors/error.html", block="message", status=code, retarget="#messages", reswap="innerHTML",
                  code=code, detail_key=detail_key, slots=slots)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        db.session.rollback()
        return error_response(400, "errors.csrf")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        db.session.rollback()
        if exc.code and exc.code < 400:  # redirects raised as exceptions
            return exc
        response = error_response(exc.code or 500)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_down(exc):
        # The database is restarting or unreachable: a clean, retryable 503
        # (a door tablet keeps its last state and says it has no contact).
        try:
            db.session.rollback()
        except Exception:  # the connection may be gone; the pool will replace it
            pass
        current_app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exc)
        response = error_response(503)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(InternalServerError)
    def _internal(exc: InternalServerError):
        db.session.rollback()
        original = getattr(exc, "original_exception", None)
        if original is not None:
            current_app.logger.error("Unhandled error on %s %s", request.method, request.path,
                                     exc_info=original)
        return error_response(500)
