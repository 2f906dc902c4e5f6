"""Statistics for the head of unit: the counts, the page with a table beside
every chart, the charts as strict SVG documents, the CSV for Excel, and clear
refusals of bad dates and other units."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Unit
from kiosk.rooms import service
from kiosk.rooms.service import Actor
from tests.admin_support import events

DOOR = Actor("tablet:test")
RANGE = "from=2026-11-16&to=2026-11-26"


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in November 2026 (UTC)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def meeting(room_id, start, minutes, outcome="held", skip="urgent"):
    """Check in at ``start``, start (checklist skipped), end after ``minutes``, finish."""
    clock.freeze(start)
    service.check_in(room_id, DOOR)
    service.start_meeting(room_id, DOOR, skip_reason=skip)
    clock.advance(timedelta(minutes=minutes))
    service.end_meeting(room_id, DOOR)
    service.finish(room_id, DOOR, outcome)


@pytest.fixture
def unit_data(admin_app, make_unit, make_room):
    """A unit with rooms A and B and a known mix of sessions over two ISO weeks
    (W47 and W48), and a session in another unit that must not count."""
    unit_id = make_unit(name="Hudmottagningen", slug="hud")
    a = make_room(unit_id=unit_id, name="Rum A", slug="rum-a")
    b = make_room(unit_id=unit_id, name="Rum B", slug="rum-b")
    other = make_room(name="Annat rum")
    with admin_app.app_context():
        meeting(a, at(16), 20, "held")                      # W47: 20 min, skipped (urgent)
        clock.freeze(at(24))                                # W48: checklist complete, 40 of 30 min
        service.check_in(a, DOOR, minutes=30)
        for checklist, item in sorted(service.readiness_keys()):
            service.tick(a, DOOR, checklist, item)
        clock.advance(timedelta(minutes=40))
        service.end_meeting(a, DOOR)
        service.finish(a, DOOR, "no-show")
        clock.freeze(at(24, 12))
        service.check_in(a, DOOR)
        service.cancel(a, DOOR)                             # no meeting
        clock.freeze(at(25))
        service.check_in(b, DOOR)
        service.start_meeting(b, DOOR, skip_reason="checked-at-desk")
        clock.advance(timedelta(hours=4))
        service.release_if_expired(b)                       # auto-released, overran
        meeting(b, at(25, 14), 30, "technical", skip="checked-at-desk")
        clock.freeze(at(26, 8))
        service.check_in(b, DOOR)
        service.force_end(b, Actor("admin:1"), "Glömd")     # no meeting
        meeting(other, at(24), 10)
    clock.freeze(at(26))
    return unit_id, a, b


def test_the_counts(admin_app, unit_data):
    from kiosk.admin import stats

    unit_id, a, b = unit_data
    with admin_app.app_context():
        s = stats.compute(db.session.get(Unit, unit_id), datetime(2026, 11, 16).date(), datetime(2026, 11, 26).date())
        assert s.weeks == ["2026-W47", "2026-W48"]
        assert [r.name for r in s.rooms] == ["Rum A", "Rum B"]
        assert [[s.meetings(w, r) for r in (a, b)] for w in s.weeks] == [[1, 0], [1, 2]]
        total = s.total()
        assert total.sessions == 6 and total.meetings == 4
        assert dict(total.outcomes) == {"held": 1, "no-show": 1, "technical": 1}
        assert dict(total.end_reasons) == {"completed": 3, "cancelled": 1, "auto-released": 1, "force-ended": 1}
        assert dict(total.checklists) == {"complete": 1, "skipped": 3}
        assert dict(total.skip_reasons) == {"urgent": 1, "checked-at-desk": 2}
        assert total.overruns == 2
        assert stats.median(total.minutes) == 30.0
        assert stats.median(s.total(room_id=a).minutes) == 30.0  # 20 and 40


def test_the_page_has_a_table_beside_every_chart(admin_client, unit_data):
    unit_id, a, b = unit_data
    r = admin_client.get(f"/admin/stats?unit={unit_id}&{RANGE}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert html.count('<figure class="chart"><img src="/admin/stats/') == 4
    assert html.count("<table") == 4 and html.count("<caption>") == 4
    assert 'alt="Diagram: Videomöten per rum och vecka. Siffrorna finns i tabellen bredvid."' in html
    assert "<tr><th scope=\"row\">2026-W48</th><td>1</td><td>2</td><td>3</td></tr>" in html
    assert "Frigjorda automatiskt</th><td>1</td>" in html and "Hoppade över: Brådskande möte</th><td>1</td>" in html
    assert "30,0 minuter" in html and "<td>30,0</td>" in html
    assert "<svg" not in html and "style=" not in html
    en = admin_client.get(f"/admin/stats?unit={unit_id}&{RANGE}&lang=en").get_data(as_text=True)
    assert "Video meetings per room and week" in en and "Released automatically" in en and "30.0 minutes" in en


@pytest.mark.parametrize("chart", ["meetings", "endings", "checklists", "length"])
def test_charts_are_svg_documents_without_script_or_inline_style(admin_client, unit_data, chart):
    unit_id, _a, _b = unit_data
    r = admin_client.get(f"/admin/stats/{chart}.svg?unit={unit_id}&{RANGE}")
    svg = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<script" not in svg and "style=" not in svg
    # The one stylesheet is allowed by its hash, nothing else is.
    styles = re.findall(r"<style[^>]*>(.*?)</style>", svg, re.S)
    assert len(styles) == 1
    parsed = styles[0].replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")  # as a browser sees it
    digest = base64.b64encode(hashlib.sha256(parsed.encode()).digest()).decode()
    csp = r.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; ") and f"style-src 'sha256-{digest}'" in csp
    assert "unsafe" not in csp and "script-src" not in csp
    if chart == "meetings":
        assert "Rum A" in svg and "2026-W47" in svg


def read_csv(response, delimiter):
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_csv_in_swedish_for_excel(admin_client, admin_app, unit_data):
    unit_id, _a, _b = unit_data
    r = admin_client.get(f"/admin/stats.csv?unit={unit_id}&{RANGE}")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="statistik-hud-2026-11-16-2026-11-26.csv"'
    rows = read_csv(r, ";")
    assert rows[0][:7] == ["Vecka", "Rum", "Incheckningar", "Videomöten", "Mötet genomfördes",
                           "Patienten anslöt inte", "Tekniskt problem – ombokat"]
    assert rows[0][-2:] == ["Drog över tiden", "Mediantid (min)"]
    by_key = {(row[0], row[1]): dict(zip(rows[0], row)) for row in rows[1:]}
    assert len(by_key) == 4  # 2 weeks x 2 rooms, empty ones included
    a48 = by_key[("2026-W48", "Rum A")]
    assert (a48["Incheckningar"], a48["Videomöten"], a48["Patienten anslöt inte"]) == ("2", "1", "1")
    assert (a48["Incheckning avbruten"], a48["Alla punkter klara"], a48["Drog över tiden"]) == ("1", "1", "1")
    assert a48["Mediantid (min)"] == "40,0"  # a decimal comma for Swedish Excel
    b48 = by_key[("2026-W48", "Rum B")]
    assert (b48["Frigjorda automatiskt"], b48["Avslutade av administratör"]) == ("1", "1")
    assert b48["Hoppade över: Kontrollerat vid skrivbordet"] == "2"
    assert by_key[("2026-W47", "Rum B")]["Mediantid (min)"] == ""
    assert events(admin_app, "stats-export")[0][1] == f"admin:{admin_client.account.id}"


def test_csv_in_english(admin_client, unit_data):
    unit_id, _a, _b = unit_data
    rows = read_csv(admin_client.get(f"/admin/stats.csv?unit={unit_id}&{RANGE}&lang=en"), ",")
    assert rows[0][:4] == ["Week", "Room", "Check-ins", "Video meetings"]
    assert rows[1][:2] == ["2026-W47", "Rum A"] and rows[1][-1] == "20.0"


def test_csv_cells_never_run_as_formulas(admin_client, make_unit, make_room):
    unit_id = make_unit()
    make_room(unit_id=unit_id, name="=HYPERLINK(\"https://evil.example\")")
    rows = read_csv(admin_client.get(f"/admin/stats.csv?unit={unit_id}"), ";")
    assert rows[1][1] == "'=HYPERLINK(\"https://evil.example\")"


@pytest.mark.parametrize("query,status,words", [
    ("from=2026-02-30", 400, "ÅÅÅÅ-MM-DD"),
    ("from=26/11/2026", 400, "ÅÅÅÅ-MM-DD"),
    ("to=tomorrow", 400, "ÅÅÅÅ-MM-DD"),
    ("from=2026-11-26&to=2026-11-01", 400, "Slutdatumet kan inte vara före startdatumet."),
    ("from=2024-01-01&to=2026-11-26", 400, "Välj högst 366 dagar åt gången."),
    ("unit=abc", 400, "Välj ett av alternativen."),
    ("unit=99999", 404, ""),
])
def test_bad_requests_get_a_clear_answer(admin_client, make_unit, query, status, words):
    make_unit()
    for path in ("/admin/stats", "/admin/stats.csv", "/admin/stats/meetings.svg"):
        r = admin_client.get(f"{path}?{query}")
        assert r.status_code == status and words in r.get_data(as_text=True), path


def test_an_unknown_chart_is_404(admin_client, make_unit):
    make_unit()
    assert admin_client.get("/admin/stats/pie.svg").status_code == 404


def test_a_unit_manager_sees_their_unit_only(manager_client, make_unit):
    other = make_unit(name="Annan enhet")
    html = manager_client.get("/admin/stats").get_data(as_text=True)
    assert "Annan enhet" not in html
    for path in ("/admin/stats", "/admin/stats.csv", "/admin/stats/meetings.svg"):
        assert manager_client.get(f"{path}?unit={other}").status_code == 403


def test_without_any_unit_the_page_says_so(admin_client):
    r = admin_client.get("/admin/stats")
    assert r.status_code == 200 and "Det finns ingen enhet att visa statistik för." in r.get_data(as_text=True)
