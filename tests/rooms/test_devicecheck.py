"""The device check page: served in both languages, allowed to use camera and
microphone (this page only), its behaviour in a script file of its own that
sends nothing anywhere, and VGR IT's number ready for when something fails."""

import re

import pytest

from kiosk.security import CSP, MEDIA_DEVICES, NO_DEVICES
from tests.paths import ROOT

DEVICES_JS = ROOT / "kiosk" / "static" / "js" / "devices.js"


@pytest.mark.parametrize(("lang", "title", "ok", "fail"), [
    ("sv", "Testa kamera, mikrofon och ljud", "Fungerar", "Fungerar inte"),
    ("en", "Test camera, microphone and sound", "Works", "Does not work"),
])
def test_device_check_page(client, lang, title, ok, fail):
    r = client.get(f"/check/devices?lang={lang}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert f"<h1>{title}</h1>" in html
    for part in ("camera", "microphone", "sound"):
        assert f'id="{part}-status"' in html
    assert f'data-text-ok="{ok}"' in html and f'data-text-fail="{fail}"' in html
    assert re.search(r'<script src="/static/js/devices\.js\?v=[0-9a-f]{10}" defer></script>', html)
    assert "<video" in html and "<meter" in html


def test_device_check_may_use_camera_and_microphone_and_nothing_else_may(client):
    r = client.get("/check/devices")
    assert r.headers["Permissions-Policy"] == MEDIA_DEVICES
    assert r.headers["Content-Security-Policy"] == CSP
    for other in ("/checklists/equipment", "/guides/no-show", "/search"):
        assert client.get(other).headers["Permissions-Policy"] == NO_DEVICES


def test_device_check_names_vgr_it_for_when_something_fails(client):
    """R21: if sound or camera fails, call VGR IT."""
    html = client.get("/check/devices").get_data(as_text=True)
    help_box = html[html.index("data-devices-help"):]
    assert "VGR IT" in help_box
    assert 'href="tel:+46104737100">010-47 37 100</a>' in help_box


def test_device_check_works_without_javascript_only_as_a_message(client):
    html = client.get("/check/devices").get_data(as_text=True)
    # Shown from the first paint (nothing moves when the script arrives); a browser
    # without JavaScript gets the message and no-script.css hides the check.
    assert '<noscript><p class="needs-js">Testet behöver JavaScript i Google Chrome.</p></noscript>' in html
    assert re.search(r'<noscript><link rel="stylesheet" href="/static/css/no-script.css\?v=[0-9a-f]+"></noscript>', html)
    assert ".device-check { display: none; }" in (DEVICES_JS.parent.parent / "css" / "no-script.css").read_text()


def test_devices_js_sends_nothing_to_the_server():
    source = DEVICES_JS.read_text()
    for call in ("fetch(", "XMLHttpRequest", "sendBeacon", "WebSocket", "EventSource", "htmx."):
        assert call not in source
    assert "getUserMedia" in source and "createOscillator" in source


def test_device_check_is_a_get_only_page(client):
    assert client.post("/check/devices").status_code in (400, 405)
