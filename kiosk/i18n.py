"""Language: Swedish first, English second.

``?lang=en`` (or ``?lang=sv``) on any URL switches and a cookie remembers the
choice. Routine texts and UI strings both come from the content files; Flask-
Babel only picks the locale for dates and times.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import format_date, format_datetime, format_time

from . import clock
from .content import Content, ContentStore

COOKIE = "lang"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie


def store() -> ContentStore:
    return current_app.extensions["kiosk_content"]


def current_lang() -> str:
    """The language of this request: ?lang=, else the cookie, else Swedish.

    Worked out on first use, so that a response made before our own
    before_request runs (a CSRF refusal) is in the right language too.
    """
    if "lang" not in g:
        if not has_request_context():
            return current_app.config["DEFAULT_LANGUAGE"]
        languages = current_app.config["LANGUAGES"]
        asked = request.args.get("lang")
        cookie = request.cookies.get(COOKIE)
        if asked in languages:
            g.lang = asked
            g.remember_lang = cookie != asked
        else:
            g.lang = cookie if cookie in languages else current_app.config["DEFAULT_LANGUAGE"]
    return g.lang


def keep_language_cookie() -> None:
    """Let ?lang= choose this response's language without remembering it
    (a PDF in English downloaded from a Swedish page)."""
    current_lang()
    g.remember_lang = False


def content(lang: str | None = None) -> Content:
    """The content of the request's language (or of ``lang``)."""
    return store().get(lang or current_lang())


def t(key: str, **slots) -> str:
    """A UI string of the request's language."""
    return content().t(key, **slots)


def lang_url(lang: str) -> str:
    """This page's URL in another language."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return request.path + "?" + urlencode(args, doseq=True)


# How a time of day is written, per language: Swedish "11.01" (Språkrådet's
# recommendation, and what the routine's scripts say: "kl. 14.30"), English
# "11:01". Every page, printable and the panels' ticking clock (time_separator)
# use this one table; see docs/decisions.md.
TIME_PATTERNS = {"sv": "HH.mm", "en": "HH:mm"}


def time_pattern(lang: str | None = None) -> str:
    return TIME_PATTERNS.get(lang or current_lang(), "HH:mm")


def time_separator(lang: str | None = None) -> str:
    """The character between hours and minutes, for the clocks that tick in JavaScript."""
    return time_pattern(lang)[2]


def countdown(seconds: int, lang: str | None = None) -> str:
    """Minutes and seconds left, written like a time of day in the language
    (Swedish "3.40", English "3:40"); guides.js writes the ticking clock the
    same way, from the page's data-time-separator."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60}{time_separator(lang)}{seconds % 60:02d}"


def local_time(value: datetime | None, fmt: str | None = None) -> str:
    """A time of day in the unit's time zone, written the language's way."""
    if not value:
        return ""
    pattern = fmt or time_pattern()
    if value.tzinfo is not None and len(pattern) == 5 and pattern[:2] == "HH" and pattern[3:] == "mm":
        # Two-digit hours and minutes around a separator (every language's
        # pattern today): written here rather than by Babel's pattern engine,
        # which was an eighth of a 24-room board's render (a few hundred times a page).
        at = clock.local(value)
        return f"{at.hour:02d}{pattern[2]}{at.minute:02d}"
    return format_time(value, pattern)


def local_datetime(value: datetime | None, fmt: str | None = None) -> str:
    """A date and time of day in the unit's time zone: 2026-11-26 10.00 (sv)."""
    return format_datetime(value, fmt or f"yyyy-MM-dd {time_pattern()}") if value else ""


def local_date(value, fmt: str = "yyyy-MM-dd") -> str:
    return format_date(value, fmt) if value else ""


def init_app(app: Flask) -> None:
    languages = tuple(app.config["LANGUAGES"])

    @app.after_request
    def _remember_language(response):
        current_lang()
        if g.get("remember_lang"):
            response.set_cookie(COOKIE, g.lang, max_age=COOKIE_MAX_AGE, httponly=True,
                                samesite="Lax", secure=request.is_secure)
        response.vary.add("Cookie")
        return response

    @app.context_processor
    def _language_context():
        lang = current_lang()
        return {
            "lang": lang,
            "languages": languages,
            "content": content(lang),
            "content_version": store().version,
            "t": t,
            "lang_url": lang_url,
            "time_separator": time_separator(lang),
        }

    app.jinja_env.filters["time"] = local_time
    app.jinja_env.filters["countdown"] = countdown
    # The server's time on every page, for the ticking clocks (panel.js keeps
    # their offset from it): a device's own clock and zone are never shown.
    app.jinja_env.globals["server_now_ms"] = lambda: int(clock.now().timestamp() * 1000)
    app.jinja_env.filters["datetime"] = local_datetime
    app.jinja_env.filters["date"] = local_date
