"""Hardening after the outside security review (issue 14): cookies that cannot
be planted, state changes refused from other sites, ids too big for the
database, and chunked bodies over the size limit. The SQLite erasure, the
gunicorn control socket and the proxy in front are in test_hardening_disk.py
and test_hardening_servers.py."""

from __future__ import annotations

import io
import re

import pytest

from kiosk.security import MAX_ID
from tests.instances import chunked_413, csrf_token_in

HTTPS = "https://kiosk.example.se"


def _set_cookies(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


# ---- item 2: the session cookie and Sec-Fetch-Site ------------------------------------------------------


def test_the_session_cookie_is_host_prefixed_over_https(client):
    cookies = _set_cookies(client.get("/", base_url=HTTPS))
    session = [c for c in cookies if c.startswith("__Host-session=")]
    assert session, cookies
    assert "Secure" in session[0] and "Path=/" in session[0] and "Domain" not in session[0]
    assert not any(c.startswith("session=") for c in cookies)


def test_the_session_cookie_keeps_its_plain_name_over_http(client):
    # Browsers refuse Secure and __Host- cookies over http (local development).
    cookies = _set_cookies(client.get("/"))
    assert any(c.startswith("session=") for c in cookies)
    assert not any("__Host-" in c for c in cookies)


def test_a_planted_plain_session_cookie_is_ignored_over_https(app):
    """A sibling subdomain can set "session" for .example.se, not "__Host-session"."""
    attacker, victim = app.test_client(), app.test_client()
    planted = attacker.get("/", base_url=HTTPS)
    planted_token = csrf_token_in(planted.get_data(as_text=True))
    planted_value = attacker.get_cookie("__Host-session", domain="kiosk.example.se").value
    # The victim's browser carries the planted cookie under the plain name.
    victim.set_cookie("session", planted_value, domain="kiosk.example.se")
    page = victim.get("/", base_url=HTTPS)
    assert csrf_token_in(page.get_data(as_text=True)) != planted_token
    r = victim.post("/checklists/suitability/reset", base_url=HTTPS, headers={"X-CSRFToken": planted_token})
    assert r.status_code in (400, 404)


def test_a_request_with_two_session_cookies_trusts_neither(app):
    """Browsers send a planted cookie with a longer Path first: neither is used.
    (The cookie jar is off so the Cookie header goes through as written.)"""
    attacker, victim = app.test_client(), app.test_client()
    planted_token = csrf_token_in(attacker.get("/", base_url=HTTPS).get_data(as_text=True))
    planted = attacker.get_cookie("__Host-session", domain="kiosk.example.se").value
    own_token = csrf_token_in(victim.get("/", base_url=HTTPS).get_data(as_text=True))
    own = victim.get_cookie("__Host-session", domain="kiosk.example.se").value
    for first, second, token in ((planted, own, planted_token), (own, planted, own_token),
                                 (planted, own, own_token)):
        r = app.test_client().post(
            "/checklists/suitability/reset", base_url=HTTPS,
            headers={"Cookie": f"__Host-session={first}; __Host-session={second}", "X-CSRFToken": token})
        assert r.status_code == 400 and "Formuläret var för gammalt" in r.get_data(as_text=True)
    # One cookie, the own one: the same request is accepted.
    r = app.test_client(use_cookies=False).post("/checklists/suitability/reset", base_url=HTTPS,
                                                headers={"Cookie": f"__Host-session={own}", "X-CSRFToken": own_token})
    assert r.status_code == 303


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_state_change_from_another_site_is_refused(client, site):
    token = client.csrf_token()
    r = client.post("/checklists/suitability/reset", headers={"X-CSRFToken": token, "Sec-Fetch-Site": site})
    assert r.status_code == 403 and "Ingen behörighet" in r.get_data(as_text=True)
    # Even with Origin: null, which our own pages send too.
    r = client.post("/checklists/suitability/reset",
                    headers={"X-CSRFToken": token, "Sec-Fetch-Site": site, "Origin": "null"})
    assert r.status_code == 403


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "same-origin", "Origin": "null"},
                                     {"Sec-Fetch-Site": "none"},
                                     {}],  # a script or an old browser: no Sec-Fetch-* at all
                         ids=["own-page", "typed", "no-fetch-metadata"])
def test_state_changes_from_our_pages_and_plain_clients_still_work(client, headers):
    r = client.post("/checklists/suitability/reset", headers={"X-CSRFToken": client.csrf_token(), **headers})
    assert r.status_code == 303


