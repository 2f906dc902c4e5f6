"""The start page, /about, language choice, errors, health and headers."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.exceptions import InternalServerError

from kiosk import clock


def test_start_page_in_swedish_by_default(client):
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<html lang="sv">' in html
    assert "Digitala vårdmöten – stöd i rummet" in html
    assert "Inga patientuppgifter" in html
    assert r.headers["Vary"] and "HX-Request" in r.headers["Vary"]


def test_lang_parameter_switches_and_cookie_remembers(client):
    r = client.get("/?lang=en")
    assert '<html lang="en">' in r.get_data(as_text=True)
    assert "lang=en" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/about").get_data(as_text=True)
    client.get("/?lang=sv")
    assert '<html lang="sv">' in client.get("/about").get_data(as_text=True)


def test_unknown_language_falls_back_to_swedish(client):
    r = client.get("/?lang=xx")
    assert r.status_code == 200 and '<html lang="sv">' in r.get_data(as_text=True)


def test_language_switch_link_keeps_the_page_and_its_parameters(client):
    html = client.get("/about?x=1").get_data(as_text=True)
    assert 'href="/about?x=1&amp;lang=en"' in html


def test_about_shows_the_document_control(client, frozen_clock):
    html = client.get("/about").get_data(as_text=True)
    for fact in ("Rutin", "Regionhälsan", "Henrik Bodin (henbo12), IT-chef", "Per Gyllén (pergy1), Chefläkare",
                 "RHS9919-529963968-26", "4.0", "2026-06-24", "2028-06-11"):
        assert fact in html
    assert "Rutinen gäller." in html


@pytest.mark.parametrize(("when", "banner"), [
    (datetime(2026, 11, 26, 9, tzinfo=timezone.utc), None),
    (datetime(2028, 4, 20, 9, tzinfo=timezone.utc), "Rutinen går snart ut."),
    (datetime(2028, 6, 12, 9, tzinfo=timezone.utc), "Rutinen har gått ut."),
    (datetime(2026, 6, 1, 9, tzinfo=timezone.utc), "Rutinen gäller inte ännu."),
])
def test_routine_validity_warning_follows_the_clock(client, when, banner):
    clock.freeze(when)
    html = client.get("/").get_data(as_text=True)
    if banner:
        assert banner in html and 'role="alert"' in html
    else:
        assert "banner-" not in html


def test_expiry_warning_starts_60_days_before(client):
    clock.freeze(datetime(2028, 6, 11, 12, tzinfo=timezone.utc) - timedelta(days=61))
    assert "banner-expiring" not in client.get("/").get_data(as_text=True)
    clock.advance(timedelta(days=2))
    assert "banner-expiring" in client.get("/").get_data(as_text=True)


def test_healthz_reports_database_and_content_version(client, app):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.get_json()
    assert body == {"status": "ok", "database": "ok",
                    "content_version": app.extensions["kiosk_content"].version}


def test_healthz_says_503_when_the_database_is_gone(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no/such/dir/x.db")
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.get_json()["database"] == "error"


@pytest.mark.parametrize("lang,title", [("sv", "Sidan finns inte"), ("en", "Page not found")])
def test_404_page_in_the_users_language(client, lang, title):
    r = client.get(f"/no/such/page?lang={lang}")
    html = r.get_data(as_text=True)
    assert r.status_code == 404
    assert f"<h1>{title}</h1>" in html and f'lang="{lang}"' in html


def test_404_as_htmx_fragment_is_marked_and_retargeted(client):
    r = client.hx_get("/no/such/page")
    html = r.get_data(as_text=True)
    assert r.status_code == 404
    assert "<html" not in html and "Det finns ingen sida" in html
    assert r.headers["X-Kiosk-Error"] == "404"
    assert r.headers["HX-Retarget"] == "#messages"


def test_405_lists_allowed_methods(client):
    r = client.form_post("/about")
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"]
    assert "Det går inte att göra så här" in r.get_data(as_text=True)


@pytest.fixture
def echo_client(make_app):
    """A client of an app with one extra state-changing route, /echo."""
    app = make_app()

    @app.post("/echo")
    def echo():
        return "ok"

    return app.test_client()


def test_post_without_csrf_token_is_refused_clearly(echo_client):
    r = echo_client.post("/echo", data={})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "Formuläret var för gammalt" in html and "Traceback" not in html


def test_post_with_csrf_token_passes(echo_client):
    assert echo_client.form_post("/echo").status_code == 200
    assert echo_client.hx_post("/echo").status_code == 200


def test_post_with_a_forged_token_is_refused(echo_client):
    r = echo_client.post("/echo", headers={"X-CSRFToken": "forged"})
    assert r.status_code == 400


def test_post_without_csrf_in_english_as_htmx(echo_client):
    echo_client.get("/?lang=en")
    r = echo_client.post("/echo", headers={"HX-Request": "true"})
    assert r.status_code == 400
    assert "The form was too old" in r.get_data(as_text=True)
    assert r.headers["X-Kiosk-Error"] == "400"


def test_413_for_large_bodies(echo_client):
    r = echo_client.post("/echo", data={"x": "a" * 200_000}, headers={"X-CSRFToken": echo_client.csrf_token()})
    assert r.status_code == 413
    assert "För mycket data" in r.get_data(as_text=True)


def test_500_page_never_shows_a_trace(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    for headers in ({}, {"HX-Request": "true"}):
        r = app.test_client().get("/boom?lang=en", headers=headers)
        html = r.get_data(as_text=True)
        assert r.status_code == 500
        assert "Something went wrong" in html or "An unexpected error" in html
        assert "secret internals" not in html and "Traceback" not in html


def test_500_rolls_back_the_database_session(make_app):
    from kiosk.extensions import db
    from kiosk.models import Unit

    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/half-write")
    def half_write():
        db.session.add(Unit(name="Halv", slug="halv"))
        db.session.flush()
        raise InternalServerError()

    assert app.test_client().get("/half-write").status_code == 500
    with app.app_context():
        assert db.session.query(Unit).filter_by(slug="halv").count() == 0


def test_security_headers_on_every_response(client):
    for url in ("/", "/healthz", "/nope", "/static/css/kiosk.css"):
        with client.get(url) as response:
            h = response.headers
        csp = h["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp and "base-uri 'none'" in csp
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
        assert "camera=()" in h["Permissions-Policy"]
        assert "Strict-Transport-Security" not in h


def test_https_gets_hsts_and_secure_cookies(client):
    r = client.get("/?lang=en", base_url="https://kiosk.example")
    assert "max-age=" in r.headers["Strict-Transport-Security"]
    assert "Secure" in r.headers["Set-Cookie"]


def test_htmx_is_configured_without_eval_and_inline_styles(client):
    html = client.get("/").get_data(as_text=True)
    start = html.index("content='", html.index('name="htmx-config"')) + len("content='")
    cfg = json.loads(html[start: html.index("'", start)])
    assert cfg["selfRequestsOnly"] is True and cfg["allowEval"] is False
    assert cfg["allowScriptTags"] is False and cfg["includeIndicatorStyles"] is False
    assert cfg["historyCacheSize"] == 0 and cfg["timeout"] > 0
    assert "/static/vendor/htmx.min.js" in html
    assert '"X-CSRFToken": "' in html


def test_static_urls_carry_a_content_hash(client):
    html = client.get("/").get_data(as_text=True)
    assert "/static/js/kiosk.js?v=" in html and "?v=missing" not in html


def test_a_post_from_another_sites_page_is_refused(echo_client):
    r = echo_client.post("/echo", headers={"X-CSRFToken": echo_client.csrf_token(), "Origin": "https://evil.example"})
    assert r.status_code == 403
    same = echo_client.post("/echo", headers={"X-CSRFToken": echo_client.csrf_token(), "Origin": "http://localhost"})
    assert same.status_code == 200
    # Our own pages' posts say "Origin: null" (no-referrer); the token decides.
    hidden = echo_client.post("/echo", headers={"X-CSRFToken": echo_client.csrf_token(), "Origin": "null"})
    assert hidden.status_code == 200
    assert echo_client.post("/echo", headers={"Origin": "null"}).status_code == 400
