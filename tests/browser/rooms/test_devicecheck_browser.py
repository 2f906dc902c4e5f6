"""The device check (issue 12): the microphone "works" only after a level above
the room's hiss, and the cameras and microphones the browser lists can be chosen."""

import pytest
from playwright.sync_api import expect

from tests.browser_support import assert_accessible, assert_no_console_errors, open_page

pytestmark = pytest.mark.browser

# A microphone that only hisses (a steady tone far below a voice) until the test
# turns it up, and a camera drawn on a canvas: the page's own getUserMedia calls
# are answered with these.
HISSING_MEDIA = """
window.__mic = null;
navigator.mediaDevices.getUserMedia = async (wanted) => {
  if (wanted.video) {
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 48;
    const g = canvas.getContext("2d");
    setInterval(() => { g.fillStyle = "#" + Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, "0"); g.fillRect(0, 0, 64, 48); }, 50);
    return canvas.captureStream(10);
  }
  const ctx = new AudioContext();
  await ctx.resume();
  const tone = ctx.createOscillator();
  const gain = ctx.createGain();
  gain.gain.value = 0.03;  // about level 6 on the page's meter: hiss, above the old threshold of 4
  const out = ctx.createMediaStreamDestination();
  tone.connect(gain).connect(out);
  tone.start();
  window.__mic = gain;
  return out.stream;
};
"""


def _page(media_browser, live_server, script=None):
    return open_page(media_browser, live_server.url, init_script=script)


def _wait_until(page, expression: str, seconds: float = 10) -> None:
    """Poll an expression with page.evaluate (the DevTools protocol, outside the
    page's CSP). wait_for_function polls by eval inside the page, which our CSP
    (no unsafe-eval) refuses whenever the first check is not already true."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"not true within {seconds} s: {expression}")


def test_microphone_works_only_after_a_level_above_the_hiss(media_browser, live_server):
    page = _page(media_browser, live_server, HISSING_MEDIA)
    try:
        page.goto("/check/devices")
        page.get_by_role("button", name="Starta testet").click()
        status = page.locator("#microphone-status [data-status-text]")
        expect(page.locator("#camera-status [data-status-text]")).to_have_text("Fungerar")
        # The meter moves with the hiss, but hiss is not a voice.
        _wait_until(page, "document.querySelector('meter').value >= 4")
        page.wait_for_timeout(1500)
        expect(status).to_have_text("Testar …")
        # Somebody speaks: the level rises well above the hiss.
        page.evaluate("window.__mic.gain.value = 0.4")
        expect(status).to_have_text("Fungerar")
        assert_no_console_errors(page, "device check, hiss then voice")
    finally:
        page.context.close()


def test_cameras_and_microphones_can_be_chosen_from_the_browsers_lists(media_browser, live_server):
    page = _page(media_browser, live_server)
    try:
        page.goto("/check/devices")
        cameras = page.get_by_label("Välj kamera")
        microphones = page.get_by_label("Välj mikrofon")
        expect(cameras).to_be_disabled()
        page.get_by_role("button", name="Starta testet").click()
        expect(page.locator("#microphone-status [data-status-text]")).to_have_text("Fungerar")
        expect(microphones).to_be_enabled()
        mic_options = microphones.locator("option")
        # Chromium's fake devices, by the names the browser gives after permission.
        labels = mic_options.all_inner_texts()
        assert len(labels) >= 3 and any("Fake" in label for label in labels), labels
        assert len(cameras.locator("option").all_inner_texts()) >= 2
        # The one in use is the one shown.
        in_use = page.evaluate("""navigator.mediaDevices.enumerateDevices().then(() => 1)""")
        assert in_use == 1 and microphones.input_value() != ""
        # Choosing another microphone tests that one, from the start.
        other = mic_options.nth(len(labels) - 1).get_attribute("value")
        microphones.select_option(other)
        expect(page.locator("#microphone-status [data-status-text]")).to_have_text("Fungerar")
        expect(microphones).to_have_value(other)
        assert_accessible(page, "device check with device lists")
        assert_no_console_errors(page, "device check with device lists")
    finally:
        page.context.close()
