"""Two clinicians tapping at once: against a live server, twenty concurrent
check-ins on one room give one room session and nineteen clear refusals."""

import threading
import urllib.error
import urllib.request

from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Event, RoomSession
from tests.servers import LiveServer


def test_twenty_concurrent_check_ins_one_winner(app, door_client):
    server = LiveServer(app).start()
    try:
        cookies = "; ".join(f"{name}={door_client.get_cookie(name).value}" for name in ("kiosk_device", "session"))
        token = door_client.csrf_token()
        url = f"{server.url}/rooms/{door_client.slug}/check-in"
        barrier = threading.Barrier(20)
        results: list[tuple[int, str]] = []
        lock = threading.Lock()

        def tap():
            request = urllib.request.Request(url, data=b"minutes=30", method="POST", headers={
                "Cookie": cookies, "X-CSRFToken": token, "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded"})
            barrier.wait()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    outcome = (response.status, response.read().decode())
            except urllib.error.HTTPError as exc:
                outcome = (exc.code, exc.read().decode())
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=tap) for _ in range(20)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
    finally:
        server.stop()

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * 19, statuses
    assert all("redan incheckat" in body for status, body in results if status == 409)
    with app.app_context():
        assert db.session.query(RoomSession).filter(RoomSession.ended_at.is_(None)).count() == 1
        assert db.session.scalars(select(Event.kind).where(Event.kind == "check-in")).all() == ["check-in"]
