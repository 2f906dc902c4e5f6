"""The event-log CSV cannot stall the server (issue 14, item 1): at most 366
days, at most EXPORTS_AT_ONCE downloads streaming at once per worker process
and EXPORTS_PER_ACCOUNT per account (429 beyond, in Swedish and English), and a
door poll is answered while downloads are in flight (a live gunicorn)."""

from __future__ import annotations

import http.client
import time
from datetime import timedelta

import pytest
from sqlalchemy import insert

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Event, Room, Unit
from kiosk.rooms import pairing
from tests.instances import Instance, Tablet as Browser
from tests.admin_support import CHEAP_HASH


def test_the_event_log_csv_covers_at_most_366_days(frozen_clock, admin_client):
    r = admin_client.get("/admin/events.csv?from=2000-01-01&to=2100-12-31")
    assert r.status_code == 400 and "Välj högst 366 dagar åt gången." in r.get_data(as_text=True)
    r = admin_client.get("/admin/events.csv?from=2025-11-25&to=2026-11-26&lang=en")  # 367 days
    assert r.status_code == 400 and "Choose at most 366 days at a time." in r.get_data(as_text=True)
    r = admin_client.get("/admin/events.csv?from=2025-11-26&to=2026-11-26&lang=sv")  # 366 days, both counted
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")


def test_one_download_at_a_time_per_account_and_a_few_per_instance(admin_app, admin_client, manager_client):
    from kiosk.admin.eventlog.export import EXPORTS

    admin_app.config.update(EXPORTS_AT_ONCE=2, EXPORTS_PER_ACCOUNT=1)
    with admin_app.app_context():
        release = EXPORTS.take(admin_client.account.id)  # a download of this account still streaming
    r = admin_client.get("/admin/events.csv")
    assert r.status_code == 429 and "Du laddar redan ned händelseloggen." in r.get_data(as_text=True)
    r = admin_client.get("/admin/events.csv?lang=en")
    assert r.status_code == 429 and "You are already downloading the event log." in r.get_data(as_text=True)
    admin_app.config["EXPORTS_AT_ONCE"] = 1
    r = manager_client.get("/admin/events.csv?lang=sv")
    assert r.status_code == 429 and "Servern tar fram många nedladdningar just nu." in r.get_data(as_text=True)
    release()
    release()  # twice is harmless
    assert _read(manager_client.get("/admin/events.csv")) == 200  # read to its end: the slot is free again
    assert _read(admin_client.get("/admin/events.csv")) == 200
    unread = admin_client.get("/admin/events.csv")
    assert _read(manager_client.get("/admin/events.csv")) == 429
    unread.close()  # the server is done with it (sent or cut off): the slot is free
    assert _read(manager_client.get("/admin/events.csv")) == 200


def _read(response) -> int:
    response.get_data()
    return response.status_code


def _seed_events(app, n: int) -> tuple[int, int]:
    """A unit, a room and ``n`` events spread over the last 300 days (each ~700
    bytes of CSV, so that an export is megabytes and a reader that stops
    reading keeps the server's thread waiting)."""
    with app.app_context():
        unit = Unit(name="Vårdcentralen", slug="vc")
        room = Room(unit=unit, name="Videorum 1", slug="vr-1")
        db.session.add_all([unit, room])
        db.session.commit()
        now = clock.now()
        detail = '{"reason": "' + "Rummet behövdes för ett annat möte. " * 16 + '"}'
        rows = [{"at": now - timedelta(minutes=4 * i), "kind": "force-ended", "unit_id": unit.id,
                 "room_id": room.id, "actor": "admin:1", "address": "10.0.0.1", "detail": detail}
                for i in range(n)]
        for i in range(0, n, 10_000):
            db.session.execute(insert(Event.__table__), rows[i:i + 10_000])
        db.session.commit()
        return unit.id, room.id


@pytest.mark.slow
def test_door_polls_are_answered_while_exports_are_in_flight(admin_app, make_admin, database_url, tmp_path):
    """Downloads whose readers stop reading hold a thread each; they may not
    hold them all. Without the bound, nine stalled downloads on four threads
    left the door's poll unanswered past the htmx timeout."""
    unit_id, room_id = _seed_events(admin_app, 30_000)
    accounts = [make_admin() for _ in range(3)]
    with admin_app.app_context():
        code = pairing.new_code("door", db.session.get(Unit, unit_id), db.session.get(Room, room_id), actor="test")
    server = Instance(database_url, tmp_path / "instance", KIOSK_THREADS=4,
                      KIOSK_ADMIN_PASSWORD_METHOD=CHEAP_HASH, KIOSK_PURGE_AUTOMATICALLY="false").start()
    stalled: list[http.client.HTTPConnection] = []
    try:
        door = Browser(server.url)
        version = Browser.poll_version(door.pair(code).body)
        cookies = []
        for account in accounts:
            browser = Browser(server.url)
            browser.get("/admin/login")
            browser.request("POST", "/admin/login", {"email": account.email, "password": account.password})
            assert any(c.name == "kiosk-admin" for c in browser.jar)  # logged in
            cookies.append("; ".join(f"{c.name}={c.value}" for c in browser.jar))
        today = clock.today()  # Sweden's day: after 23.00 UTC it is tomorrow
        path = f"/admin/events.csv?from={(today - timedelta(days=365)).isoformat()}&to={today.isoformat()}"
        for cookie in cookies * 3:  # three downloads per account, none of them read
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.request("GET", path, headers={"Cookie": cookie})
            stalled.append(conn)
        time.sleep(1.0)  # the server takes them up and fills the sockets
        timeout = 8  # KIOSK_HTMX_TIMEOUT_MS: a door counts a slower answer as a failure
        for _ in range(3):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
            conn.request("GET", f"/rooms/vr-1/door/poll?v={version}",
                         headers={"HX-Request": "true", "Cookie": "; ".join(f"{c.name}={c.value}" for c in door.jar)})
            assert conn.getresponse().status == 204
            conn.close()
    finally:
        for conn in stalled:
            conn.close()
        server.stop()
