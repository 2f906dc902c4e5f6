"""The device check: camera, microphone and sound, tested in the browser.

Beyond the routine (R21 asks for a function test at the first call): a
clinician can try the headset and camera before the patient waits. All the
work happens in devices.js with the browser's media APIs; nothing is sent to
the server. This page alone may use the camera and microphone.
"""

from __future__ import annotations

from flask import Blueprint

from ..i18n import content
from ..render import render
from ..security import allow_media_devices

bp = Blueprint("devicecheck", __name__, url_prefix="/check")

# The contact shown when something fails (R21: call VGR IT).
IT_CONTACT = "vgr-it"


@bp.get("/devices")
def devices():
    """The check page; the Permissions-Policy lets it ask for camera and microphone."""
    allow_media_devices()
    return render("devicecheck/devices.html", it_contact=content().contacts[IT_CONTACT])
