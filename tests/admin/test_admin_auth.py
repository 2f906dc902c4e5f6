"""Admin accounts, logins and sessions: hashed passwords, the cookie, a new
session at every login, idle and absolute expiry on a moved clock (polls never
extend a session), the login limits, the audit of every login, the CLI."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from kiosk import clock
from kiosk.models import AdminSession, AdminUser
from kiosk.extensions import db
from tests.admin_support import PASSWORD, events, log_in

# ---- accounts -------------------------------------------------------------------------


def test_passwords_are_stored_as_scrypt_hashes(admin_app, make_admin):
    account = make_admin()
    with admin_app.app_context():
        user = db.session.get(AdminUser, account.id)
        assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash
    admin_app.config["ADMIN_PASSWORD_METHOD"] = "scrypt"  # the production default
    with admin_app.app_context():
        from kiosk.accounts import hash_password

        assert hash_password("x" * 12).startswith("scrypt:32768:8:1$")


def test_cli_create_admin_generates_and_prints_the_password_once(admin_app, make_unit):
    runner = admin_app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "Anna.Admin@Regionhalsan.example"])
    assert result.exit_code == 0, result.output
    password = re.search(r"Password \(shown only now\): (\S+)", result.output).group(1)
    assert len(password) >= 20
    client = admin_app.test_client()
    r = client.form_post("/admin/login", {"email": "anna.admin@regionhalsan.example", "password": password})
    assert r.status_code == 303
    assert runner.invoke(args=["create-admin", "anna.admin@regionhalsan.example"]).exit_code != 0  # exists

    unit_id = make_unit(slug="hud")
    assert runner.invoke(args=["create-admin", "chef@regionhalsan.example", "--role", "unit"]).exit_code != 0
    result = runner.invoke(args=["create-admin", "chef@regionhalsan.example", "--role", "unit", "--unit", "hud"])
    assert result.exit_code == 0, result.output
    with admin_app.app_context():
        chef = db.session.scalar(select(AdminUser).where(AdminUser.email == "chef@regionhalsan.example"))
        assert (chef.role, chef.unit_id) == ("unit", unit_id)
    result = runner.invoke(args=["create-admin", "typed@regionhalsan.example", "--ask-password"],
                           input="kort\nkort\n")
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    result = runner.invoke(args=["create-admin", "typed@regionhalsan.example", "--ask-password"],
                           input="ett långt lösenord\nett långt lösenord\n")
    assert result.exit_code == 0 and "shown only now" not in result.output
    assert runner.invoke(args=["create-admin", "not-an-email"]).exit_code != 0


def test_create_admin_for_the_demo_returns_the_password(admin_app, make_unit):
    from kiosk.accounts import create_admin

    with admin_app.app_context():
        password = create_admin("demo@regionhalsan.example", "global")
        assert len(password) >= 20
    assert events(admin_app, "admin-create")[0][1] == "cli"


# ---- logging in and out ------------------------------------------------------------------


def test_admin_pages_send_a_browser_without_a_session_to_login(admin_app):
    client = admin_app.test_client()
    r = client.get("/admin/stats?unit=1")
    assert r.status_code == 303 and r.headers["Location"] == "/admin/login?next=/admin/stats?unit%3D1"
    r = client.hx_get("/admin/events")
    assert r.status_code == 204 and r.headers["HX-Redirect"].startswith("/admin/login")
    assert "Logga in" in client.get("/admin/login").get_data(as_text=True)


def test_login_sets_a_strict_httponly_cookie_and_logout_ends_the_session(admin_app, make_admin):
    account = make_admin()
    client = admin_app.test_client()
    r = log_in(client, account)
    assert r.headers["Location"] == "/admin/"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("kiosk-admin=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/" in cookie and "Expires" not in cookie  # gone when the browser closes
    html = client.get("/admin/").get_data(as_text=True)
    assert account.email in html and "Global administratör" in html
    r = client.form_post("/admin/logout")
    assert r.status_code == 303 and "kiosk-admin=;" in r.headers["Set-Cookie"]
    assert client.get("/admin/").status_code == 303
    with admin_app.app_context():
        assert db.session.scalar(select(AdminSession.ended_at)) is not None


def test_over_https_the_cookie_is_host_prefixed_and_secure(admin_app, make_admin):
    account = make_admin()
    client = admin_app.test_client()
    base = "https://kiosk.example"
    page = client.get("/admin/login", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/admin/login", base_url=base, headers={"Referer": base + "/admin/login"},
                    data={"email": account.email, "password": account.password, "csrf_token": token})
    assert r.status_code == 303, r.get_data(as_text=True)
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("__Host-kiosk-admin=") and "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert client.get("/admin/", base_url=base).status_code == 200
    assert r.headers.get("Strict-Transport-Security", "").startswith("max-age=")


def test_every_login_gets_a_new_session(admin_app, make_admin):
    """A token from before the login (or an earlier login) is never reused."""
    account = make_admin()
    client = admin_app.test_client()
    client.set_cookie("kiosk-admin", "planted-by-someone-else")
    first = log_in(client, account).headers["Set-Cookie"].split(";")[0]
    second = log_in(client, account).headers["Set-Cookie"].split(";")[0]
    assert "planted-by-someone-else" not in first + second and first != second
    with admin_app.app_context():
        hashes = db.session.scalars(select(AdminSession.token_hash)).all()
        assert len(set(hashes)) == 2 and all(len(h) == 64 for h in hashes)
        assert first.split("=", 1)[1] not in hashes  # only the hash is stored


def test_a_wrong_password_is_refused_with_the_same_words_as_an_unknown_account(admin_app, make_admin):
    account = make_admin()
    client = admin_app.test_client()
    for email, password in ((account.email, "fel lösenord!"), ("nobody@regionhalsan.example", PASSWORD)):
        r = client.form_post("/admin/login", {"email": email, "password": password})
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and "Fel e-postadress eller lösenord." in html
        assert "kiosk-admin" not in r.headers.get("Set-Cookie", "")
    r = client.form_post("/admin/login?lang=en", {"email": account.email, "password": ""})
    assert r.status_code == 400 and "Fill in both" in r.get_data(as_text=True)


def test_login_goes_on_to_the_page_asked_for_but_never_elsewhere(admin_app, make_admin):
    account = make_admin()
    client = admin_app.test_client()
    r = client.form_post("/admin/login", {"email": account.email, "password": account.password,
                                          "next": "/admin/events?room=1"})
    assert r.headers["Location"] == "/admin/events?room=1"
    for bad in ("https://evil.example/", "//evil.example/admin", "/admin/\\evil", "/door"):
        client._token = None  # each login gives the browser a new CSRF token
        r = client.form_post("/admin/login", {"email": account.email, "password": account.password, "next": bad})
        assert r.headers["Location"] == "/admin/", bad


def test_every_login_and_logout_is_in_the_event_log(admin_app, make_admin):
    account = make_admin()
    client = admin_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    client.form_post("/admin/login", {"email": account.email, "password": "fel lösenord!"})
    client.form_post("/admin/login", {"email": "okand@regionhalsan.example", "password": "vad som helst"})
    log_in(client, account)
    client.form_post("/admin/logout")
    logged = [(kind, actor, address) for kind, actor, address, _ in events(admin_app) if kind.startswith("admin-log")]
    me = f"admin:{account.id}"
    assert logged == [("admin-login-failed", me, "10.1.2.3"), ("admin-login-failed", "anonymous", "10.1.2.3"),
                      ("admin-login", me, "10.1.2.3"), ("admin-logout", me, "10.1.2.3")]
    details = [json.loads(d) for k, _a, _ad, d in events(admin_app, "admin-login-failed")]
    assert details == [{"result": "wrong-password"}, {"result": "unknown-account"}]
    # The typed e-mail of an unknown account is not kept anywhere (it could be anything).
    assert all("okand" not in str(e) for e in events(admin_app))


# ---- expiry -------------------------------------------------------------------------------


def test_idle_expiry_after_30_minutes_without_a_user_action(frozen_clock, admin_client):
    clock.advance(timedelta(minutes=29))
    assert admin_client.get("/admin/rooms").status_code == 200  # an action: 30 more minutes
    clock.advance(timedelta(minutes=29))
    assert admin_client.get("/admin/").status_code == 200
    clock.advance(timedelta(minutes=30, seconds=1))
    r = admin_client.get("/admin/")
    assert r.status_code == 303 and r.headers["Location"].startswith("/admin/login")
    html = admin_client.get("/admin/login").get_data(as_text=True)
    assert "Din inloggning har upphört" in html or "Logga in" in html


def test_polls_never_keep_a_session_alive(frozen_clock, admin_client):
    """A tablet or script polling (any path ending in /poll) is not a person acting."""
    logged_in_at = int(frozen_clock.now().timestamp() * 1000)
    for _ in range(5):
        clock.advance(timedelta(minutes=5))
        state = admin_client.get("/admin/session/poll").get_json()
        assert state["active"] is True and state["idle"] == logged_in_at + 30 * 60 * 1000
    clock.advance(timedelta(minutes=5))
    assert admin_client.get("/admin/session/poll").get_json()["active"] is False
    assert admin_client.get("/admin/").status_code == 303


def test_continue_extends_the_idle_deadline(frozen_clock, admin_client):
    before = admin_client.get("/admin/session/poll").get_json()
    clock.advance(timedelta(minutes=29, seconds=30))
    r = admin_client.hx_post("/admin/session/extend")
    after = r.get_json()
    assert r.status_code == 200 and after["active"] is True
    assert after["idle"] - before["idle"] == (29 * 60 + 30) * 1000
    assert after["warn"] >= 20_000  # WCAG 2.2.1: at least 20 seconds of warning
    clock.advance(timedelta(minutes=29))
    assert admin_client.get("/admin/").status_code == 200


def test_absolute_expiry_after_12_hours_whatever_happens(frozen_clock, admin_client):
    for _ in range(35):  # busy every 20 minutes for 11 h 40 min
        clock.advance(timedelta(minutes=20))
        assert admin_client.get("/admin/").status_code == 200
    state = admin_client.get("/admin/session/poll").get_json()
    assert state["absolute"] - int(frozen_clock.now().timestamp() * 1000) == 20 * 60 * 1000
    clock.advance(timedelta(minutes=20))
    assert admin_client.get("/admin/").status_code == 303


def test_the_page_carries_its_deadlines_for_the_warning_script(frozen_clock, admin_client):
    html = admin_client.get("/admin/").get_data(as_text=True)
    now_ms = int(frozen_clock.now().timestamp() * 1000)
    assert f'data-server-now="{now_ms}"' in html and f'data-idle="{now_ms + 30 * 60 * 1000}"' in html
    assert 'data-warn="60000"' in html and 'id="session-warning"' in html and "js/admin.js" in html
    assert 'role="alertdialog"' in html


def test_a_deactivated_account_is_logged_out_at_once(admin_client, make_admin, admin_app):
    other_account = make_admin()
    other = admin_app.test_client()
    log_in(other, other_account)
    r = admin_client.form_post(f"/admin/accounts/{other_account.id}/active", {"active": "0"})
    assert r.status_code == 303
    assert other.get("/admin/").status_code == 303
    assert other.form_post("/admin/login", {"email": other_account.email,
                                            "password": other_account.password}).status_code == 400


# ---- changing a password ----------------------------------------------------------------------------

NEW_PASSWORD = "ett nytt långt lösenord"


def test_an_administrator_changes_their_own_password_and_other_sessions_end(admin_app, make_unit, make_admin):
    account = make_admin("unit", unit_id=make_unit())  # a unit manager may too, not only global admins
    here, elsewhere = admin_app.test_client(), admin_app.test_client()
    log_in(here, account)
    log_in(elsewhere, account)
    page = here.get("/admin/account").get_data(as_text=True)
    assert "<h1>Mitt konto</h1>" in page and account.email in page and 'autocomplete="current-password"' in page
    assert f"Mitt konto ({account.email})" in here.get("/admin/").get_data(as_text=True)  # the nav links to it
    r = here.form_post("/admin/account/password", {"current": account.password, "new": NEW_PASSWORD,
                                                   "repeat": NEW_PASSWORD})
    assert r.status_code == 303 and r.headers["Location"].endswith("/admin/account")
    assert "Lösenordet är bytt." in here.get("/admin/account").get_data(as_text=True)  # this session goes on
    assert elsewhere.get("/admin/").status_code == 303  # the other one has ended
    fresh = admin_app.test_client()
    assert fresh.form_post("/admin/login", {"email": account.email, "password": account.password}).status_code == 400
    assert fresh.form_post("/admin/login", {"email": account.email, "password": NEW_PASSWORD}).status_code == 303
    kind, actor, _address, detail = events(admin_app, "admin-password")[0]
    assert actor == f"admin:{account.id}" and json.loads(detail) == {"account": account.id, "result": "changed"}
    with admin_app.app_context():
        assert NEW_PASSWORD not in db.session.get(AdminUser, account.id).password_hash


def test_a_refused_password_change_says_why_and_changes_nothing(admin_client, admin_app):
    account = admin_client.account
    cases = [
        ({"current": "fel lösenord!", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}, "stämmer inte"),
        ({"current": "", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}, "stämmer inte"),
        ({"current": account.password, "new": "kort", "repeat": "kort"}, "minst 12 tecken"),
        ({"current": account.password, "new": account.password, "repeat": account.password}, "skilja sig"),
        ({"current": account.password, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD + "!"}, "inte likadana"),
        ({"current": account.password, "new": "x" * 201, "repeat": "x" * 201}, "Högst 200 tecken"),
        ({"current": account.password, "new": "tolv tecken\x00långt", "repeat": "tolv tecken\x00långt"},
         "Använd bokstäver"),
    ]
    for form, message in cases:
        r = admin_client.form_post("/admin/account/password?lang=sv", form)
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and message in html and 'aria-invalid="true"' in html, (form, html[-2000:])
        assert NEW_PASSWORD not in html and account.password not in html  # never echoed
    r = admin_client.form_post("/admin/account/password?lang=en", cases[0][0])
    assert r.status_code == 400 and "The current password is not right." in r.get_data(as_text=True)
    log_in(admin_app.test_client(), account)  # the old password still works
    assert [json.loads(e[3])["result"] for e in events(admin_app, "admin-password")] == ["wrong-password"] * 3
    assert admin_client.post("/admin/account/password", data={"current": account.password}).status_code == 400  # no CSRF


def test_guessing_the_current_password_counts_against_the_login_limit(frozen_clock, admin_app, admin_client):
    admin_app.config["LOGIN_FAILURES_PER_HOUR"] = 3
    account = admin_client.account
    for _ in range(3):
        r = admin_client.form_post("/admin/account/password", {"current": "gissning!", "new": NEW_PASSWORD,
                                                               "repeat": NEW_PASSWORD})
        assert r.status_code == 400
    r = admin_client.form_post("/admin/account/password", {"current": account.password, "new": NEW_PASSWORD,
                                                           "repeat": NEW_PASSWORD})
    assert r.status_code == 429 and "För många" in r.get_data(as_text=True)
    r = admin_app.test_client().form_post("/admin/login", {"email": account.email, "password": account.password})
    assert r.status_code == 429  # the same account limit as logins
    clock.advance(timedelta(minutes=61))
    r = admin_client.form_post("/admin/account/password", {"current": account.password, "new": NEW_PASSWORD,
                                                           "repeat": NEW_PASSWORD})
    assert r.status_code == 303


def test_a_global_admin_gives_another_account_a_new_password(admin_client, admin_app, make_admin, make_unit):
    other = make_admin("unit", unit_id=make_unit())
    their_browser = admin_app.test_client()
    log_in(their_browser, other)
    assert f'action="/admin/accounts/{other.id}/password"' in admin_client.get("/admin/accounts").get_data(as_text=True)
    r = admin_client.form_post(f"/admin/accounts/{other.id}/password", {})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Nytt lösenord är skapat" in html and other.email in html
    password = re.search(r'<code id="new-password">([^<]+)</code>', html).group(1)
    assert their_browser.get("/admin/").status_code == 303  # their sessions ended
    fresh = admin_app.test_client()
    assert fresh.form_post("/admin/login", {"email": other.email, "password": other.password}).status_code == 400
    assert fresh.form_post("/admin/login", {"email": other.email, "password": password}).status_code == 303
    kind, actor, _address, detail = events(admin_app, "admin-password")[0]
    assert actor == f"admin:{admin_client.account.id}" and json.loads(detail) == {"account": other.id,
                                                                                  "result": "reset"}
    assert admin_client.form_post(f"/admin/accounts/{admin_client.account.id}/password", {}).status_code == 409
    assert admin_client.form_post("/admin/accounts/9999/password", {}).status_code == 404
    manager = admin_app.test_client()
    log_in(manager, make_admin("unit", unit_id=make_unit()))
    assert manager.form_post(f"/admin/accounts/{other.id}/password", {}).status_code == 403


# ---- limits -------------------------------------------------------------------------------------


def test_at_most_ten_login_attempts_a_minute_per_address(frozen_clock, admin_app, make_admin):
    account = make_admin()
    client = admin_app.test_client()
    for _ in range(10):
        assert client.form_post("/admin/login", {"email": account.email, "password": "fel!"}).status_code == 400
    r = client.form_post("/admin/login", {"email": account.email, "password": account.password})
    assert r.status_code == 429 and "För många inloggningsförsök" in r.get_data(as_text=True)
    r = client.form_post("/admin/login?lang=en", {"email": account.email, "password": account.password})
    assert r.status_code == 429 and "Too many login attempts" in r.get_data(as_text=True)
    other_address = admin_app.test_client()
    other_address.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    log_in(other_address, account)  # the limit is per address
    clock.advance(timedelta(seconds=61))
    log_in(client, account)  # a minute later the address may try again


def _from(client, address: str):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _rate_rows(app) -> int:
    from kiosk.models import RateHit

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RateHit))


def test_failures_from_rotating_addresses_do_not_lock_the_owner_out(frozen_clock, admin_app, make_admin):
    """Issue 14.3: 100 wrong passwords from rotating addresses locked the account for everyone."""
    admin_app.config.update(LOGIN_FAILURES_PER_HOUR=5, LOGIN_SLOW_AFTER=5)
    account = make_admin()
    client = admin_app.test_client()
    for i in range(30):
        r = _from(client, f"10.0.0.{i + 1}").form_post("/admin/login", {"email": account.email, "password": "fel!"})
        assert r.status_code == 400
    log_in(_from(client, "10.0.0.99"), account)  # the owner, from their own desk


def test_failures_from_one_address_lock_that_address_out_of_that_account(frozen_clock, admin_app, make_admin):
    admin_app.config.update(LOGIN_FAILURES_PER_HOUR=3, LOGIN_SLOW_AFTER=100)
    account, other = make_admin(), make_admin()
    guesser = _from(admin_app.test_client(), "10.0.2.1")
    for _ in range(3):
        assert guesser.form_post("/admin/login", {"email": account.email, "password": "fel!"}).status_code == 400
    r = guesser.form_post("/admin/login", {"email": account.email.upper(), "password": account.password})
    assert r.status_code == 429 and "För många inloggningsförsök" in r.get_data(as_text=True)
    log_in(_from(admin_app.test_client(), "10.0.2.2"), account)  # another address is not locked out
    log_in(_from(admin_app.test_client(), "10.0.2.1"), other)  # nor is another account from this address
    clock.advance(timedelta(minutes=61))
    log_in(guesser, account)


def test_a_slowed_account_lets_the_owner_in_after_a_wait(frozen_clock, admin_app, make_admin):
    admin_app.config.update(LOGIN_FAILURES_PER_HOUR=20, LOGIN_SLOW_AFTER=3, LOGIN_SLOW_SECONDS=30)
    account = make_admin()
    for i in range(3):
        r = _from(admin_app.test_client(), f"10.0.3.{i}").form_post(
            "/admin/login", {"email": account.email, "password": "fel!"})
        assert r.status_code == 400
    # The account is slowed: an address that just failed waits; its next try is checked after the wait.
    owner = _from(admin_app.test_client(), "10.0.3.0")
    r = owner.form_post("/admin/login", {"email": account.email, "password": account.password})
    assert r.status_code == 429 and "Vänta 30 sekunder" in r.get_data(as_text=True)
    r = owner.form_post("/admin/login?lang=en", {"email": account.email, "password": account.password})
    assert r.status_code == 429 and "Wait 30 seconds" in r.get_data(as_text=True)
    clock.advance(timedelta(seconds=12))
    r = owner.form_post("/admin/login?lang=sv", {"email": account.email, "password": account.password})
    assert "Vänta 18 sekunder" in r.get_data(as_text=True)  # refused tries do not restart the wait
    clock.advance(timedelta(seconds=19))
    log_in(owner, account)


def test_refused_login_attempts_write_nothing(frozen_clock, admin_app, make_admin):
    """Issue 14.7: every rate-limited attempt inserted a row."""
    admin_app.config.update(LOGIN_FAILURES_PER_HOUR=3)
    account = make_admin()
    guesser = _from(admin_app.test_client(), "10.0.4.1")
    for _ in range(3):
        guesser.form_post("/admin/login", {"email": account.email, "password": "fel!"})
    rows, logged = _rate_rows(admin_app), len(events(admin_app))
    for _ in range(12):  # locked out of the account
        r = guesser.form_post("/admin/login", {"email": account.email, "password": "fel!"})
        assert r.status_code == 429
    assert (_rate_rows(admin_app), len(events(admin_app))) == (rows, logged)
    for i in range(7):  # the rest of the address's ten a minute, on other accounts
        assert guesser.form_post("/admin/login", {"email": f"x{i}@example.org", "password": "fel!"}).status_code == 400
    rows, logged = _rate_rows(admin_app), len(events(admin_app))
    for _ in range(20):  # over the address limit
        assert guesser.form_post("/admin/login", {"email": "y@example.org", "password": "fel!"}).status_code == 429
    assert (_rate_rows(admin_app), len(events(admin_app))) == (rows, logged)


def test_successful_logins_do_not_count_as_failures(frozen_clock, admin_app, make_admin):
    admin_app.config.update(LOGIN_FAILURES_PER_HOUR=2, LOGIN_SLOW_AFTER=2)
    account = make_admin()
    for i in range(4):
        log_in(_from(admin_app.test_client(), "10.0.1.1"), account)


def test_a_global_admin_lifts_an_accounts_login_lock(frozen_clock, admin_app, admin_client, make_admin, make_unit):
    admin_app.config.update(LOGIN_FAILURES_PER_HOUR=3)
    locked = make_admin("unit", unit_id=make_unit())
    guesser = _from(admin_app.test_client(), "10.0.5.1")
    for _ in range(3):
        guesser.form_post("/admin/login", {"email": locked.email, "password": "fel!"})
    log_in(guesser, locked, expect=429)
    html = admin_client.get("/admin/accounts").get_data(as_text=True)
    assert "3 misslyckade inloggningar den senaste timmen." in html and "Häv inloggningsspärren" in html
    assert admin_client.post(f"/admin/accounts/{locked.id}/unlock").status_code == 400  # no CSRF token
    r = admin_client.form_post(f"/admin/accounts/{locked.id}/unlock")
    assert r.status_code == 303
    assert "Inloggningsspärren för" in admin_client.get("/admin/accounts").get_data(as_text=True)
    assert [(kind, json.loads(detail)) for kind, _a, _ad, detail in events(admin_app, "admin-unlock")] == [
        ("admin-unlock", {"account": locked.id, "failures": 6})]  # 3 per address and account, 3 per account
    log_in(guesser, locked)
    assert admin_client.form_post("/admin/accounts/999999/unlock").status_code == 404


def test_a_unit_manager_cannot_lift_a_login_lock(admin_app, make_admin, make_unit):
    unit_id = make_unit()
    manager = make_admin("unit", unit_id=unit_id)
    client = admin_app.test_client()
    log_in(client, manager)
    other = make_admin("unit", unit_id=unit_id)
    assert client.form_post(f"/admin/accounts/{other.id}/unlock").status_code == 403
    assert events(admin_app, "admin-unlock") == []


def test_limits_are_shared_by_every_worker(frozen_clock, admin_app, make_app, make_admin):
    """Two app objects on one database stand for two workers (or instances)."""
    other_worker = make_app(ADMIN_PASSWORD_METHOD=admin_app.config["ADMIN_PASSWORD_METHOD"])
    account = make_admin()
    clients = [admin_app.test_client(), other_worker.test_client()]
    for i in range(10):
        r = clients[i % 2].form_post("/admin/login", {"email": account.email, "password": "fel!"})
        assert r.status_code == 400
    for client in clients:
        assert client.form_post("/admin/login", {"email": account.email, "password": "fel!"}).status_code == 429