def test_reading_from_another_site_is_still_allowed(client):
    # A link from the intranet to a page is fine; only state changes are refused.
    assert client.get("/", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_admin_login_over_https_sets_only_host_cookies(admin_app, make_admin):  # noqa: F811
    client = admin_app.test_client()
    account = make_admin("global")
    client.get("/admin/login", base_url=HTTPS)
    token = client.get_cookie("__Host-session", domain="kiosk.example.se")
    assert token is not None
    html = client.get("/admin/login", base_url=HTTPS).get_data(as_text=True)
    r = client.post("/admin/login", base_url=HTTPS, data={
        "email": account.email, "password": account.password, "csrf_token": csrf_token_in(html)})
    assert r.status_code == 303
    names = [c.split("=", 1)[0] for c in _set_cookies(r)]
    assert names and all(name.startswith("__Host-") or name == "lang" for name in names), names


# ---- item 5: ids out of range ------------------------------------------------------------------------


HUGE_IDS = (MAX_ID + 1, 9223372036854775808, 10**40)


def _int_routes(app):
    for rule in app.url_map.iter_rules():
        ints = [name for name, conv in rule._converters.items() if type(conv).__name__.endswith("IntConverter")
                or conv.regex == r"\d+"]
        if ints:
            yield rule, ints


def test_every_int_route_is_bounded(app):
    rules = list(_int_routes(app))
    assert len(rules) >= 7  # the review found seven; a new one is tried by the test below too
    for rule, names in rules:
        for name in names:
            assert rule._converters[name].max == MAX_ID, rule.rule


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_huge_ids_answer_404_on_every_int_route(admin_app, admin_client, huge):  # noqa: F811
    """Logged in as a global administrator, so the route's own code would run."""
    admin_app.config["PROPAGATE_EXCEPTIONS"] = False
    tried = 0
    for rule, names in _int_routes(admin_app):
        url = rule.rule
        for name in names:
            url = re.sub(rf"<int:{name}>", str(huge), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                r = admin_client.get(url)
            else:
                r = admin_client.form_post(url, {"active": "0", "reason": "test", "name": "x"})
            assert r.status_code in (404, 405), (method, url, r.status_code)
            if r.status_code == 405:
                # Another rule (a word where the id was) matches the path, not the method.
                assert method not in r.headers["Allow"], (method, url)
            else:
                assert "Sidan finns inte" in r.get_data(as_text=True)
            tried += 1
    assert tried >= 7


def test_no_route_takes_an_id_as_text(app):
    """An id taken as text reaches the database as a number it may not hold (a
    500 on PostgreSQL past 2^31): every id in a URL goes through the bounded int."""
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if name == "id" or name.endswith("_id"):
                assert converter.max == MAX_ID, rule.rule


def test_the_largest_id_the_database_holds_is_still_routed(admin_client):
    # MAX_ID itself reaches the view, which says there is no such room.
    r = admin_client.get(f"/admin/rooms/{MAX_ID}")
    assert r.status_code == 404


# ---- item 8: chunked bodies over the limit --------------------------------------------------------------


class Pieces(io.RawIOBase):
    """A WSGI input that hands over at most 1000 bytes a read, as a server may per chunk."""

    def __init__(self, body: bytes):
        self._body = io.BytesIO(body)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # the test client rewinds its input
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._body.seek(offset, whence)

    def tell(self) -> int:
        return self._body.tell()

    def readinto(self, buffer) -> int:
        data = self._body.read(min(len(buffer), 1000))
        buffer[:len(data)] = data
        return len(data)


def _chunked(client, path: str, body: bytes, lang: str = "", pieces: bool = False):
    """POST ``body`` as a chunked request: no Content-Length, as a WSGI server hands it over."""
    return client.post(path + lang, input_stream=Pieces(body) if pieces else io.BytesIO(body),
                       headers={"Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})


@pytest.mark.parametrize("pieces", [False, True], ids=["one-read", "a-chunk-a-read"])
def test_a_chunked_body_over_the_limit_is_413_with_the_size_message(app, client, pieces):
    token = client.csrf_token()
    limit = app.config["MAX_CONTENT_LENGTH"]
    # The token comes last, as a browser's form puts a hidden field after the text.
    body = b"code=" + b"x" * limit + b"&csrf_token=" + token.encode()
    r = _chunked(client, "/pair", body, pieces=pieces)
    assert r.status_code == 413 and "För mycket data" in r.get_data(as_text=True)
    r = _chunked(client, "/pair", body, "?lang=en", pieces=pieces)
    assert r.status_code == 413 and "Too much data" in r.get_data(as_text=True)


def test_a_chunked_body_of_exactly_the_limit_is_read_whole(app, client):
    token = client.csrf_token()
    limit = app.config["MAX_CONTENT_LENGTH"]
    tail = b"&csrf_token=" + token.encode()
    body = b"code=" + b"x" * (limit - 5 - len(tail)) + tail
    assert len(body) == limit
    r = _chunked(client, "/pair", body)
    assert r.status_code == 400 and "Formuläret var för gammalt" not in r.get_data(as_text=True)


@pytest.mark.parametrize("pieces", [False, True], ids=["one-read", "a-chunk-a-read"])
def test_a_small_chunked_form_works(client, make_room, new_pairing_code, pieces):
    code = new_pairing_code(room_id=make_room())
    body = f"code={code}&csrf_token={client.csrf_token()}&padding={'x' * 5000}".encode()
    r = _chunked(client, "/pair", body, pieces=pieces)
    assert r.status_code == 303


def test_a_chunked_body_over_the_limit_is_413_on_a_live_server(client, live_server):
    """A real chunked request through Werkzeug's server (gunicorn: test_hardening_servers)."""
    chunked_413(live_server.port)
